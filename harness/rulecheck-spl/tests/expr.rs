//! The `eval` / `where` expression language.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::where_expr;

#[test]
fn precedence_from_xor_down_to_unary() {
    let cases: &[(&str, &str)] = &[
        ("a OR b AND c", "(or a (and b c))"),
        ("a AND b OR c", "(or (and a b) c)"),
        ("a XOR b OR c", "(xor a (or b c))"),
        ("NOT a AND b", "(and (not a) b)"),
        ("NOT a = 1", "(not (= a 1))"),
        ("a = 1 + 2 * 3", "(= a (+ 1 (* 2 3)))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("a - b - c", "(- (- a b) c)"),
        ("-a * b", "(* (neg a) b)"),
        ("a . \"-\" . b", "(. (. a \"-\") b)"),
        ("name.\", \".desc", "(. (. name \", \") desc)"),
        ("x > 3 and y < 2", "(and (> x 3) (< y 2))"),
        ("a == b", "(= a b)"),
        ("a <> b", "(!= a b)"),
        ("a % 2 = 0", "(= (% a 2) 0)"),
        ("!isnull(x)", "(not isnull(x))"),
        ("x LIKE \"%a%\"", "(like x \"%a%\")"),
        ("x like \"a_\" OR y", "(or (like x \"a_\") y)"),
        ("x IN (\"a\", \"b\")", "(in x [\"a\" \"b\"])"),
    ];
    for (text, want) in cases {
        assert_eq!(where_expr(text), *want, "{text}");
    }
}

#[test]
fn literals_fields_and_calls() {
    let cases: &[(&str, &str)] = &[
        ("'Processes.process name'", "Processes.process name"),
        ("Processes.process_name", "Processes.process_name"),
        ("sourceIPs{}", "sourceIPs{}"),
        ("1.5e3", "1.5e3"),
        ("\"C:\\\\windows\"", "\"C:\\\\windows\""),
        (
            "match(process, \"(?i)\\s+x\")",
            "match(process, \"(?i)\\\\s+x\")",
        ),
        ("if(a, 1, 0)", "if(a, 1, 0)"),
        ("now()", "now()"),
        ("like(x, \"%a\")", "like(x, \"%a\")"),
        ("LIKE (x, \"%a\")", "LIKE(x, \"%a\")"),
        ("in(x, \"a\")", "in(x, \"a\")"),
        (
            "case(a=1, \"x\", true(), \"y\")",
            "case((= a 1), \"x\", true(), \"y\")",
        ),
        (
            "mvcount(split(p, \"`\"))-1",
            "(- mvcount(split(p, \"`\")) 1)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(where_expr(text), *want, "{text}");
    }
}
