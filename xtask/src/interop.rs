//! `cargo xtask interop`: the adapters against a real authorization server.
//!
//! Installs the pinned Node servers in `interop/oidc` (oidc-provider, jose and Node 22, from
//! `package-lock.json` with `npm ci`), then runs the `mcp-oauth-interop` tests, which start
//! `interop/oidc/server.mjs` on 127.0.0.1 and drive the reqwest and ureq adapters against it.
//! Network: the npm registry for the install, otherwise loopback only.

use crate::{cargo, step, workspace_root};
use std::process::Command;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`interop` takes no arguments (got `{a}`)"));
    }
    let dir = workspace_root().join("interop").join("oidc");
    step(
        "interop: install oidc-provider (npm ci)",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
            .current_dir(&dir),
    )?;
    step(
        "interop: adapters against oidc-provider",
        cargo()
            .args(["test", "-p", "mcp-oauth-interop", "--features", "interop"])
            .env("CI", "true"),
    )
}
