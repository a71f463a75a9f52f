//! The blocking quickstart.
//!
//! ```text
//! cargo run -p mcp-oauth-ureq --example quickstart             # demo servers on loopback
//! cargo run -p mcp-oauth-ureq --example quickstart -- <MCP URL>  # a real server: browser + file store
//! ```
//!
//! Without an argument it starts the in-repo authorization server and MCP server on
//! 127.0.0.1 (automatic consent), runs the whole flow headlessly with the redirect follower,
//! prints each step, and ends with the result of a tool call. With a URL it opens the system
//! browser for the login and keeps tokens in `~/.config/mcp-oauth/tokens.json` (0600), so a
//! second run starts warm.

use std::path::PathBuf;
use std::process::ExitCode;

use mcp_oauth_fixtures::{FixtureConfig, Fixtures};
use mcp_oauth_ureq::{AuthorizedClient, FileStore, Interaction, RedirectFollower};
use serde_json::{Value, json};

fn main() -> ExitCode {
    let result = match std::env::args().nth(1) {
        None => demo(),
        Some(url) => real(&url),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "mcp-oauth quickstart", "version": env!("CARGO_PKG_VERSION")}}})
}

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    println!("1. starting the demo servers on loopback");
    let fixtures = Fixtures::start_blocking(FixtureConfig::default())?;
    println!("   MCP server:           {}", fixtures.mcp_url());
    println!("   authorization server: {}", fixtures.issuer());

    println!("2. building the client (redirect follower instead of a browser, memory store)");
    let client = AuthorizedClient::builder(fixtures.mcp_url())
        .client_name("mcp-oauth quickstart")
        .follow_redirects(RedirectFollower::new())
        .build()?;
    println!("   redirect URI:         {}", client.redirect_uri());

    println!("3. initialize: 401 → discovery → registration → authorization → token → retry");
    let response = client.post_json(&initialize())?;
    println!("   HTTP {}", response.status());
    println!("   what the flow did:");
    for line in client.report().lines() {
        println!("     {line}");
    }

    println!("4. calling the `echo` tool with the token");
    let mut response = client
        .post_json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "hello from mcp-oauth"}}}))?;
    let status = response.status();
    let body: Value = serde_json::from_slice(&response.body_mut().read_to_vec()?)?;
    println!("   HTTP {status}");
    println!("   result: {}", body["result"]["content"][0]["text"]);
    let stats = fixtures.stats();
    println!(
        "5. done: {} MCP requests ({} answered 401), {} token request(s)",
        stats.mcp_total(),
        stats.mcp(401),
        stats.token_total()
    );
    if status.is_success() && body["result"]["isError"] == json!(false) {
        Ok(())
    } else {
        Err("the tool call failed".into())
    }
}

fn real(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or("no HOME or XDG_CONFIG_HOME to keep tokens in")?;
    let path = base.join("mcp-oauth").join("tokens.json");
    println!("token store: {}", path.display());
    let client = AuthorizedClient::builder(url)
        .client_name("mcp-oauth quickstart")
        .store(FileStore::new(path))
        .interaction(Interaction::Browser)
        .build()?;
    let mut response = client.post_json(&initialize())?;
    println!("initialize: HTTP {}", response.status());
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    println!("{}", response.body_mut().read_to_string()?);
    let mut request = client
        .request(ureq::http::Method::POST, client.mcp_url())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let request = request.body(br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#.to_vec())?;
    let mut response = client.send(request)?;
    println!("tools/list: HTTP {}", response.status());
    println!("{}", response.body_mut().read_to_string()?);
    Ok(())
}
