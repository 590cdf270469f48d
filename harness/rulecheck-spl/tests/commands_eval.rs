//! Each command evaluated on small event sets: input events → expected
//! rows, with at least one ordinary and one edge case per command.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rulecheck_spl::{Batch, Context, Event, Macros, compile_str};
use serde_json::{Value as Json, json};

const NOW: i64 = 1_773_500_000;

fn events(values: &[Json]) -> Vec<Event> {
    values
        .iter()
        .map(|v| rulecheck_spl::event_from_object(v.as_object().unwrap().clone()))
        .collect()
}

/// The rows of `query` over `input`, checked to be the same with the
/// engine's optimizations on (in a batch) and off.
fn run_ctx(query: &str, input: &[Json], ctx: &Context) -> Vec<Json> {
    let search =
        compile_str(query, &Macros::new(), ctx).unwrap_or_else(|d| panic!("{query}: {d:#?}"));
    let events = events(input);
    let rows = search.run(&events, ctx).unwrap();
    let batched = search.run_batch(&Batch::new(&events), ctx).unwrap();
    let reference = search.clone().unoptimized().run(&events, ctx).unwrap();
    assert_eq!(
        rows, reference,
        "{query}: optimized and reference rows differ"
    );
    assert_eq!(
        batched, reference,
        "{query}: batch and reference rows differ"
    );
    rows.into_iter()
        .map(|row| Json::Object(rulecheck_spl::event_into_object(row)))
        .collect()
}

fn run(query: &str, input: &[Json]) -> Vec<Json> {
    run_ctx(query, input, &Context::new(NOW))
}

/// The values of `field` in each row (`null` when missing).
fn col(rows: &[Json], field: &str) -> Vec<Json> {
    rows.iter()
        .map(|r| r.get(field).cloned().unwrap_or(Json::Null))
        .collect()
}

fn procs() -> Vec<Json> {
    vec![
        json!({"_time": 100, "host": "a", "user": "u1", "process": "cmd.exe", "n": 3}),
        json!({"_time": 200, "host": "b", "user": "u2", "process": "powershell.exe", "n": 10}),
        json!({"_time": 300, "host": "a", "user": "u1", "process": "cmd.exe", "n": 5}),
        json!({"_time": 400, "host": "a", "user": "u3", "process": "whoami.exe"}),
    ]
}

#[test]
fn search_command() {
    let rows = run("| search host=a process=cmd*", &procs());
    assert_eq!(col(&rows, "_time"), [json!(100), json!(300)]);
    // Field names are case-sensitive, values are not.
    assert_eq!(run("| search HOST=a", &procs()).len(), 0);
    assert_eq!(run("| search process=CMD.EXE", &procs()).len(), 2);
    // `!=` needs the field; NOT field=x keeps events without it.
    assert_eq!(run("| search n!=3", &procs()).len(), 2);
    assert_eq!(run("| search NOT n=3", &procs()).len(), 3);
    assert_eq!(run("| search n>4", &procs()).len(), 2);
    assert_eq!(run("| search user IN (u2, u3)", &procs()).len(), 2);
}

#[test]
fn where_command() {
    let rows = run("| where n > 4 AND host=\"a\"", &procs());
    assert_eq!(col(&rows, "_time"), [json!(300)]);
    // A missing field is null: the comparison is false.
    assert_eq!(run("| where n < 100", &procs()).len(), 3);
    assert_eq!(run("| where isnull(n)", &procs()).len(), 1);
    // Strings compare case-sensitively in `where`.
    assert_eq!(run("| where process=\"CMD.EXE\"", &procs()).len(), 0);
    // A bare word on the right-hand side is a field name.
    let rows = run("| where host=user", &[json!({"host": "x", "user": "x"})]);
    assert_eq!(rows.len(), 1);
}

#[test]
fn eval_command() {
    let rows = run("| eval m=n*2, label=host.\":\".user", &procs()[..1]);
    assert_eq!(rows[0]["m"], 6);
    assert_eq!(rows[0]["label"], "a:u1");
    // Assignments see earlier ones; a null result removes the field.
    let rows = run("| eval n=n+1, m=n*10, host=null()", &procs()[..1]);
    assert_eq!(rows[0]["m"], 40);
    assert!(rows[0].get("host").is_none());
    // Arithmetic on a missing field is null.
    let rows = run("| eval m=n+1", &procs()[3..]);
    assert!(rows[0].get("m").is_none());
}

#[test]
fn regex_command() {
    let rows = run("| regex process=\"^(cmd|whoami)\\.exe$\"", &procs());
    assert_eq!(rows.len(), 3);
    let rows = run("| regex process!=\"^cmd\"", &procs());
    assert_eq!(
        col(&rows, "process"),
        [json!("powershell.exe"), json!("whoami.exe")]
    );
    // Without a field the regex applies to `_raw`.
    let rows = run(
        "| regex \"user=u\\d\"",
        &[json!({"_raw": "user=u7 x"}), json!({"_raw": "user=z"})],
    );
    assert_eq!(rows.len(), 1);
}

