//! Starts the fixture servers on loopback and prints their URLs, for manual testing.
//!
//! ```text
//! cargo run -p mcp-oauth-fixtures --bin fixture-servers -- [--sse] [--multi-hop]
//!     [--ttl SECONDS] [--no-rotation] [--no-refresh]
//! ```
//!
//! Runs until stdin closes (Ctrl-D) or the process is interrupted.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use mcp_oauth_fixtures::{ConsentMode, FixtureConfig, Fixtures};

const USAGE: &str =
    "usage: fixture-servers [--sse] [--multi-hop] [--ttl SECONDS] [--no-rotation] [--no-refresh]";

fn parse_args() -> Result<FixtureConfig, String> {
    let mut cfg = FixtureConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        cfg = match arg.as_str() {
            "--sse" => cfg.sse(true),
            "--multi-hop" => cfg.consent(ConsentMode::MultiHop),
            "--no-rotation" => cfg.rotate_refresh_tokens(false),
            "--no-refresh" => cfg.refresh_tokens(false),
            "--ttl" => {
                let secs = args
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or("--ttl needs a number of seconds")?;
                cfg.access_token_ttl(Duration::from_secs(secs))
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        };
    }
    Ok(cfg)
}

fn main() -> ExitCode {
    let cfg = match parse_args() {
        Ok(cfg) => cfg,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let fixtures = match Fixtures::start_blocking(cfg) {
        Ok(f) => f,
        Err(err) => {
            eprintln!("fixture-servers: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("MCP endpoint:        {}", fixtures.mcp_url());
    println!("PRM:                 {}", fixtures.prm_url());
    println!("AS issuer:           {}", fixtures.issuer());
    println!("AS metadata:         {}", fixtures.as_metadata_url());
    println!("decoy origin:        {}", fixtures.decoy_origin());
    println!("service client id:   {}", fixtures.service_client_id());
    println!("service secret:      {}", fixtures.service_client_secret());
    println!("(close stdin or press Ctrl-C to stop)");
    // Block until stdin reaches EOF; the servers run on their own thread meanwhile.
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    drop(fixtures);
    ExitCode::SUCCESS
}
