//! Each typed command parsed from its common forms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{aggregation, command, expr, search};
use rulecheck_spl::ast::{
    CommandKind, FieldsMode, RawArg, RexMode, SortOrder, StatsFlavor, TstatsSource, Word,
};

fn texts(words: &[Word]) -> Vec<&str> {
    words.iter().map(|w| w.text.as_str()).collect()
}

#[test]
fn eval_assignments() {
    let CommandKind::Eval(eval) =
        command("| eval a=1, 'b c'=x . \"y\", d-e=if(a>1, \"t\", \"f\"), {key}=v")
    else {
        panic!()
    };
    let got: Vec<String> = eval
        .assignments
        .iter()
        .map(|a| format!("{}={}", a.field.text, expr(&a.expr)))
        .collect();
    assert_eq!(
        got,
        [
            "a=1",
            "b c=(. x \"y\")",
            "d-e=if((> a 1), \"t\", \"f\")",
            "{key}=v"
        ]
    );
}

#[test]
fn stats_family() {
    let cases: &[(&str, StatsFlavor, &[&str], &[&str])] = &[
        ("| stats count", StatsFlavor::Stats, &["count"], &[]),
        (
            "| stats values(*) as * by _time, host",
            StatsFlavor::Stats,
            &["values(*) as *"],
            &["_time", "host"],
        ),
        (
            "| stats count min(_time) as firstTime dc(user) AS users BY dest user",
            StatsFlavor::Stats,
            &["count", "min(_time) as firstTime", "dc(user) as users"],
            &["dest", "user"],
        ),
        (
            "| eventstats count(eval(action=\"x\")) as n, avg(b)",
            StatsFlavor::EventStats,
            &["count(eval (= action \"x\")) as n", "avg(b)"],
            &[],
        ),
        (
            "| streamstats window=5 current=f sum(b) as s by h",
            StatsFlavor::StreamStats,
            &["sum(b) as s"],
            &["h"],
        ),
        (
            "| stats values(a) as a(inheritance) latest(x) first(y) last(z) list(w) max(v) earliest(u)",
            StatsFlavor::Stats,
            &[
                "values(a) as a(inheritance)",
                "latest(x)",
                "first(y)",
                "last(z)",
                "list(w)",
                "max(v)",
                "earliest(u)",
            ],
            &[],
        ),
    ];
    for (text, flavor, aggs, by) in cases {
        let CommandKind::Stats(stats) = command(text) else {
            panic!("{text}")
        };
        assert_eq!(stats.flavor, *flavor, "{text}");
        let got: Vec<String> = stats.aggregations.iter().map(aggregation).collect();
        assert_eq!(got, *aggs, "{text}");
        assert_eq!(texts(&stats.by), *by, "{text}");
    }
    let CommandKind::Stats(stats) = command("| streamstats window=5 current=f count") else {
        panic!()
    };
    let options: Vec<_> = stats
        .options
        .iter()
        .map(|o| format!("{}={}", o.key.text, o.value.text))
        .collect();
    assert_eq!(options, ["window=5", "current=f"]);
}

#[test]
fn tstats_clauses() {
    let text = "| tstats summariesonly=true allow_old_summaries=true count min(_time) as firstTime \
                from datamodel=Endpoint.Processes where Processes.process_name IN (\"a.exe\", \"b.exe\") \
                Processes.parent_process_name=msiexec.exe by Processes.dest _time span=1h";
    let CommandKind::Tstats(t) = command(text) else {
        panic!()
    };
    assert_eq!(t.options.len(), 2);
    let aggs: Vec<String> = t.aggregations.iter().map(aggregation).collect();
    assert_eq!(aggs, ["count", "min(_time) as firstTime"]);
    let Some(TstatsSource::Datamodel { model, dataset }) = &t.from else {
        panic!("{:?}", t.from)
    };
    assert_eq!(model.text, "Endpoint");
    assert_eq!(dataset.as_ref().unwrap().text, "Processes");
    assert_eq!(&text[dataset.as_ref().unwrap().span.range()], "Processes");
    assert_eq!(
        search(t.filter.as_ref().unwrap()),
        "(and Processes.process_name in [\"a.exe\" \"b.exe\"] Processes.parent_process_name=msiexec.exe)"
    );
    assert_eq!(texts(&t.by), ["Processes.dest", "_time"]);
    assert_eq!(t.by_options[0].value.text, "1h");

    for (text, model) in [
        (
            "| tstats count FROM datamodel=Web WHERE Web.x=1 BY Web.src",
            "Web",
        ),
        ("| tstats count from datamodel:Risk.All_Risk", "Risk"),
        (
            "| tstats count from datamodel Endpoint.Registry",
            "Endpoint",
        ),
    ] {
        let CommandKind::Tstats(t) = command(text) else {
            panic!()
        };
        let Some(TstatsSource::Datamodel { model: m, .. }) = &t.from else {
            panic!("{text}")
        };
        assert_eq!(m.text, model, "{text}");
    }
}