#[test]
fn rex_command() {
    let input = [json!({"_raw": "src=10.0.0.1 dst=10.0.0.2 port=443", "cmd": "a.exe -k v"})];
    let rows = run("| rex \"src=(?<src>\\S+) dst=(?<dst>\\S+)\"", &input);
    assert_eq!(rows[0]["src"], "10.0.0.1");
    assert_eq!(rows[0]["dst"], "10.0.0.2");
    let rows = run("| rex field=cmd \"-(?<flag>\\w) (?<val>\\w+)\"", &input);
    assert_eq!(rows[0]["flag"], "k");
    assert_eq!(rows[0]["val"], "v");
    // No match: no field is set.
    let rows = run("| rex field=cmd \"(?<nope>zzz)\"", &input);
    assert!(rows[0].get("nope").is_none());
    // max_match=0: every match, as a multivalue.
    let rows = run("| rex max_match=0 \"=(?<v>[\\d.]+)\"", &input);
    assert_eq!(rows[0]["v"], json!(["10.0.0.1", "10.0.0.2", "443"]));
    // mode=sed rewrites the field.
    let rows = run("| rex field=cmd mode=sed \"s/a\\.exe/b.exe/\"", &input);
    assert_eq!(rows[0]["cmd"], "b.exe -k v");
    let rows = run("| rex field=cmd mode=sed \"s/ /_/g\"", &input);
    assert_eq!(rows[0]["cmd"], "a.exe_-k_v");
}

#[test]
fn table_and_fields_commands() {
    let rows = run("| table user, process", &procs()[..1]);
    assert_eq!(rows[0], json!({"user": "u1", "process": "cmd.exe"}));
    // Wildcards, in the order listed; a missing field is left out.
    let rows = run("| table p*, missing, h*", &procs()[..1]);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["process", "host"]);
    let rows = run("| fields host, n", &procs()[..1]);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["_time", "host", "n"]);
    let rows = run("| fields - host, n", &procs()[..1]);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["_time", "user", "process"]);
    let rows = run("| fields + u*", &procs()[..1]);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["_time", "user"]);
}

#[test]
fn rename_command() {
    let rows = run("| rename user AS account, n as count", &procs()[..1]);
    assert_eq!(rows[0]["account"], "u1");
    assert_eq!(rows[0]["count"], 3);
    assert!(rows[0].get("user").is_none());
    let input = [json!({"Processes.dest": "h", "Processes.user": "u", "other": 1})];
    let rows = run("| rename Processes.* as *", &input);
    assert_eq!(rows[0], json!({"dest": "h", "user": "u", "other": 1}));
    // Renaming a missing field does nothing.
    let rows = run("| rename missing as x", &procs()[..1]);
    assert!(rows[0].get("x").is_none());
    // Renamed fields move after the others, in order; a new name that is
    // an existing field replaces it in place; a value renamed onto a name
    // that is renamed later moves again.
    let keys = |row: &Json| -> Vec<String> { row.as_object().unwrap().keys().cloned().collect() };
    let input = [json!({"P.a": 1, "x": 2, "P.b": 3, "y": 4})];
    let rows = run("| rename P.* as *", &input);
    assert_eq!(keys(&rows[0]), ["x", "y", "a", "b"]);
    let rows = run("| rename P.* as *", &[json!({"P.x": 1, "x": 2, "P.b": 3})]);
    assert_eq!(keys(&rows[0]), ["x", "b"]);
    assert_eq!(rows[0]["x"], 1);
    let rows = run("| rename * as x*", &[json!({"a": 1, "xa": 2})]);
    assert_eq!(rows[0], json!({"xxa": 1}));
    // Rows of one shape share their new names; a row of another shape
    // gets its own, and a row of the first shape after it the first's.
    let input = [
        json!({"P.a": 1, "x": 2}),
        json!({"P.a": 3, "x": 4}),
        json!({"P.x": 5, "x": 6, "P.b": 7}),
        json!({"P.a": 8, "x": 9}),
        json!({"x": 10, "P.a": 11}),
    ];
    let rows = run("| rename P.* as *", &input);
    assert_eq!(
        rows,
        [
            json!({"x": 2, "a": 1}),
            json!({"x": 4, "a": 3}),
            json!({"x": 5, "b": 7}),
            json!({"x": 9, "a": 8}),
            json!({"x": 10, "a": 11}),
        ]
    );
    assert_eq!(keys(&rows[2]), ["x", "b"]);
}

#[test]
fn bin_command() {
    let input = [
        json!({"_time": 3_725}),
        json!({"_time": 7_199}),
        json!({"v": 17}),
    ];
    let rows = run("| bin _time span=1h", &input);
    assert_eq!(col(&rows, "_time"), [json!(3600), json!(3600), Json::Null]);
    let rows = run("| bucket v span=5 as b", &input);
    assert_eq!(rows[2]["b"], 15);
    assert_eq!(rows[2]["v"], 17);
    let rows = run("| bin _time span=1d", &[json!({"_time": 1_773_479_523})]);
    assert_eq!(rows[0]["_time"], 1_773_446_400);
}

#[test]
fn stats_functions() {
    let rows = run(
        "| stats count, dc(user) as users, values(user) as vu, list(n) as ln, min(n) as lo, \
         max(n) as hi, sum(n) as total, avg(n) as mean, earliest(process) as e, \
         latest(process) as l, first(process) as f, last(process) as la by host",
        &procs(),
    );
    assert_eq!(rows.len(), 2);
    let a = &rows[0];
    assert_eq!(a["host"], "a");
    assert_eq!(a["count"], 3);
    assert_eq!(a["users"], 2);
    assert_eq!(a["vu"], json!(["u1", "u3"]));
    assert_eq!(a["ln"], json!([3, 5]));
    assert_eq!(a["lo"], 3);
    assert_eq!(a["hi"], 5);
    assert_eq!(a["total"], 8);
    assert_eq!(a["mean"], 4);
    assert_eq!(a["e"], "cmd.exe");
    assert_eq!(a["l"], "whoami.exe");
    assert_eq!(a["f"], "cmd.exe");
    assert_eq!(a["la"], "whoami.exe");
    assert_eq!(rows[1]["host"], "b");
    assert_eq!(rows[1]["count"], 1);
}

