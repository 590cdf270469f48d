//! The `rulecheck` command: argument parsing and wiring only; the work is
//! done by the library crates.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::main() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("rulecheck: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
