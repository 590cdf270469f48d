//! Every `eval` function the engine implements, as rows of expression →
//! value, evaluated with `| eval out=<expression>` on one fixed event.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::approx_constant)]

use rulecheck_spl::{Context, Event, Macros, compile_str};
use serde_json::{Value as Json, json};

const NOW: i64 = 1_773_500_000;

fn event() -> Event {
    json!({
        "_time": 1_773_479_523,
        "s": "Hello World",
        "path": "C:\\Windows\\System32\\cmd.exe",
        "n": 42,
        "f": 2.5,
        "neg": -7,
        "numstr": "17",
        "hexstr": "ff",
        "mv": ["b", "a", "c", "a"],
        "nums": ["10", "9", "100"],
        "ip": "10.1.2.3",
        "ip6": "2001:db8::1",
        "url": "a%20b+c%2Fd",
        "pad": "  xx  ",
        "empty": "",
        "csv": "x,y,,z",
    })
    .as_object()
    .unwrap()
    .clone()
    .into_iter()
    .collect()
}

/// The value of `out` after `| eval out=<expr>`; `None` when unset.
fn eval(expr: &str) -> Option<Json> {
    let ctx = Context::new(NOW);
    let query = format!("| eval out={expr}");
    let search =
        compile_str(&query, &Macros::new(), &ctx).unwrap_or_else(|d| panic!("{query}: {d:#?}"));
    let rows = search.run(&[event()], &ctx).unwrap();
    assert_eq!(rows.len(), 1, "{query}");
    rows[0].get("out").cloned()
}