#[test]
fn stats_edge_cases() {
    // No events: `stats count` still gives one row of 0; with `by`, none.
    assert_eq!(run("| stats count", &[]), [json!({"count": 0})]);
    assert_eq!(run("| stats count by host", &[]).len(), 0);
    // A missing `by` field drops the event.
    let rows = run("| stats count by n", &procs());
    assert_eq!(col(&rows, "count"), [json!(1), json!(1), json!(1)]);
    // count(field) counts events with the field.
    let rows = run("| stats count(n) as c", &procs());
    assert_eq!(rows[0]["c"], 3);
    // Several `by` fields.
    let rows = run("| stats count by host, user", &procs());
    assert_eq!(rows.len(), 3);
}

#[test]
fn eventstats_and_streamstats() {
    let rows = run("| eventstats count as per_host by host", &procs());
    assert_eq!(
        col(&rows, "per_host"),
        [json!(3), json!(1), json!(3), json!(3)]
    );
    assert_eq!(rows.len(), 4);
    let rows = run("| streamstats count as seq by host", &procs());
    assert_eq!(col(&rows, "seq"), [json!(1), json!(1), json!(2), json!(3)]);
    let rows = run("| streamstats sum(n) as running", &procs());
    assert_eq!(
        col(&rows, "running"),
        [json!(3), json!(13), json!(18), json!(18)]
    );
    let rows = run("| streamstats current=f window=1 max(n) as prev", &procs());
    assert_eq!(
        col(&rows, "prev"),
        [Json::Null, json!(3), json!(10), json!(5)]
    );
}

#[test]
fn dedup_command() {
    let rows = run("| dedup host", &procs());
    assert_eq!(col(&rows, "_time"), [json!(100), json!(200)]);
    let rows = run("| dedup host, user", &procs());
    assert_eq!(rows.len(), 3);
    let rows = run("| dedup 2 host", &procs());
    assert_eq!(rows.len(), 3);
    // Events without the field are dropped unless keepempty=true.
    assert_eq!(run("| dedup n", &procs()).len(), 3);
    assert_eq!(run("| dedup keepempty=true n", &procs()).len(), 4);
}

#[test]
fn sort_head_tail() {
    let rows = run("| sort - n", &procs()[..3]);
    assert_eq!(col(&rows, "n"), [json!(10), json!(5), json!(3)]);
    let rows = run("| sort n", &procs());
    assert_eq!(col(&rows, "n")[..3], [json!(3), json!(5), json!(10)]);
    // Numbers sort numerically even when stored as strings.
    let rows = run("| sort v", &[json!({"v": "10"}), json!({"v": "9"})]);
    assert_eq!(col(&rows, "v"), [json!("9"), json!("10")]);
    let rows = run("| sort 1 -_time", &procs());
    assert_eq!(col(&rows, "_time"), [json!(400)]);
    assert_eq!(
        col(&run("| head 2", &procs()), "_time"),
        [json!(100), json!(200)]
    );
    assert_eq!(col(&run("| tail 1", &procs()), "_time"), [json!(400)]);
    assert_eq!(run("| head 0", &procs()).len(), 0);
    assert_eq!(run("| tail 99", &procs()).len(), 4);
}

#[test]
fn fillnull_command() {
    let rows = run("| fillnull", &procs()[3..]);
    assert_eq!(rows[0]["process"], "whoami.exe");
    let rows = run("| fillnull value=NULL n, missing", &procs()[3..]);
    assert_eq!(rows[0]["n"], "NULL");
    assert_eq!(rows[0]["missing"], "NULL");
    let rows = run("| fillnull value=0 n", &procs()[..1]);
    assert_eq!(rows[0]["n"], 3);
}

#[test]
fn convert_command() {
    let input = [json!({"t": 1_773_479_523, "s": "12"})];
    let rows = run("| convert ctime(t)", &input);
    assert_eq!(rows[0]["t"], "03/14/2026 09:12:03");
    let rows = run(
        "| convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(t) AS when",
        &input,
    );
    assert_eq!(rows[0]["when"], "2026-03-14T09:12:03");
    assert_eq!(rows[0]["t"], 1_773_479_523);
    let rows = run("| convert num(s)", &input);
    assert_eq!(rows[0]["s"], 12);
    // A missing field stays missing.
    let rows = run("| convert ctime(missing)", &input);
    assert!(rows[0].get("missing").is_none());
}

#[test]
fn searches_keep_what_later_stages_read() {
    // `run_ctx` checks each against the reference run, which keeps every
    // field; the rows pin null fields, nested objects and field order.
    let input = [
        json!({"_time": 5, "k": "a", "n": null, "o": {"p": 1, "q": 2}, "z": 9}),
        json!({"_time": "1970-01-01T00:00:07Z", "k": "b", "o": {"p": 3}}),
    ];
    let rows = run("| search k=* | eval p='o.p' | table n p k", &input);
    assert_eq!(rows[0], json!({"n": null, "p": 1, "k": "a"}));
    assert_eq!(rows[1], json!({"p": 3, "k": "b"}));
    let rows = run("| search k=* | fields o k _time", &input);
    let keys: Vec<&String> = rows[1].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["_time", "k", "o"]);
    assert_eq!(rows[1]["_time"], 7);
    let rows = run("| search k=* | stats latest(z) as z by k", &input);
    assert_eq!(col(&rows, "z"), [json!(9), Json::Null]);
}

