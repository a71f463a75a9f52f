//! `cargo xtask fuzz --seconds N [TARGET…]`: run every cargo-fuzz target in `fuzz/` for N
//! seconds with the nightly toolchain, fail on any crash, and record the executions reached.
//!
//! Steps:
//!
//! 1. install `cargo-fuzz` from crates.io when `cargo fuzz` is missing (`cargo install
//!    cargo-fuzz --locked`); the nightly toolchain must already be installed;
//! 2. copy the seed files of each target (the folders named in [`TARGETS`], looked up in the
//!    core's `tests/corpus/` and in `fuzz/seeds/`) into `fuzz/corpus/<target>/` (gitignored);
//! 3. `cargo +nightly fuzz build`, then `cargo +nightly fuzz run <target> -- -max_total_time=N`
//!    for each target; a non-zero exit or a new file in `fuzz/artifacts/<target>/` is a crash;
//! 4. parse libFuzzer's final `stat::number_of_executed_units` (or the `#N DONE` line) and print
//!    a table; a run of every target also writes it to `docs/fuzzing.md` with the command and
//!    the date. Each target's full output is kept in `target/fuzz-logs/<target>.log`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::{step, workspace_root};

/// Every fuzz target with the seed folders it starts from. Keep in step with
/// `fuzz/src/lib.rs` (`TARGETS`); the fuzz crate's tests check its own copy against the binaries.
const TARGETS: &[(&str, &[&str])] = &[
    ("challenge", &["www-authenticate"]),
    ("prm", &["prm"]),
    ("as_metadata", &["as-metadata"]),
    ("registration_response", &["dcr"]),
    ("token_response", &["token"]),
    ("redirect", &["redirect"]),
    ("cimd_url", &["cimd-url"]),
    ("cimd_document", &["dcr", "cimd-document"]),
    ("grant_responses", &["token", "grant-responses"]),
    ("flow", &[]),
];

/// What one target's run produced.
struct Run {
    target: &'static str,
    seeds: usize,
    executions: Option<u64>,
    exec_per_sec: Option<u64>,
    coverage: Option<u64>,
    corpus: Option<u64>,
    crash: Option<String>,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut seconds: u64 = 60;
    let mut only = BTreeSet::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let v = it.next().ok_or("--seconds needs a value")?;
                seconds = v
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or_else(|| format!("--seconds: `{v}` is not a positive integer"))?;
            }
            t if TARGETS.iter().any(|(name, _)| *name == t) => {
                only.insert(t.to_owned());
            }
            other => {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "`fuzz`: unknown argument `{other}` (usage: cargo xtask fuzz [--seconds N] [TARGET…]; targets: {})",
                    names.join(", ")
                ));
            }
        }
    }
    let root = workspace_root();
    ensure_nightly()?;
    ensure_cargo_fuzz()?;
    step(
        "build fuzz targets (nightly)",
        nightly_cargo().args(["fuzz", "build"]),
    )?;

    let mut runs = Vec::new();
    for (target, folders) in TARGETS {
        if !only.is_empty() && !only.contains(*target) {
            continue;
        }
        let seeds = seed_corpus(&root, target, folders)?;
        runs.push(run_target(&root, target, seeds, seconds)?);
    }

    let table = table(&runs);
    println!("\n{table}");
    if only.is_empty() {
        let doc = root.join("docs/fuzzing.md");
        fs::write(&doc, document(seconds, &table))
            .map_err(|e| format!("writing {}: {e}", doc.display()))?;
        println!("written to {}", doc.display());
    }
    let crashed: Vec<String> = runs
        .iter()
        .filter_map(|r| r.crash.as_ref().map(|c| format!("{}: {c}", r.target)))
        .collect();
    if crashed.is_empty() {
        println!("xtask fuzz: no crash");
        Ok(())
    } else {
        Err(format!(
            "fuzzing found crashes (logs in target/fuzz-logs/):\n  {}",
            crashed.join("\n  ")
        ))
    }
}

/// `cargo +nightly …` through the rustup proxy, without the variables the outer (stable)
/// `cargo run` set for this process.
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly")
        .current_dir(workspace_root())
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("RUSTUP_TOOLCHAIN");
    cmd
}

fn ensure_nightly() -> Result<(), String> {
    let out = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map_err(|e| format!("rustup is needed for the nightly toolchain: {e}"))?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.starts_with("nightly"))
    {
        Ok(())
    } else {
        Err("fuzzing needs a nightly toolchain: rustup toolchain install nightly".to_owned())
    }
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = nightly_cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    step(
        "install cargo-fuzz",
        Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]),
    )
}

/// Copy the seed files into `fuzz/corpus/<target>/`; returns how many.
fn seed_corpus(root: &Path, target: &str, folders: &[&str]) -> Result<usize, String> {
    let dir = root.join("fuzz/corpus").join(target);
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut n = 0;
    for folder in folders {
        for base in [
            root.join("crates/mcp-oauth-core/tests/corpus"),
            root.join("fuzz/seeds"),
        ] {
            let Ok(entries) = fs::read_dir(base.join(folder)) else {
                continue;
            };
            for entry in entries {
                let path = entry.map_err(|e| e.to_string())?.path();
                let Some(name) = path.file_name() else {
                    continue;
                };
                let to = dir.join(format!("seed-{folder}-{}", name.to_string_lossy()));
                fs::copy(&path, &to).map_err(|e| format!("copying {}: {e}", path.display()))?;
                n += 1;
            }
        }
    }
    Ok(n)
}

