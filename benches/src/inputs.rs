//! Canned inputs, shared by every implementation. Real documents come from the vendored corpus.

/// Linear's MCP 401 `WWW-Authenticate` header (corpus `www-authenticate/linear-mcp-401-2026-08.txt`).
pub const CHALLENGE: &str = include_str!(
    "../../crates/mcp-oauth-core/tests/corpus/www-authenticate/linear-mcp-401-2026-08.txt"
);

/// Linear's Protected Resource Metadata (corpus `prm/linear-mcp-root-2026-08.json`).
pub const PRM: &[u8] =
    include_bytes!("../../crates/mcp-oauth-core/tests/corpus/prm/linear-mcp-root-2026-08.json");

/// Keycloak's OpenID configuration, 7 KB (corpus `as-metadata/dockyard-keycloak-converted.json`).
pub const AS_KEYCLOAK: &[u8] = include_bytes!(
    "../../crates/mcp-oauth-core/tests/corpus/as-metadata/dockyard-keycloak-converted.json"
);

/// Linear's RFC 8414 metadata (corpus `as-metadata/linear-mcp-2026-08.json`).
pub const AS_LINEAR: &[u8] =
    include_bytes!("../../crates/mcp-oauth-core/tests/corpus/as-metadata/linear-mcp-2026-08.json");

/// The fixed entropy PKCE is derived from.
pub const PKCE_ENTROPY: [u8; 32] = [
    0x3b, 0x91, 0x07, 0xe2, 0x5c, 0xa8, 0x14, 0x6f, 0xd0, 0x29, 0x73, 0xbe, 0x48, 0x05, 0xfa, 0x61,
    0x9c, 0x22, 0xe7, 0x3d, 0x80, 0x5b, 0xc4, 0x16, 0x6a, 0xf3, 0x0e, 0x97, 0x51, 0xad, 0x38, 0xc2,
];

/// The fixed entropy `state` is derived from.
pub const STATE_ENTROPY: [u8; 32] = [0xa5; 32];

/// Authorization request parameters (Linear's endpoints).
pub const AUTHORIZATION_ENDPOINT: &str = "https://mcp.linear.app/authorize";
/// The client identifier (a Client ID Metadata Document URL, as MCP clients use).
pub const CLIENT_ID: &str = "https://client.example.net/oauth/metadata.json";
/// A loopback redirect URI.
pub const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";
/// The requested scopes.
pub const SCOPES: &str = "read write";
/// The RFC 8707 `resource`.
pub const RESOURCE: &str = "https://mcp.linear.app/mcp";
/// The issuer, for the RFC 9207 `iss` check.
pub const ISSUER: &str = "https://mcp.linear.app";

/// `state` derived from [`STATE_ENTROPY`] (base64url of 32 × 0xa5).
pub const STATE: &str = "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU";

/// The browser's redirect back: code (with an escape), state, RFC 9207 `iss`.
pub const REDIRECT: &str = "http://127.0.0.1:33418/callback?code=SplxlOBeZQQYbYS6WxSbIA%2Bv2&\
state=paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU&iss=https%3A%2F%2Fmcp.linear.app";

/// A token response as MCP authorization servers send it.
pub const TOKEN: &[u8] = br#"{"access_token":"lin_oauth_8f1a2b3c4d5e6f708192a3b4c5d6e7f8","token_type":"Bearer","expires_in":86399,"refresh_token":"lin_refresh_0a1b2c3d4e5f60718293a4b5c6d7e8f9","scope":"read write"}"#;

/// The moment the token response arrives (Unix seconds).
pub const NOW: u64 = 1_760_000_000;

/// The cold flow's canned world: one MCP server, one authorization server, a pre-registered
/// public client. The AS document also carries the OpenID members `openidconnect` requires.
pub mod world {
    /// The MCP endpoint.
    pub const MCP_URL: &str = "https://mcp.example.com/mcp";
    /// The 401's challenge.
    pub const CHALLENGE: &str = r#"Bearer realm="mcp", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp""#;
    /// Where the PRM is.
    pub const PRM_URL: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
    /// The PRM.
    pub const PRM: &[u8] = br#"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"],"scopes_supported":["files:read"],"bearer_methods_supported":["header"]}"#;
    /// The issuer.
    pub const ISSUER: &str = "https://auth.example.com";
    /// RFC 8414 metadata URL.
    pub const AS_URL: &str = "https://auth.example.com/.well-known/oauth-authorization-server";
    /// OpenID Connect discovery URL (what `openidconnect` fetches).
    pub const OIDC_URL: &str = "https://auth.example.com/.well-known/openid-configuration";
    /// The AS metadata.
    pub const AS: &[u8] = br#"{"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/authorize","token_endpoint":"https://auth.example.com/token","jwks_uri":"https://auth.example.com/jwks","response_types_supported":["code"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"],"grant_types_supported":["authorization_code","refresh_token"],"code_challenge_methods_supported":["S256"],"token_endpoint_auth_methods_supported":["none"],"authorization_response_iss_parameter_supported":true}"#;
    /// The token endpoint.
    pub const TOKEN_URL: &str = "https://auth.example.com/token";
    /// The token response.
    pub const TOKEN: &[u8] = br#"{"access_token":"at-3f9c1e7a5b2d4086","token_type":"Bearer","expires_in":3600,"scope":"files:read"}"#;
    /// The pre-registered client.
    pub const CLIENT_ID: &str = "client-1";
    /// The loopback redirect URI.
    pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";
    /// The authorization code the "user" comes back with.
    pub const CODE: &str = "Spl-xlOBeZQQYbYS6WxSbIA";
    /// The flow seed.
    pub const SEED: [u8; 32] = [7; 32];

    /// The canned answer to a GET or POST of `url`: status and body (empty body for 404).
    #[must_use]
    pub fn serve(url: &str) -> (u16, &'static [u8]) {
        match url {
            PRM_URL => (200, PRM),
            AS_URL | OIDC_URL => (200, AS),
            TOKEN_URL => (200, TOKEN),
            _ => (404, b"{}"),
        }
    }

    /// The redirect back for an authorization URL: the "user" approves at once, the AS echoes
    /// `state` and sends `iss` (RFC 9207). Written into `buf`.
    #[must_use]
    pub fn redirect_for<'b>(authorization_url: &str, buf: &'b mut String) -> &'b str {
        let state = authorization_url
            .split_once("state=")
            .map_or("", |(_, rest)| rest.split('&').next().unwrap_or(""));
        buf.clear();
        buf.push_str(REDIRECT_URI);
        buf.push_str("?code=");
        buf.push_str(CODE);
        buf.push_str("&state=");
        buf.push_str(state);
        buf.push_str("&iss=https%3A%2F%2Fauth.example.com");
        buf
    }
}