#[test]
fn filters_after_stats_on_group_keys() {
    // Each is checked against the reference run (no key filters) by
    // `run_ctx`; the expected rows pin the results themselves.
    let rows = run(
        "| stats count max(n) as top by host user | rename user as who | search who=u1 host=a",
        &procs(),
    );
    assert_eq!(col(&rows, "count"), [json!(2)]);
    assert_eq!(col(&rows, "top"), [json!(5)]);
    let rows = run(
        "| stats count by host process | eval p=upper(process) | where like(p, \"%.EXE\") \
         | search p!=CMD.EXE",
        &procs(),
    );
    assert_eq!(
        col(&rows, "process"),
        [json!("whoami.exe"), json!("powershell.exe")]
    );
    // A filter on an aggregate after one on a key: the key filter stops
    // before it, the row is still filtered.
    let rows = run(
        "| stats count by host | search host=a | where count > 2",
        &procs(),
    );
    assert_eq!(col(&rows, "count"), [json!(3)]);
    let rows = run("| stats count by host | where count > 2", &procs());
    assert_eq!(col(&rows, "host"), [json!("a")]);
    // A multivalue `by` field makes a group per value.
    let input = [
        json!({"tags": ["x", "y"], "n": 1}),
        json!({"tags": "y", "n": 2}),
    ];
    let rows = run("| stats sum(n) as total by tags | search tags=y", &input);
    assert_eq!(col(&rows, "total"), [json!(3)]);
    // Numbers in keys stay numbers for the filter (groups come in the
    // lexicographic order of their keys).
    let rows = run("| stats count by n | where n > 4", &procs());
    assert_eq!(col(&rows, "n"), [json!(10), json!(5)]);
}

fn lookup_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("procs.csv"),
        "process,category,risk\ncmd.exe,shell,5\npowershell.exe,shell,8\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("wild.csv"),
        "pattern,tag\n*\\temp\\*,staging\nC:\\Windows\\*,system\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("wild.yml"),
        "name: wild\nfilename: wild.csv\nmatch_type: WILDCARD(pattern)\ncase_sensitive_match: false\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("first.csv"),
        "pattern,tag\n*\\temp\\*,staging\nC:\\Windows\\*,system\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("first.yml"),
        "name: first\nfilename: first.csv\nmatch_type: WILDCARD(pattern)\n\
         case_sensitive_match: 'false'\nmax_matches: 1\nmin_matches: 1\ndefault_match: 'none'\n",
    )
    .unwrap();
    dir
}

#[test]
fn lookup_command() {
    let dir = lookup_dir();
    let mut ctx = Context::new(NOW);
    ctx.lookups_dir = Some(dir.path().to_path_buf());
    let rows = run_ctx(
        "| lookup procs process OUTPUT category, risk",
        &procs(),
        &ctx,
    );
    assert_eq!(
        col(&rows, "category"),
        [json!("shell"), json!("shell"), json!("shell"), Json::Null]
    );
    assert_eq!(rows[1]["risk"], "8");
    // `AS` on both sides.
    let rows = run_ctx(
        "| lookup procs process AS process OUTPUT risk AS score",
        &procs()[..1],
        &ctx,
    );
    assert_eq!(rows[0]["score"], "5");
    // OUTPUTNEW does not overwrite a field that has a value; OUTPUT does.
    let input = [json!({"process": "cmd.exe", "category": "mine"})];
    let rows = run_ctx("| lookup procs process OUTPUTNEW category", &input, &ctx);
    assert_eq!(rows[0]["category"], "mine");
    let rows = run_ctx("| lookup procs process OUTPUT category", &input, &ctx);
    assert_eq!(rows[0]["category"], "shell");
    // A WILDCARD column, case-insensitive.
    let input = [json!({"path": "c:\\users\\x\\TEMP\\a.exe"})];
    let rows = run_ctx("| lookup wild pattern AS path OUTPUT tag", &input, &ctx);
    assert_eq!(rows[0]["tag"], "staging");
    // Every matching row, in table order; a value without a match, a
    // non-ASCII value and a multivalue field.
    let input = [
        json!({"path": "C:\\Windows\\Temp\\b.exe"}),
        json!({"path": "D:\\data\\b.exe"}),
        json!({"path": "c:\\WINDOWS\\Ünïcode\\TEMP\\c.exe"}),
        json!({"path": ["D:\\x", "C:\\windows\\y"]}),
    ];
    let rows = run_ctx("| lookup wild pattern AS path OUTPUT tag", &input, &ctx);
    assert_eq!(
        col(&rows, "tag"),
        [
            json!(["staging", "system"]),
            Json::Null,
            json!(["staging", "system"]),
            json!("system")
        ]
    );
    // `max_matches: 1` keeps the first matching row in table order;
    // `min_matches` with `default_match` fills a row without a match.
    let rows = run_ctx(
        "| lookup first pattern AS path OUTPUT tag",
        &[
            json!({"path": "C:\\Windows\\Temp\\b.exe"}),
            json!({"path": "D:\\b.exe"}),
        ],
        &ctx,
    );
    assert_eq!(col(&rows, "tag"), [json!("staging"), json!("none")]);
    // A table without `case_sensitive_match: false` is case-sensitive; an
    // exact column of a case-insensitive table ignores ASCII case.
    let rows = run_ctx(
        "| lookup procs process OUTPUT risk",
        &[
            json!({"process": "CMD.exe"}),
            json!({"process": "cmd.exe "}),
        ],
        &ctx,
    );
    assert_eq!(col(&rows, "risk"), [Json::Null, Json::Null]);
    let rows = run_ctx(
        "| lookup wild tag AS t OUTPUT pattern",
        &[json!({"t": "SYSTEM"}), json!({"t": "sys"})],
        &ctx,
    );
    assert_eq!(col(&rows, "pattern"), [json!("C:\\Windows\\*"), Json::Null]);
}