fn check(cases: &[(&str, Json)]) {
    let mut failures = Vec::new();
    for (expr, want) in cases {
        let got = eval(expr).unwrap_or(Json::Null);
        if &got != want {
            failures.push(format!("{expr}: got {got}, want {want}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn conditional_functions() {
    check(&[
        ("if(n>40, \"big\", \"small\")", json!("big")),
        ("if(n>50, \"big\", \"small\")", json!("small")),
        ("if(missing>1, \"y\", \"n\")", json!("n")),
        (
            "case(n<10, \"low\", n<100, \"mid\", true(), \"high\")",
            json!("mid"),
        ),
        ("case(n<10, \"low\", n<20, \"mid\")", Json::Null),
        ("case(1==1, \"first\", 1==1, \"second\")", json!("first")),
        ("coalesce(missing, other, s)", json!("Hello World")),
        ("coalesce(missing, \"\")", json!("")),
        ("coalesce(missing)", Json::Null),
        ("null()", Json::Null),
        ("if(true(), 1, 0)", json!(1)),
        ("if(false(), 1, 0)", json!(0)),
        ("true()", json!("true")),
        ("false()", json!("false")),
    ]);
}

#[test]
fn comparison_and_matching_functions() {
    check(&[
        ("if(like(s, \"Hello%\"), 1, 0)", json!(1)),
        ("if(like(s, \"hello%\"), 1, 0)", json!(0)),
        ("if(like(s, \"Hell_ World\"), 1, 0)", json!(1)),
        ("if(like(s, \"Hell_\"), 1, 0)", json!(0)),
        ("if(like(path, \"%\\\\cmd.exe\"), 1, 0)", json!(1)),
        ("if(match(s, \"^Hel+o\"), 1, 0)", json!(1)),
        ("if(match(s, \"world\"), 1, 0)", json!(0)),
        ("if(match(s, \"(?i)world\"), 1, 0)", json!(1)),
        ("if(match(missing, \"x\"), 1, 0)", json!(0)),
        ("if(cidrmatch(\"10.0.0.0/8\", ip), 1, 0)", json!(1)),
        ("if(cidrmatch(\"192.168.0.0/16\", ip), 1, 0)", json!(0)),
        ("if(cidrmatch(\"10.1.2.3/32\", ip), 1, 0)", json!(1)),
        ("if(cidrmatch(\"2001:db8::/32\", ip6), 1, 0)", json!(1)),
        ("if(cidrmatch(\"10.0.0.0/8\", ip6), 1, 0)", json!(0)),
    ]);
}

#[test]
fn informational_functions() {
    check(&[
        ("if(isnull(missing), 1, 0)", json!(1)),
        ("if(isnull(empty), 1, 0)", json!(0)),
        ("if(isnotnull(s), 1, 0)", json!(1)),
        ("if(isnotnull(missing), 1, 0)", json!(0)),
        ("if(isnum(n), 1, 0)", json!(1)),
        ("if(isnum(s), 1, 0)", json!(0)),
        ("if(isint(n), 1, 0)", json!(1)),
        ("if(isint(f), 1, 0)", json!(0)),
        ("if(isstr(s), 1, 0)", json!(1)),
        ("if(isstr(n), 1, 0)", json!(0)),
        ("typeof(s)", json!("String")),
        ("typeof(n)", json!("Number")),
        ("typeof(1==1)", json!("Boolean")),
        ("typeof(missing)", json!("Invalid")),
    ]);
}

#[test]
fn text_functions() {
    check(&[
        ("lower(s)", json!("hello world")),
        ("upper(s)", json!("HELLO WORLD")),
        ("lower(mv)", json!(["b", "a", "c", "a"])),
        ("lower(missing)", Json::Null),
        ("len(s)", json!(11)),
        ("len(empty)", json!(0)),
        ("len(\"é\")", json!(1)),
        ("substr(s, 1, 5)", json!("Hello")),
        ("substr(s, 7)", json!("World")),
        ("substr(s, -5)", json!("World")),
        ("substr(s, -5, 3)", json!("Wor")),
        ("replace(s, \"o\", \"0\")", json!("Hell0 W0rld")),
        (
            "replace(s, \"^(\\w+) (\\w+)$\", \"\\2 \\1\")",
            json!("World Hello"),
        ),
        ("replace(path, \"(?i)^.*\\\\\\\\\", \"\")", json!("cmd.exe")),
        ("split(csv, \",\")", json!(["x", "y", "", "z"])),
        (
            "split(s, \"\")",
            json!(["H", "e", "l", "l", "o", " ", "W", "o", "r", "l", "d"]),
        ),
        ("trim(pad)", json!("xx")),
        ("ltrim(pad)", json!("xx  ")),
        ("rtrim(pad)", json!("  xx")),
        ("trim(\"xxabcxx\", \"x\")", json!("abc")),
        ("ltrim(\"zzabc\", \"z\")", json!("abc")),
        ("rtrim(\"abc;;\", \";\")", json!("abc")),
        ("urldecode(url)", json!("a b c/d")),
        ("urldecode(\"%zz\")", json!("%zz")),
        ("s . \"!\"", json!("Hello World!")),
        ("n . \"x\"", json!("42x")),
    ]);
}

#[test]
fn multivalue_functions() {
    check(&[
        ("mvcount(mv)", json!(4)),
        ("mvcount(s)", json!(1)),
        ("mvcount(missing)", Json::Null),
        ("mvindex(mv, 0)", json!("b")),
        ("mvindex(mv, -1)", json!("a")),
        ("mvindex(mv, 1, 2)", json!(["a", "c"])),
        ("mvindex(mv, 9)", Json::Null),
        ("mvjoin(mv, \";\")", json!("b;a;c;a")),
        ("mvjoin(s, \";\")", json!("Hello World")),
        (
            "mvappend(s, mv)",
            json!(["Hello World", "b", "a", "c", "a"]),
        ),
        ("mvappend(missing, \"x\")", json!("x")),
        ("mvfilter(match(mv, \"^[ab]$\"))", json!(["b", "a", "a"])),
        ("mvfilter(mv==\"zz\")", Json::Null),
        ("mvfind(mv, \"c\")", json!(2)),
        ("mvfind(mv, \"^q\")", Json::Null),
        ("mvdedup(mv)", json!(["b", "a", "c"])),
        ("mvsort(mv)", json!(["a", "a", "b", "c"])),
        ("mvsort(nums)", json!(["10", "100", "9"])),
        ("mvzip(mv, nums)", json!(["b,10", "a,9", "c,100"])),
        ("mvzip(mv, nums, \"=\")", json!(["b=10", "a=9", "c=100"])),
        ("mvmap(nums, nums*2)", json!([20, 18, 200])),
        ("mvmap(mv, upper(mv))", json!(["B", "A", "C", "A"])),
    ]);
}

#[test]
fn conversion_functions() {
    check(&[
        ("tostring(n)", json!("42")),
        ("tostring(f)", json!("2.5")),
        ("tostring(1==1)", json!("true")),
        ("tostring(255, \"hex\")", json!("0xFF")),
        ("tostring(1234567.891, \"commas\")", json!("1,234,567.89")),
        ("tostring(-1234, \"commas\")", json!("-1,234")),
        ("tostring(3725, \"duration\")", json!("01:02:05")),
        ("tostring(90061, \"duration\")", json!("1+01:01:01")),
        ("tostring(missing)", Json::Null),
        ("tonumber(numstr)", json!(17)),
        ("tonumber(\"0x1F\")", json!(31)),
        ("tonumber(hexstr, 16)", json!(255)),
        ("tonumber(\"101\", 2)", json!(5)),
        ("tonumber(s)", Json::Null),
        ("tonumber(\" 12 \")", json!(12)),
        ("numstr + 1", json!(18)),
    ]);
}

#[test]
fn math_functions() {
    check(&[
        ("round(2.567)", json!(3)),
        ("round(2.567, 2)", json!(2.57)),
        ("round(-2.5)", json!(-3)),
        ("floor(f)", json!(2)),
        ("floor(neg / 2)", json!(-4)),
        ("ceiling(f)", json!(3)),
        ("ceil(f)", json!(3)),
        ("abs(neg)", json!(7)),
        ("sqrt(16)", json!(4)),
        ("pow(2, 10)", json!(1024)),
        ("exp(0)", json!(1)),
        ("ln(1)", json!(0)),
        ("log(1000)", json!(3)),
        ("log(8, 2)", json!(3)),
        ("round(pi(), 4)", json!(3.1416)),
        ("sin(0)", json!(0)),
        ("cos(0)", json!(1)),
        ("round(atan2(1, 1), 4)", json!(0.7854)),
        ("min(3, 1, 2)", json!(1)),
        ("max(3, 1, 2)", json!(3)),
        ("max(nums)", json!(100)),
        ("min(\"b\", \"a\")", json!("a")),
        ("max(10, \"abc\")", json!("abc")),
        ("sqrt(s)", Json::Null),
        ("n % 5", json!(2)),
        ("n / 4", json!(10.5)),
        ("7 - neg", json!(14)),
    ]);
}

#[test]
fn time_functions() {
    check(&[
        ("now()", json!(NOW)),
        ("time()", json!(NOW)),
        (
            "strftime(_time, \"%Y-%m-%dT%H:%M:%S\")",
            json!("2026-03-14T09:12:03"),
        ),
        (
            "strftime(0, \"%Y-%m-%d %H:%M:%S %j %a %b\")",
            json!("1970-01-01 00:00:00 001 Thu Jan"),
        ),
        ("strftime(missing, \"%Y\")", Json::Null),
        (
            "strptime(\"2026-03-14 09:12:03\", \"%Y-%m-%d %H:%M:%S\")",
            json!(1_773_479_523),
        ),
        ("strptime(\"garbage\", \"%Y-%m-%d\")", Json::Null),
        ("relative_time(1773479523, \"-1d\")", json!(1_773_393_123)),
        ("relative_time(1773479523, \"-1d@d\")", json!(1_773_360_000)),
        ("relative_time(1773479523, \"@h\")", json!(1_773_478_800)),
        ("relative_time(1773479523, \"+30m\")", json!(1_773_481_323)),
        ("relative_time(now(), \"-24h\")", json!(NOW - 86_400)),
    ]);
}

/// The functions the tests above cover, so that a function added to the
/// engine without a row here is noticed: each must compile.
#[test]
fn every_listed_function_compiles() {
    let names = [
        "if(1,1,1)",
        "case(1,1)",
        "like(s,\"x\")",
        "match(s,\"x\")",
        "lower(s)",
        "upper(s)",
        "len(s)",
        "substr(s,1)",
        "replace(s,\"a\",\"b\")",
        "split(s,\",\")",
        "trim(s)",
        "ltrim(s)",
        "rtrim(s)",
        "urldecode(s)",
        "mvcount(s)",
        "mvindex(s,0)",
        "mvjoin(s,\",\")",
        "mvappend(s)",
        "mvfilter(s==1)",
        "mvfind(s,\"x\")",
        "mvdedup(s)",
        "mvsort(s)",
        "mvzip(s,s)",
        "mvmap(s,s)",
        "isnull(s)",
        "isnotnull(s)",
        "isnum(s)",
        "isint(s)",
        "isstr(s)",
        "typeof(s)",
        "coalesce(s)",
        "tostring(s)",
        "tonumber(s)",
        "round(n)",
        "floor(n)",
        "ceiling(n)",
        "ceil(n)",
        "abs(n)",
        "sqrt(n)",
        "pow(n,2)",
        "exp(n)",
        "ln(n)",
        "log(n)",
        "pi()",
        "sin(n)",
        "cos(n)",
        "atan2(n,n)",
        "min(n)",
        "max(n)",
        "strftime(n,\"%Y\")",
        "strptime(s,\"%Y\")",
        "now()",
        "time()",
        "relative_time(n,\"-1d\")",
        "cidrmatch(\"10.0.0.0/8\",ip)",
        "null()",
        "true()",
        "false()",
    ];
    assert_eq!(names.len(), 58);
    for name in names {
        eval(name);
    }
}

#[test]
fn unknown_function_is_a_compile_error() {
    let ctx = Context::new(NOW);
    assert!(compile_str("| eval out=nosuchfunction(s)", &Macros::new(), &ctx).is_err());
}
