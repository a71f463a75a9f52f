//! `cargo xtask ci`: the one test command.

use crate::{cargo, step};
use std::process::Command;

/// The target without std used to prove the core and its dependencies are `no_std`.
pub(crate) const NO_STD_TARGET: &str = "thumbv7em-none-eabihf";

/// The cargo-fuzz crate, outside the workspace.
const FUZZ_MANIFEST: &str = "fuzz/Cargo.toml";

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`ci` takes no arguments (got `{a}`)"));
    }
    step("format", cargo().args(["fmt", "--all", "--check"]))?;
    step(
        "format (fuzz)",
        cargo().args(["fmt", "--manifest-path", FUZZ_MANIFEST, "--check"]),
    )?;
    step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(
        "clippy (core, no default features)",
        cargo().args([
            "clippy",
            "-p",
            "mcp-oauth-core",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // `jose` without `jose-rsa`: the ES256-only configuration has its own cfg paths (DPoP
    // with it, which needs ES256 only).
    step(
        "clippy (core, jose and dpop without rsa)",
        cargo().args([
            "clippy",
            "-p",
            "mcp-oauth-core",
            "--no-default-features",
            "--features",
            "jose,dpop",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // INSTA_UPDATE=no: a changed, new or missing snapshot fails instead of being written.
    step(
        "tests",
        cargo()
            // The interop tests need Node and an install: the `interop` step below runs them.
            .args([
                "test",
                "--workspace",
                "--all-features",
                "--exclude",
                "mcp-oauth-interop",
            ])
            .env("INSTA_UPDATE", "no")
            .env("CI", "true"),
    )?;
    // Criterion's test mode: the equality checks, then every benchmark run once, so the benches
    // cannot rot (benches are not part of `cargo test --workspace`).
    step(
        "benches (test mode)",
        cargo().args(["test", "-p", "mcp-oauth-bench", "--benches"]),
    )?;
    ensure_target(NO_STD_TARGET)?;
    step(
        "no_std build (core)",
        cargo().args([
            "build",
            "-p",
            "mcp-oauth-core",
            "--no-default-features",
            "--target",
            NO_STD_TARGET,
        ]),
    )?;
    // The JOSE signing module and its RustCrypto dependencies (p256, rsa) are `no_std` too, and
    // so is DPoP.
    step(
        "no_std build (core, jose-rsa, dpop)",
        cargo().args([
            "build",
            "-p",
            "mcp-oauth-core",
            "--no-default-features",
            "--features",
            "jose-rsa,dpop",
            "--target",
            NO_STD_TARGET,
        ]),
    )?;
    // The flash-size probes (about 45 s for both from cold on two cores): they prove the whole
    // flow machine links into a `no_std` binary. Sizes are reported by `cargo xtask size`.
    crate::size::build_all()?;
    step(
        "docs",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    // The fuzz crate is outside the workspace (cargo-fuzz builds it with nightly). Its harnesses
    // are a plain library; without the default `libfuzzer` feature it builds on stable without
    // compiling libFuzzer, and its tests replay the seed corpus through every harness. The
    // fuzz target binaries are one-line shims and are left to `cargo xtask fuzz`.
    step(
        "clippy (fuzz harnesses)",
        cargo().args([
            "clippy",
            "--manifest-path",
            FUZZ_MANIFEST,
            "--no-default-features",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(
        "fuzz harnesses over the seed corpus",
        cargo().args([
            "test",
            "--manifest-path",
            FUZZ_MANIFEST,
            "--no-default-features",
        ]),
    )?;
    // The MCP conformance suite (npm registry for `npm ci`, loopback for the rest).
    let start = std::time::Instant::now();
    println!("\n==> conformance\n    $ cargo xtask conformance --no-doc");
    crate::conformance::run(&["--no-doc".to_owned()])
        .map_err(|e| format!("step `conformance` failed: {e}"))?;
    println!(
        "<== conformance: ok ({:.1}s)",
        start.elapsed().as_secs_f64()
    );
    crate::interop::run(&[])?;
    println!("\nxtask ci: all steps passed");
    Ok(())
}

/// Install a rustup target when it is missing.
pub(crate) fn ensure_target(target: &str) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is needed to add the {target} target: {e}"))?;
    let listed = String::from_utf8_lossy(&installed.stdout);
    if listed.lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    step(
        &format!("install target {target}"),
        Command::new("rustup").args(["target", "add", target]),
    )
}