#[test]
fn inputlookup_command() {
    let dir = lookup_dir();
    let mut ctx = Context::new(NOW);
    ctx.lookups_dir = Some(dir.path().to_path_buf());
    let rows = run_ctx("| inputlookup procs", &[], &ctx);
    assert_eq!(
        col(&rows, "process"),
        [json!("cmd.exe"), json!("powershell.exe")]
    );
    let rows = run_ctx("| inputlookup procs where risk>6", &[], &ctx);
    assert_eq!(col(&rows, "process"), [json!("powershell.exe")]);
    // A missing table is a compile error.
    assert!(compile_str("| inputlookup nosuchtable", &Macros::new(), &ctx).is_err());
}

#[test]
fn makemv_and_mvexpand() {
    let input = [json!({"ids": "a,b,,c", "x": 1})];
    let rows = run("| makemv delim=\",\" ids", &input);
    assert_eq!(rows[0]["ids"], json!(["a", "b", "c"]));
    let rows = run("| makemv ids", &[json!({"ids": "a b  c"})]);
    assert_eq!(rows[0]["ids"], json!(["a", "b", "c"]));
    let rows = run("| makemv delim=\",\" ids | mvexpand ids", &input);
    assert_eq!(col(&rows, "ids"), [json!("a"), json!("b"), json!("c")]);
    assert_eq!(col(&rows, "x"), [json!(1), json!(1), json!(1)]);
    let rows = run("| mvexpand ids limit=1", &[json!({"ids": ["p", "q"]})]);
    assert_eq!(col(&rows, "ids"), [json!("p")]);
    // An event without the field is dropped by mvexpand.
    assert_eq!(run("| mvexpand ids", &[json!({"y": 1})]).len(), 0);
}

#[test]
fn spath_command() {
    let input = [json!({"_raw": "{\"a\": {\"b\": 1, \"c\": [\"x\", \"y\"]}, \"d\": \"e\"}"})];
    let rows = run("| spath", &input);
    assert_eq!(rows[0]["a.b"], 1);
    assert_eq!(rows[0]["a.c{}"], json!(["x", "y"]));
    assert_eq!(rows[0]["d"], "e");
    let rows = run("| spath output=v path=a.b", &input);
    assert_eq!(rows[0]["v"], 1);
    let rows = run("| spath input=j path=k", &[json!({"j": "{\"k\": \"z\"}"})]);
    assert_eq!(rows[0]["k"], "z");
    // Text that is not JSON adds nothing.
    let rows = run("| spath", &[json!({"_raw": "not json"})]);
    assert_eq!(rows[0].as_object().unwrap().len(), 1);
}

#[test]
fn join_and_append() {
    let input = [
        json!({"kind": "proc", "host": "a", "p": "cmd.exe"}),
        json!({"kind": "proc", "host": "c", "p": "x.exe"}),
        json!({"kind": "owner", "host": "a", "owner": "alice"}),
    ];
    let rows = run(
        "| search kind=proc | join host [search kind=owner | table host owner]",
        &input,
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["owner"], "alice");
    let rows = run(
        "| search kind=proc | join type=left host [search kind=owner | table host owner]",
        &input,
    );
    assert_eq!(col(&rows, "owner"), [json!("alice"), Json::Null]);
    let rows = run(
        "| search kind=owner | append [search kind=proc | head 1]",
        &input,
    );
    assert_eq!(col(&rows, "kind"), [json!("owner"), json!("proc")]);
    // An inner join whose subsearch is empty leaves no rows, and the
    // stages after it still run (on no rows).
    let rows = run(
        "| search kind=proc | join host [search kind=nobody] | stats count",
        &input,
    );
    assert_eq!(col(&rows, "count"), [json!(0)]);
    // A left join keeps its rows when the subsearch is empty.
    let rows = run(
        "| search kind=proc | join type=left host [search kind=nobody]",
        &input,
    );
    assert_eq!(rows.len(), 2);
    // `max=0` joins every matching row, in the subsearch's order; rows
    // missing a key field never match.
    let input = [
        json!({"kind": "proc", "host": "a", "p": "cmd.exe"}),
        json!({"kind": "proc", "p": "nohost.exe"}),
        json!({"kind": "owner", "host": "a", "owner": "alice"}),
        json!({"kind": "owner", "host": "a", "owner": "bob"}),
        json!({"kind": "owner", "owner": "nobody"}),
    ];
    let rows = run(
        "| search kind=proc | join max=0 host [search kind=owner | table host owner]",
        &input,
    );
    assert_eq!(col(&rows, "owner"), [json!("alice"), json!("bob")]);
    let rows = run(
        "| search kind=proc | join host [search kind=owner | table host owner]",
        &input,
    );
    assert_eq!(col(&rows, "owner"), [json!("alice")], "max defaults to 1");
}

fn sysmon1(image: &str, cmd: &str, parent: &str) -> Json {
    json!({
        "_time": 1_773_479_523,
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "ws1",
        "Image": image,
        "CommandLine": cmd,
        "ParentImage": parent,
        "User": "CORP\\jdoe",
        "ProcessId": 10,
        "ParentProcessId": 9,
    })
}

#[test]
fn tstats_data_model_form() {
    let input = [
        json!({"_time": 100, "Processes.process_name": "cmd.exe", "Processes.dest": "h1"}),
        json!({"_time": 200, "Processes.process_name": "cmd.exe", "Processes.dest": "h2"}),
        json!({"_time": 300, "Processes.process_name": "calc.exe", "Processes.dest": "h1"}),
    ];
    let rows = run(
        "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes \
         where Processes.process_name=cmd.exe by Processes.dest",
        &input,
    );
    assert_eq!(col(&rows, "Processes.dest"), [json!("h1"), json!("h2")]);
    assert_eq!(col(&rows, "count"), [json!(1), json!(1)]);
    assert_eq!(rows[0]["firstTime"], 100);
    // Nothing matches: no rows (there is a `by`).
    let rows = run(
        "| tstats count from datamodel=Endpoint.Processes where Processes.process_name=nope.exe \
         by Processes.dest",
        &input,
    );
    assert!(rows.is_empty());
}