#[test]
fn field_list_commands() {
    let CommandKind::Table(t) = command("| table _time, host, user process, process_*, \"a b\"")
    else {
        panic!()
    };
    assert_eq!(
        texts(&t.fields),
        ["_time", "host", "user", "process", "process_*", "a b"]
    );
    let CommandKind::Fields(f) = command("| fields - count predicted(x)") else {
        panic!()
    };
    assert_eq!(f.mode, FieldsMode::Remove);
    assert_eq!(texts(&f.fields), ["count", "predicted(x)"]);
    let CommandKind::Fields(f) = command("| fields a b") else {
        panic!()
    };
    assert_eq!(f.mode, FieldsMode::Keep);
    let CommandKind::Rename(r) = command("| rename properties.* as *, a AS \"B c\"") else {
        panic!()
    };
    let pairs: Vec<_> = r
        .pairs
        .iter()
        .map(|p| format!("{}>{}", p.from.text, p.to.text))
        .collect();
    assert_eq!(pairs, ["properties.*>*", "a>B c"]);
}

#[test]
fn rex_and_regex() {
    let CommandKind::Rex(rex) =
        command(r#"| rex field=process max_match=0 "(?i)(?<user>\w+)\\\\(?P<dom>[^\s]+)(?<=x)""#)
    else {
        panic!()
    };
    assert_eq!(rex.field.unwrap().text, "process");
    assert_eq!(rex.mode, RexMode::Extract);
    assert_eq!(rex.pattern.text, r"(?i)(?<user>\w+)\\(?P<dom>[^\s]+)(?<=x)");
    assert_eq!(rex.groups, ["user", "dom"]);
    assert_eq!(rex.options[0].key.text, "max_match");

    let CommandKind::Rex(rex) = command(r#"| rex field=x mode=sed "s/\s+$//g""#) else {
        panic!()
    };
    assert_eq!(rex.mode, RexMode::Sed);
    assert!(rex.groups.is_empty());

    // Adjacent quoted and unquoted pieces form one argument.
    let CommandKind::Rex(rex) = command(r#"| rex field=v (?<u>"\S+\@\S+")"#) else {
        panic!()
    };
    assert_eq!(rex.pattern.text, r"(?<u>\S+\@\S+)");
    assert_eq!(rex.groups, ["u"]);

    for (text, field, negated, pattern) in [
        (
            r#"| regex process="(?i)a|b""#,
            Some("process"),
            false,
            "(?i)a|b",
        ),
        (r#"| regex _raw!="x\"y""#, Some("_raw"), true, "x\"y"),
        (r#"| regex "^a""#, None, false, "^a"),
    ] {
        let CommandKind::Regex(r) = command(text) else {
            panic!()
        };
        assert_eq!(r.field.as_ref().map(|f| f.text.as_str()), field, "{text}");
        assert_eq!(r.negated, negated, "{text}");
        assert_eq!(r.pattern.text, pattern, "{text}");
    }
}

#[test]
fn bin_dedup_sort_head_tail() {
    let CommandKind::Bin(b) = command("| bucket span=5m _time as t") else {
        panic!()
    };
    assert_eq!(b.options[0].value.text, "5m");
    assert_eq!(b.field.unwrap().text, "_time");
    assert_eq!(b.alias.unwrap().text, "t");
    let CommandKind::Bin(b) = command("| bin span=1s") else {
        panic!()
    };
    assert!(b.field.is_none());

    let CommandKind::Dedup(d) = command("| dedup 2 src_ip, user keepempty=true sortby -_time")
    else {
        panic!()
    };
    assert_eq!(d.count.unwrap().text, "2");
    assert_eq!(texts(&d.fields), ["src_ip", "user"]);
    assert_eq!(d.sort_by[0].order, SortOrder::Descending);

    let CommandKind::Sort(s) = command("| sort 0 - count, +user num(port) desc") else {
        panic!()
    };
    assert_eq!(s.limit.unwrap().text, "0");
    let keys: Vec<_> = s
        .keys
        .iter()
        .map(|k| {
            (
                k.field.text.as_str(),
                k.order,
                k.interpretation.as_ref().map(|w| w.text.as_str()),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("count", SortOrder::Descending, None),
            ("user", SortOrder::Ascending, None),
            ("port", SortOrder::Ascending, Some("num")),
        ]
    );
    assert!(s.descending);

    let CommandKind::Head(h) = command("| head 5") else {
        panic!()
    };
    assert_eq!(h.count.unwrap().text, "5");
    assert!(matches!(command("| tail"), CommandKind::Tail(h) if h.count.is_none()));
}

#[test]
fn fillnull_convert_makemv_mvexpand_spath() {
    let CommandKind::Fillnull(f) = command("| fillnull value=NULL a b") else {
        panic!()
    };
    assert_eq!(f.value.unwrap().text, "NULL");
    assert_eq!(texts(&f.fields), ["a", "b"]);

    let CommandKind::Convert(c) =
        command("| convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(firstTime) dur2sec(d) as secs")
    else {
        panic!()
    };
    assert_eq!(c.options[0].value.text, "%Y-%m-%dT%H:%M:%S");
    assert_eq!(c.conversions[0].function.text, "ctime");
    assert_eq!(c.conversions[1].alias.as_ref().unwrap().text, "secs");

    let CommandKind::Makemv(m) = command("| makemv delim=\" \" allowempty=t process") else {
        panic!()
    };
    assert_eq!(m.options[0].value.text, " ");
    assert_eq!(m.field.text, "process");

    let CommandKind::Mvexpand(m) = command("| mvexpand findings limit=10") else {
        panic!()
    };
    assert_eq!(m.field.text, "findings");

    let CommandKind::Spath(s) = command("| spath input=Parameters output=o path=a.b{}.c") else {
        panic!()
    };
    assert_eq!(s.path.unwrap().text, "a.b{}.c");
    let CommandKind::Spath(s) = command("| spath eventName") else {
        panic!()
    };
    assert_eq!(s.path.unwrap().text, "eventName");
}

#[test]
fn lookups() {
    let CommandKind::Lookup(l) =
        command("| lookup local=t identity_lookup objectSid as aceSid, b OUTPUTNEW cn as group, x")
    else {
        panic!()
    };
    assert_eq!(l.table.text, "identity_lookup");
    assert_eq!(l.inputs[0].alias.as_ref().unwrap().text, "aceSid");
    assert_eq!(l.inputs.len(), 2);
    assert_eq!(l.output_mode.unwrap().text, "OUTPUTNEW");
    assert_eq!(l.outputs.len(), 2);

    let CommandKind::Inputlookup(i) = command("| inputlookup append=t seen_users where user=admin")
    else {
        panic!()
    };
    assert_eq!(i.table.text, "seen_users");
    assert_eq!(search(i.filter.as_ref().unwrap()), "user=admin");
}

#[test]
fn subsearch_commands() {
    let CommandKind::Join(j) =
        command("| join type=outer max=0 process_guid, _time [| tstats count where x=1 by y]")
    else {
        panic!()
    };
    assert_eq!(j.options.len(), 2);
    assert_eq!(texts(&j.fields), ["process_guid", "_time"]);
    assert!(matches!(
        j.subsearch.commands[0].kind,
        CommandKind::Tstats(_)
    ));

    let CommandKind::Append(a) = command("| append [ search a=1 | eval b=2 ]") else {
        panic!()
    };
    assert_eq!(a.subsearch.commands.len(), 2);
}

#[test]
fn from_datamodel() {
    for text in [
        "| from datamodel Risk.All_Risk",
        "| from datamodel:Risk.All_Risk",
        "| from datamodel=Risk.All_Risk",
    ] {
        let CommandKind::From(f) = command(text) else {
            panic!()
        };
        assert_eq!(f.dataset_kind.text, "datamodel", "{text}");
        assert_eq!(f.dataset.text, "Risk.All_Risk", "{text}");
    }
}

#[test]
fn other_commands_are_generic_and_keep_their_arguments() {
    let CommandKind::Generic(args) = command("| foreach stdev_* [ eval x=<<FIELD>> ]") else {
        panic!()
    };
    assert!(matches!(&args[1], RawArg::Bracketed(w) if w.text.trim() == "eval x=<<FIELD>>"));
    let p = common::pipeline("| mstats count where a=b | appendpipe [| timechart count] | xmlkv");
    assert_eq!(p.commands.len(), 3);
    assert!(
        p.commands
            .iter()
            .all(|c| matches!(c.kind, CommandKind::Generic(_)))
    );
    assert_eq!(p.commands[2].name.as_ref().unwrap().text, "xmlkv");
}

#[test]
fn search_and_where_commands() {
    let p = common::pipeline("a | search b OR c | where x > 1 | SEARCH d");
    assert_eq!(p.commands.len(), 4);
    assert!(p.commands[0].name.is_none());
    let CommandKind::Search(Some(e)) = &p.commands[1].kind else {
        panic!()
    };
    assert_eq!(search(e), "(or b c)");
    let CommandKind::Where(e) = &p.commands[2].kind else {
        panic!()
    };
    assert_eq!(expr(e), "(> x 1)");
    assert_eq!(p.commands[3].name.as_ref().unwrap().text, "SEARCH");
}
