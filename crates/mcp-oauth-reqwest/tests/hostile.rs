//! The hostile-peer suite: every case of `mcp_oauth_fixtures::hostile::cases()` (mix-up, CSRF,
//! SSRF, PKCE downgrade, token leakage, resource abuse) against this adapter. Each case must
//! end in its expected typed error or recovery, never a panic, with no fixture secret in the
//! log (tracing at TRACE, `log` records) or in the error. The blocking twin runs the same list.

use std::time::Instant;

use mcp_oauth_fixtures::Fixtures;
use mcp_oauth_fixtures::hostile::{self, Case, LogCapture, LoopbackProbe, Outcome, Phase, Step};
use mcp_oauth_reqwest::{AuthorizedClient, Error, Limits, RedirectFollower};
use serde_json::{Value, json};

fn echo() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
           "params": {"name": "echo", "arguments": {"text": "hi"}}})
}

fn write_tool() -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
           "params": {"name": "write", "arguments": {}}})
}

async fn run(case: &Case, log: &LogCapture) -> Result<(), String> {
    let fx = Fixtures::start(case.config())
        .await
        .map_err(|e| format!("fixtures: {e}"))?;
    let mut limits = Limits::default().total_timeout(case.total_timeout);
    if let Some(bytes) = case.body_limit {
        limits = limits.body_limit(bytes);
    }
    let probe = LoopbackProbe::new();
    let builder = AuthorizedClient::builder(fx.mcp_url())
        .client_name("hostile")
        .limits(limits);
    let builder = match case.step {
        Step::LoopbackWithForgeries => builder.interaction(probe.interaction()),
        _ => builder.follow_redirects(RedirectFollower::new().map_err(|e| e.to_string())?),
    };
    let client = builder.build().map_err(|e| format!("build: {e}"))?;
    if case.phase != Phase::Cold {
        let r = client.post_json(&echo()).await;
        let status = r.map(|r| r.status().as_u16()).map_err(|e| e.to_string());
        if status != Ok(200) {
            return Err(format!("clean authorization before the faults: {status:?}"));
        }
        case.arm(&fx);
    }
    let body = if case.phase == Phase::StepUp {
        write_tool()
    } else {
        echo()
    };
    let outcome = match client.post_json(&body).await {
        Ok(r) => Outcome::Status(r.status().as_u16()),
        Err(Error::Flow(e)) => Outcome::Flow(e),
        Err(Error::Transport(t)) => Outcome::Transport(t),
        Err(e) => Outcome::Other(format!("{e} / {e:?}")),
    };
    hostile::verify(case, &fx, &outcome, &log.text())?;
    if case.step == Step::LoopbackWithForgeries {
        probe.verify()?;
    }
    Ok(())
}

// covers: the IDs each case lists (see `mcp_oauth_fixtures::hostile::cases` and
// docs/security.md): A-7, Z-4, C-9, C-10, P-12, C-6, Q-8, C-7, C-14, C-3, D-14, Z-6, Z-2,
// P-10, A-13, A-10, A-11, K-8, U-6, P-14, T-11, T-12, F-8, A-15, P-7, U-5, Z-5, Z-13, P-6,
// V-1, V-8, A-12, A-6, P-5, F-5, V-7, D-2, D-4, D-10, G-20, V-11
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_case_ends_typed_or_recovered_and_leaks_nothing() {
    let log = LogCapture::install();
    let started = Instant::now();
    let mut failures = Vec::new();
    let cases = hostile::cases();
    for case in &cases {
        let t = Instant::now();
        if let Err(e) = run(case, log).await {
            failures.push(format!("{}: {e}", case.name));
        }
        println!("{:<60} {:>6} ms", case.name, t.elapsed().as_millis());
    }
    println!("{} cases in {:?}", cases.len(), started.elapsed());
    assert!(
        log.text().contains("mcp_oauth.flow"),
        "the flow's spans were captured"
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