#[test]
fn tstats_groups_filtered_on_their_keys() {
    // Hunting searches: every process grouped, then a filter on the keys.
    // `span`, `fillnull_value`, a multivalue `by` field, a number and a
    // string of the same text, checked against the reference run.
    let input = [
        json!({"_time": 100, "Processes.process_name": "cmd.exe", "Processes.dest": "h1",
               "Processes.user": "u1", "Processes.process_id": 7}),
        json!({"_time": 4000, "Processes.process_name": "cmd.exe", "Processes.dest": "h1",
               "Processes.process_id": "7"}),
        json!({"_time": 200, "Processes.process_name": ["cmd.exe", "x.exe"],
               "Processes.dest": "h2", "Processes.process_id": 8}),
        json!({"_time": 300, "Processes.process_name": "calc.exe", "Processes.dest": "h1",
               "Processes.process_id": 9}),
    ];
    let query = "| tstats summariesonly=false fillnull_value=null count max(_time) as last \
                 from datamodel=Endpoint.Processes by _time span=1h Processes.dest \
                 Processes.process_name Processes.user Processes.process_id \
                 | rename Processes.* as * | convert ctime(last) | search process_name=cmd.exe \
                 | where process_id > 6";
    let rows = run(query, &input);
    assert_eq!(col(&rows, "_time"), [json!(0), json!(0), json!(3600)]);
    assert_eq!(col(&rows, "dest"), [json!("h1"), json!("h2"), json!("h1")]);
    assert_eq!(
        col(&rows, "user"),
        [json!("u1"), json!("null"), json!("null")]
    );
    assert_eq!(col(&rows, "process_id"), [json!(7), json!(8), json!("7")]);
    assert_eq!(col(&rows, "count"), [json!(1), json!(1), json!(1)]);
}

#[test]
fn tstats_groups_by_key_codes() {
    // Single-valued `by` fields group by their codes in a batch: a missing
    // value read as a `fillnull_value` another row holds, a number and a
    // string of the same text, rows whose `_time` is a date text.
    let input = [
        json!({"_time": 100, "Processes.dest": "h1", "Processes.user": "null",
               "Processes.process_id": 7}),
        json!({"_time": 200, "Processes.dest": "h1", "Processes.process_id": "7"}),
        json!({"_time": "1970-01-01T00:05:00Z", "Processes.dest": "h2",
               "Processes.user": "u2", "Processes.process_id": 10}),
        json!({"_time": 400, "Processes.dest": "h2", "Processes.user": "u2",
               "Processes.process_id": 9}),
    ];
    let rows = run(
        "| tstats fillnull_value=null count min(_time) as first values(Processes.process_id) \
         as ids from datamodel=Endpoint.Processes by Processes.dest Processes.user",
        &input,
    );
    assert_eq!(col(&rows, "Processes.dest"), [json!("h1"), json!("h2")]);
    assert_eq!(col(&rows, "Processes.user"), [json!("null"), json!("u2")]);
    assert_eq!(col(&rows, "count"), [json!(2), json!(2)]);
    assert_eq!(col(&rows, "first"), [json!(100), json!(300)]);
    assert_eq!(rows[0]["ids"], json!("7"));
    assert_eq!(rows[1]["ids"], json!(["10", "9"]));
    // Without `fillnull_value`, a row without a `by` field is left out;
    // groups come in the order of their key texts.
    let rows = run(
        "| tstats count from datamodel=Endpoint.Processes by Processes.process_id",
        &input,
    );
    assert_eq!(
        col(&rows, "Processes.process_id"),
        [json!(10), json!(7), json!(9)]
    );
    assert_eq!(col(&rows, "count"), [json!(1), json!(2), json!(1)]);
    let rows = run(
        "| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user",
        &input,
    );
    assert_eq!(col(&rows, "count"), [json!(1), json!(2)]);
}

#[test]
fn tstats_aggregates_read_view_rows_as_their_filled_copies() {
    // Over a batch, a group's aggregates read its view rows in place: a
    // `by` field a row lacks reads as the `fillnull_value`, a date text
    // `_time` as its time, a missing aggregated field as nothing.
    let input = [
        json!({"_time": 100, "Processes.dest": "h1", "Processes.process_id": 7}),
        json!({"_time": "1970-01-01T00:05:00Z", "Processes.dest": "h1",
               "Processes.user": "u1", "Processes.process_id": 8}),
        json!({"timestamp": 50, "Processes.dest": "h1"}),
        json!({"_time": 400, "Processes.dest": "h2", "Processes.user": "u2",
               "Processes.process_id": "x"}),
    ];
    let rows = run(
        "| tstats fillnull_value=unknown count min(_time) as first max(_time) as last \
         values(Processes.user) as users dc(Processes.process_id) as ids \
         sum(Processes.process_id) as total from datamodel=Endpoint.Processes \
         by Processes.dest",
        &input,
    );
    assert_eq!(col(&rows, "Processes.dest"), [json!("h1"), json!("h2")]);
    assert_eq!(col(&rows, "count"), [json!(3), json!(1)]);
    assert_eq!(col(&rows, "first"), [json!(50), json!(400)]);
    assert_eq!(col(&rows, "last"), [json!(300), json!(400)]);
    assert_eq!(col(&rows, "users"), [json!("u1"), json!("u2")]);
    assert_eq!(col(&rows, "ids"), [json!(2), json!(1)]);
    assert_eq!(col(&rows, "total"), [json!(15), Json::Null]);
    // An aggregated `by` field reads the fill text where a row lacks it.
    let rows = run(
        "| tstats fillnull_value=unknown count values(Processes.user) as users \
         from datamodel=Endpoint.Processes by Processes.dest Processes.user",
        &input,
    );
    assert_eq!(
        col(&rows, "Processes.user"),
        [json!("u1"), json!("unknown"), json!("u2")]
    );
    assert_eq!(col(&rows, "count"), [json!(1), json!(2), json!(1)]);
}

