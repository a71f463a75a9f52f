//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! Commands:
//!
//! - `ci`: everything CI checks, in order, stopping at the first failure.
//! - `bench`: the criterion benchmarks, rendered into `docs/benchmarks.md`.
//! - `size`: flash size of the `no_std` flow machine on `thumbv7em-none-eabihf`.
//! - `conformance`: the official MCP conformance suite's client auth scenarios against
//!   `mcp-oauth-conformance` (see [`conformance`]).
//! - `interop`: the adapters against a real authorization server (oidc-provider on loopback).
//! - `fuzz`: run every cargo-fuzz target (nightly) for N seconds and record the executions in
//!   `docs/fuzzing.md`. Not part of `ci` (too slow); `ci` only builds and replays the harnesses.
//!
//! The pattern is matklad's cargo-xtask: plain Rust, no shell scripts, nothing to install but
//! cargo and rustup.

use std::env;
use std::process::{Command, ExitCode};
use std::time::Instant;

mod bench;
mod ci;
mod conformance;
mod fuzz;
mod interop;
mod size;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  ci           run every check CI runs: fmt, clippy, tests (snapshots locked), benches in test
               mode, the no_std build and size probes, docs, fuzz harness replay, conformance,
               interop
  bench        run the benchmarks (a few minutes) and write the table to docs/benchmarks.md
  size         build the no_std size probes for thumbv7em-none-eabihf and report .text/.rodata
  conformance  run the MCP conformance suite's client auth scenarios (npm ci, loopback only);
               writes docs/conformance.md (not with `--no-doc`);
               `--only <text>` runs matching scenarios only
  interop      npm ci in interop/oidc, then the adapters against oidc-provider on 127.0.0.1
  fuzz         [--seconds N] [TARGET...] run each cargo-fuzz target for N seconds (default 60)
               with nightly; fails on a crash; a run of all targets writes docs/fuzzing.md
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("size") => size::run(&args[1..]),
        Some("conformance") => conformance::run(&args[1..]),
        Some("interop") => interop::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> std::path::PathBuf {
    let manifest = env!("CARGO_MANIFEST_DIR");
    std::path::Path::new(manifest)
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `cargo` as the caller invoked it (respects `$CARGO`, which cargo sets for subcommands).
fn cargo() -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

/// Run a named step; fail with a message naming the step and the command.
fn step(name: &str, cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}").replace('"', "");
    println!("\n==> {name}\n    $ {shown}");
    let start = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("step `{name}`: could not start: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    if status.success() {
        println!("<== {name}: ok ({secs:.1}s)");
        Ok(())
    } else {
        Err(format!(
            "step `{name}` failed ({status}) after {secs:.1}s; rerun: {shown}"
        ))
    }
}