fn artifacts(root: &Path, target: &str) -> BTreeSet<PathBuf> {
    fs::read_dir(root.join("fuzz/artifacts").join(target))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

fn run_target(
    root: &Path,
    target: &'static str,
    seeds: usize,
    seconds: u64,
) -> Result<Run, String> {
    let before = artifacts(root, target);
    let logs = root.join("target/fuzz-logs");
    fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    let log_path = logs.join(format!("{target}.log"));
    let mut log = fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let max_time = format!("-max_total_time={seconds}");
    let mut cmd = nightly_cargo();
    cmd.args([
        "fuzz",
        "run",
        target,
        "--",
        &max_time,
        "-timeout=10",
        "-print_final_stats=1",
    ]);
    let shown = format!("{cmd:?}").replace('"', "");
    println!("\n==> fuzz {target} ({seeds} seeds, {seconds} s)\n    $ {shown}");
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("fuzz {target}: could not start: {e}"))?;
    // libFuzzer writes to stderr; cargo-fuzz's own messages go to stdout. Keep both.
    let stdout = child.stdout.take().expect("piped stdout");
    let out_thread = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    let mut run = Run {
        target,
        seeds,
        executions: None,
        exec_per_sec: None,
        coverage: None,
        corpus: None,
        crash: None,
    };
    let stderr = child.stderr.take().expect("piped stderr");
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        writeln!(log, "{line}").map_err(|e| e.to_string())?;
        parse_line(&line, &mut run);
        if line.contains("DONE") || line.contains("ERROR") || line.contains("panicked") {
            eprintln!("    {line}");
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    for line in out_thread.join().unwrap_or_default() {
        writeln!(log, "{line}").map_err(|e| e.to_string())?;
    }
    let new: Vec<PathBuf> = artifacts(root, target)
        .difference(&before)
        .cloned()
        .collect();
    if !status.success() || !new.is_empty() {
        let files: Vec<String> = new.iter().map(|p| p.display().to_string()).collect();
        run.crash = Some(format!("{status}; artifacts: [{}]", files.join(", ")));
    }
    println!(
        "<== fuzz {target}: {} after {:.0} s; log: {}",
        if run.crash.is_some() { "CRASH" } else { "ok" },
        start.elapsed().as_secs_f64(),
        log_path.display()
    );
    Ok(run)
}

/// Pick the final numbers out of libFuzzer's output.
fn parse_line(line: &str, run: &mut Run) {
    let number = |s: &str| s.trim().parse::<u64>().ok();
    if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
        run.executions = number(v);
    } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
        run.exec_per_sec = number(v);
    } else if let Some(rest) = line.strip_prefix('#')
        && line.contains("DONE")
    {
        // `#123456\tDONE   cov: 812 ft: 2301 corp: 301/24Kb lim: 4096 exec/s: 2057 rss: 92Mb`
        let words: Vec<&str> = rest.split_whitespace().collect();
        if run.executions.is_none() {
            run.executions = words.first().and_then(|w| number(w));
        }
        for pair in words.windows(2) {
            match pair[0] {
                "cov:" => run.coverage = number(pair[1]),
                "corp:" => run.corpus = pair[1].split('/').next().and_then(number),
                "exec/s:" if run.exec_per_sec.is_none() => run.exec_per_sec = number(pair[1]),
                _ => {}
            }
        }
    }
}

fn table(runs: &[Run]) -> String {
    let show = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
    let mut t = String::from(
        "| Target | Seeds | Executions | Exec/s | Coverage (edges) | Corpus at end | Result |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    for r in runs {
        let _ = writeln!(
            t,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            r.target,
            r.seeds,
            show(r.executions),
            show(r.exec_per_sec),
            show(r.coverage),
            show(r.corpus),
            if r.crash.is_some() { "**crash**" } else { "ok" }
        );
    }
    t
}

fn document(seconds: u64, table: &str) -> String {
    let nightly = nightly_cargo()
        .args(["--version"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "# Fuzzing\n\n\
         Coverage-guided fuzzing of `mcp-oauth-core` with [cargo-fuzz] (libFuzzer). The targets\n\
         live in `fuzz/` (outside the workspace); each `fuzz/fuzz_targets/<target>.rs` is a\n\
         one-line shim over the harness of the same name in `fuzz/src/`, which documents what it\n\
         asserts beyond \"no panic\". Seeds come from `crates/mcp-oauth-core/tests/corpus/` and\n\
         `fuzz/seeds/`; `cargo xtask ci` replays them through every harness on stable.\n\n\
         Last run: `cargo xtask fuzz --seconds {seconds}` on {date}, {nightly}, one target after\n\
         another for {seconds} s each on a shared 2-core machine.\n\n\
         {table}\n\
         Executions are libFuzzer's `stat::number_of_executed_units`; coverage is the `cov:` of\n\
         its final `DONE` line. libFuzzer keeps what it finds in `fuzz/corpus/<target>/`\n\
         (gitignored), so a run starts from the seeds plus whatever earlier runs on the same\n\
         machine added.\n\n\
         [cargo-fuzz]: https://github.com/rust-fuzz/cargo-fuzz\n",
        date = today(),
    )
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, H. Hinnant).
fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libfuzzer_final_lines() {
        let mut run = Run {
            target: "t",
            seeds: 0,
            executions: None,
            exec_per_sec: None,
            coverage: None,
            corpus: None,
            crash: None,
        };
        parse_line(
            "#123456\tDONE   cov: 812 ft: 2301 corp: 301/24Kb lim: 4096 exec/s: 2057 rss: 92Mb",
            &mut run,
        );
        assert_eq!(run.executions, Some(123_456));
        assert_eq!(run.coverage, Some(812));
        assert_eq!(run.corpus, Some(301));
        assert_eq!(run.exec_per_sec, Some(2057));
        parse_line("stat::number_of_executed_units: 123457", &mut run);
        assert_eq!(run.executions, Some(123_457));
    }

    #[test]
    fn today_is_a_date() {
        let d = today();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"));
    }
}