#[test]
fn tstats_key_filter_through_an_overwritten_aggregate() {
    // `values(Processes.process) as process` is replaced by the `by`
    // field `Processes.process` when renamed: the filter on `process`
    // reads the group's key.
    let input = [
        json!({"_time": 100, "Processes.process": "a.exe /x", "Processes.dest": "h1"}),
        json!({"_time": 200, "Processes.process": "b.exe", "Processes.dest": "h1"}),
        json!({"_time": 300, "Processes.process": "a.exe /x", "Processes.dest": "h2"}),
    ];
    let rows = run(
        "| tstats count values(Processes.process) as process from datamodel=Endpoint.Processes \
         by Processes.dest Processes.process | rename Processes.* as * \
         | search process=\"*/x*\"",
        &input,
    );
    assert_eq!(col(&rows, "dest"), [json!("h1"), json!("h2")]);
    assert_eq!(
        col(&rows, "process"),
        [json!("a.exe /x"), json!("a.exe /x")]
    );
    assert_eq!(col(&rows, "count"), [json!(1), json!(1)]);
}

#[test]
fn tstats_join_leaves_out_groups_the_other_side_lacks() {
    // Either side of the `join` runs first; over a batch, the other side's
    // `tstats` groups only the rows whose `by` text the first side has.
    let input = [
        json!({"_time": 100, "Processes.process_guid": "{A}", "Processes.parent_process_guid": "{P}",
               "Processes.process_name": "cmd.exe", "Processes.dest": "h1"}),
        json!({"_time": 200, "Processes.process_guid": "{B}", "Processes.parent_process_guid": "{A}",
               "Processes.process_name": "whoami.exe", "Processes.dest": "h1"}),
        json!({"_time": 300, "Processes.process_guid": "{C}", "Processes.parent_process_guid": "{Q}",
               "Processes.process_name": "calc.exe", "Processes.dest": "h2"}),
        json!({"_time": 400, "Processes.process_guid": "{D}", "Processes.parent_process_guid": "{B}",
               "Processes.process_name": ["x.exe", "y.exe"], "Processes.dest": "h2"}),
    ];
    let sub = "[| tstats count as children from datamodel=Endpoint.Processes \
               by Processes.parent_process_guid Processes.process_name \
               | rename Processes.* as * | rename parent_process_guid as guid]";
    // The subsearch has no prefilter and the main search has one: the main
    // search runs first, and its rows narrow the subsearch.
    let rows = run(
        &format!(
            "| tstats count from datamodel=Endpoint.Processes \
             where Processes.process_name=cmd.exe by Processes.process_guid Processes.dest \
             | rename Processes.process_guid as guid | join guid {sub}"
        ),
        &input,
    );
    assert_eq!(col(&rows, "guid"), [json!("{A}")]);
    assert_eq!(col(&rows, "process_name"), [json!("whoami.exe")]);
    // The main search has no prefilter: the subsearch runs first, and its
    // rows narrow the main search (`max=0`: every match).
    let rows = run(
        &format!(
            "| tstats count from datamodel=Endpoint.Processes by Processes.process_guid \
             | rename Processes.* as * | eval guid=process_guid | join max=0 guid {sub}"
        ),
        &input,
    );
    // (`eval` copies the join field from a `by` field.)
    assert_eq!(
        col(&rows, "guid"),
        [json!("{A}"), json!("{B}"), json!("{B}")]
    );
    let rows = run(
        &format!(
            "| tstats count from datamodel=Endpoint.Processes by Processes.process_guid \
             | rename Processes.process_guid as guid | join max=0 guid {sub}"
        ),
        &input,
    );
    assert_eq!(
        col(&rows, "guid"),
        [json!("{A}"), json!("{B}"), json!("{B}")]
    );
}

#[test]
fn key_filters_decide_on_the_fields_they_read() {
    // A key filter is decided on a row of the `by` fields its survival
    // depends on; each query is checked against the reference run.
    let input = [
        json!({"a": "1", "b": "x", "c": 5}),
        json!({"a": "1", "b": "y", "c": 6}),
        json!({"a": "2", "b": "x", "c": 7}),
        json!({"a": "2", "b": "z"}),
    ];
    for (query, count) in [
        ("| stats count by a b | rename * as x* | search xa=1", 2),
        ("| stats count by a b | table a b count | search a=1", 2),
        (
            "| stats count by a b | eval k=a.\"-\".b | search k=\"2-x\"",
            1,
        ),
        ("| stats count by a b | rename b as a | search a=x", 2),
        ("| stats count by a b | fillnull value=n c | search c=n", 4),
        ("| stats values(c) as c by a b | search b=x", 2),
        ("| stats count by a b | where isnull(c) | search b=x", 2),
    ] {
        assert_eq!(run(query, &input).len(), count, "{query}");
    }
}

#[test]
fn tstats_normalizes_sysmon_and_4688() {
    let input = [
        sysmon1(
            "C:\\Windows\\System32\\whoami.exe",
            "whoami /all",
            "C:\\Windows\\System32\\cmd.exe",
        ),
        json!({
            "_time": 1_773_479_600,
            "EventCode": 4688,
            "Channel": "Security",
            "Computer": "ws2",
            "NewProcessName": "C:\\Windows\\System32\\whoami.exe",
            "CommandLine": "whoami",
            "ParentProcessName": "C:\\Windows\\explorer.exe",
            "SubjectUserName": "bob",
        }),
        sysmon1(
            "C:\\Windows\\notepad.exe",
            "notepad",
            "C:\\Windows\\explorer.exe",
        ),
        // Sysmon network event: not in Processes.
        json!({"EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": "whoami.exe"}),
    ];
    let rows = run(
        "| tstats count from datamodel=Endpoint.Processes where Processes.process_name=whoami.exe \
         by Processes.dest Processes.parent_process_name",
        &input,
    );
    assert_eq!(col(&rows, "Processes.dest"), [json!("ws1"), json!("ws2")]);
    assert_eq!(
        col(&rows, "Processes.parent_process_name"),
        [json!("cmd.exe"), json!("explorer.exe")]
    );
}

#[test]
fn batch_runs_match_single_runs() {
    let input = events(&[
        sysmon1(
            "C:\\Windows\\System32\\whoami.exe",
            "whoami",
            "C:\\Windows\\cmd.exe",
        ),
        sysmon1(
            "C:\\Windows\\notepad.exe",
            "notepad",
            "C:\\Windows\\explorer.exe",
        ),
    ]);
    let ctx = Context::new(NOW);
    let batch = rulecheck_spl::Batch::new(&input);
    for query in [
        "| tstats count from datamodel=Endpoint.Processes by Processes.process_name",
        "| tstats count from datamodel=Endpoint.Processes where Processes.process_name=whoami.exe by Processes.dest",
        "EventID=1 whoami | table Image",
    ] {
        let search = compile_str(query, &Macros::new(), &ctx).unwrap();
        assert_eq!(
            search.run_batch(&batch, &ctx).unwrap(),
            search.run(&input, &ctx).unwrap(),
            "{query}"
        );
    }
}

#[test]
fn from_datamodel_reads_normalized_and_data_model_form_events() {
    // One Sysmon event mapped into Endpoint.Processes, one already in the
    // data model's form, one event of another kind (outside the dataset).
    let input = [
        sysmon1(
            "C:\\Windows\\System32\\whoami.exe",
            "whoami /all",
            "C:\\Windows\\System32\\cmd.exe",
        ),
        json!({"_time": 200, "Processes.process_name": "calc.exe", "Processes.dest": "h2"}),
        json!({"_time": 300, "EventID": 3, "Image": "C:\\x.exe", "DestinationPort": 443}),
    ];
    let rows = run(
        "| from datamodel=Endpoint.Processes | table Processes.process_name Processes.dest",
        &input,
    );
    assert_eq!(
        col(&rows, "Processes.process_name"),
        [json!("whoami.exe"), json!("calc.exe")]
    );
    assert_eq!(col(&rows, "Processes.dest"), [json!("ws1"), json!("h2")]);
    // A dataset without an event: no rows, and `tstats` without `by`
    // counts none (with a prefilter or without).
    let rows = run("| from datamodel=Web.Web | table Web.url", &input);
    assert!(rows.is_empty());
    for query in [
        "| tstats count from datamodel=Web where Web.http_method=POST",
        "| tstats count from datamodel=Web",
    ] {
        assert_eq!(col(&run(query, &input), "count"), [json!(0)], "{query}");
    }
    let rows = run(
        "| tstats count from datamodel=Web where Web.http_method=POST by Web.dest",
        &input,
    );
    assert!(rows.is_empty());
    // A child dataset's constraint (`action="failure"`) keeps only its rows.
    let logons = [
        json!({"_time": 1, "Authentication.action": "failure", "Authentication.user": "a"}),
        json!({"_time": 2, "Authentication.action": "success", "Authentication.user": "b"}),
        json!({"_time": 3, "Authentication.action": "Failure", "Authentication.user": "c"}),
    ];
    let rows = run(
        "| from datamodel=Authentication.Failed_Authentication | table Authentication.user",
        &logons,
    );
    assert_eq!(col(&rows, "Authentication.user"), [json!("a"), json!("c")]);
}

#[test]
fn key_filter_decisions_carry_over_batches_at_the_same_now() {
    // A hunting search whose key filter reads `now()`: a decision made on
    // one batch is reused on the next only at the same pinned time.
    let query = "| tstats count from datamodel=Endpoint.Processes by Processes.dest \
                 | rename Processes.* as * | eval t=now() | where t > 1000 AND dest=\"h1\"";
    let search = compile_str(query, &Macros::new(), &Context::new(NOW)).unwrap();
    let input = events(&[
        json!({"_time": 100, "Processes.process_name": "a.exe", "Processes.dest": "h1"}),
        json!({"_time": 200, "Processes.process_name": "b.exe", "Processes.dest": "h2"}),
    ]);
    let (early, late) = (Context::new(500), Context::new(2000));
    for ctx in [&early, &late, &early, &late] {
        for _ in 0..2 {
            let got = search.run_batch(&Batch::new(&input), ctx).unwrap();
            let want = search.clone().unoptimized().run(&input, ctx).unwrap();
            assert_eq!(got, want, "now {}", ctx.now);
            assert_eq!(got.len(), usize::from(ctx.now == 2000), "now {}", ctx.now);
        }
    }
}
