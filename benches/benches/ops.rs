//! Criterion benchmarks: each operation with mcp-oauth-core ("ours"), the oauth2 /
//! openidconnect anchor where one exists, and a hand-written lower bound ("bound").
//!
//! `cargo xtask bench` runs this with short times and renders `docs/benchmarks.md`;
//! `cargo test -p mcp-oauth-bench --benches` runs every benchmark once (criterion's test mode)
//! after the equality checks.
//!
//! Before anything is timed, `check::all` asserts that all implementations give the same
//! answer, and each benchmark's heap allocations for one call are counted with a counting
//! global allocator and written (with the benchmark list) to the file named by
//! `MCP_OAUTH_BENCH_MANIFEST`, if set.
//!
//! End to end (`loopback_*` groups): both driver adapters against the `mcp-oauth-fixtures`
//! loopback servers. One authenticated `POST` through the authorized client ("ours") is timed
//! against the same `POST` with the plain `reqwest` / `ureq` client carrying the same token
//! ("bound": no authorization handling at all). The request counts (cold flow, warm start,
//! 100 concurrent requests at expiry) are measured once per run and written, one
//! `title \t adapter \t value \t target \t detail` line each, to the file named by
//! `MCP_OAUTH_BENCH_COUNTS`, if set.

#![allow(missing_docs, reason = "a bench binary")]

#[path = "../../crates/mcp-oauth-core/tests/support/counting_alloc.rs"]
mod counting_alloc;

use std::cell::RefCell;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::Criterion;
use mcp_oauth_bench::{anchor, bound, check, e2e, inputs, ours};

/// Which implementation a benchmark times.
#[derive(Clone, Copy)]
enum Role {
    Ours,
    Anchor,
    Bound,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Anchor => "anchor",
            Self::Bound => "bound",
        }
    }
}

thread_local! {
    /// `group \t id \t role \t allocations \t title` lines, in run order.
    static MANIFEST: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Count one call's heap allocations and add the benchmark to the manifest.
fn record<R>(group: &str, title: &str, id: &str, role: Role, f: impl FnOnce() -> R) {
    let (r, n) = counting_alloc::allocations(f);
    drop(black_box(r));
    MANIFEST.with(|m| {
        let _ = writeln!(
            m.borrow_mut(),
            "{group}\t{id}\t{}\t{n}\t{title}",
            role.as_str()
        );
    });
}

fn challenge(c: &mut Criterion) {
    let (g, t) = (
        "challenge",
        "WWW-Authenticate → resource_metadata (Linear 401)",
    );
    record(g, t, "ours", Role::Ours, || {
        ours::challenge(inputs::CHALLENGE)
    });
    record(g, t, "bound", Role::Bound, || {
        bound::challenge(inputs::CHALLENGE)
    });
    let mut group = c.benchmark_group(g);
    group.bench_function("ours", |b| {
        b.iter(|| ours::challenge(black_box(inputs::CHALLENGE)));
    });
    group.bench_function("bound", |b| {
        b.iter(|| bound::challenge(black_box(inputs::CHALLENGE)));
    });
    group.finish();
}

fn prm(c: &mut Criterion) {
    let (g, t) = ("prm", "Protected Resource Metadata (Linear)");
    record(g, t, "ours", Role::Ours, || ours::prm(inputs::PRM));
    record(g, t, "bound", Role::Bound, || bound::prm(inputs::PRM));
    let mut group = c.benchmark_group(g);
    group.bench_function("ours", |b| b.iter(|| ours::prm(black_box(inputs::PRM))));
    group.bench_function("bound", |b| b.iter(|| bound::prm(black_box(inputs::PRM))));
    group.finish();
}

fn as_metadata(c: &mut Criterion) {
    for (g, t, doc, oidc) in [
        (
            "as_metadata_keycloak",
            "AS metadata, Keycloak openid-configuration (7 KB)",
            inputs::AS_KEYCLOAK,
            true,
        ),
        (
            "as_metadata_linear",
            "AS metadata, Linear RFC 8414 (0.8 KB)",
            inputs::AS_LINEAR,
            false,
        ),
    ] {
        record(g, t, "ours", Role::Ours, || ours::as_metadata(doc));
        if oidc {
            record(g, t, "openidconnect", Role::Anchor, || {
                anchor::as_metadata(doc)
            });
        }
        record(g, t, "serde_owned", Role::Bound, || bound::as_metadata(doc));
        let mut group = c.benchmark_group(g);
        group.bench_function("ours", |b| b.iter(|| ours::as_metadata(black_box(doc))));
        if oidc {
            group.bench_function("openidconnect", |b| {
                b.iter(|| anchor::as_metadata(black_box(doc)));
            });
        }
        group.bench_function("serde_owned", |b| {
            b.iter(|| bound::as_metadata(black_box(doc)));
        });
        group.finish();
    }
}

fn pkce(c: &mut Criterion) {
    let (g, t) = ("pkce", "PKCE verifier + S256 challenge from fixed entropy");
    let e = &inputs::PKCE_ENTROPY;
    record(g, t, "ours", Role::Ours, || ours::pkce(e));
    record(g, t, "oauth2", Role::Anchor, || anchor::pkce(e));
    record(g, t, "bound", Role::Bound, || bound::pkce(e));
    let mut group = c.benchmark_group(g);
    group.bench_function("ours", |b| b.iter(|| ours::pkce(black_box(e))));
    group.bench_function("oauth2", |b| b.iter(|| anchor::pkce(black_box(e))));
    group.bench_function("bound", |b| b.iter(|| bound::pkce(black_box(e))));
    group.finish();
}

fn authorize_url(c: &mut Criterion) {
    let (g, t) = (
        "authorize_url",
        "Authorization URL (PKCE, state, scope, resource)",
    );
    let o = ours::AuthorizeInput::new();
    let a = anchor::AuthorizeInput::new();
    let (_, challenge) = bound::pkce(&inputs::PKCE_ENTROPY);
    record(g, t, "ours", Role::Ours, || {
        let mut buf = [0u8; 1024];
        ours::authorize_url(&o, &mut buf).map(str::len)
    });
    record(g, t, "oauth2", Role::Anchor, || anchor::authorize_url(&a));
    record(g, t, "bound", Role::Bound, || {
        let mut buf = [0u8; 1024];
        bound::authorize_url(&challenge, inputs::STATE, &mut buf).map(str::len)
    });
    let mut group = c.benchmark_group(g);
    group.bench_function("ours", |b| {
        b.iter(|| {
            let mut buf = [0u8; 1024];
            ours::authorize_url(black_box(&o), &mut buf).map(str::len)
        });
    });
    group.bench_function("oauth2", |b| {
        b.iter(|| anchor::authorize_url(black_box(&a)))
    });
    group.bench_function("bound", |b| {
        b.iter(|| {
            let mut buf = [0u8; 1024];
            bound::authorize_url(black_box(&challenge), inputs::STATE, &mut buf).map(str::len)
        });
    });
    group.finish();
}

fn redirect(c: &mut Criterion) {
    let (g, t) = ("redirect", "Redirect: parse, check state + iss, code");
    let input = ours::AuthorizeInput::new();
    let state = input.state();
    let csrf = oauth2::CsrfToken::new(inputs::STATE.into());
    let r = inputs::REDIRECT;
    record(g, t, "ours", Role::Ours, || ours::redirect(r, state));
    record(g, t, "oauth2_url_idiom", Role::Anchor, || {
        anchor::redirect(r, &csrf, inputs::ISSUER)
    });
    record(g, t, "bound", Role::Bound, || {
        let mut buf = [0u8; 256];
        bound::redirect(r, inputs::STATE, inputs::ISSUER, &mut buf).map(str::len)
    });
    let mut group = c.benchmark_group(g);
    group.bench_function("ours", |b| {
        b.iter(|| ours::redirect(black_box(r), state));
    });
    group.bench_function("oauth2_url_idiom", |b| {
        b.iter(|| anchor::redirect(black_box(r), &csrf, inputs::ISSUER));
    });
    group.bench_function("bound", |b| {
        b.iter(|| {
            let mut buf = [0u8; 256];
            bound::redirect(black_box(r), inputs::STATE, inputs::ISSUER, &mut buf).map(str::len)
        });
    });
    group.finish();
}

fn token(c: &mut Criterion) {
    let (g, t) = (
        "token_response",
        "Token response (access + refresh + scope)",
    );
    let input = ours::TokenInput::new();
    record(g, t, "ours", Role::Ours, || ours::token(&input));
    record(g, t, "oauth2", Role::Anchor, || {
        anchor::token(inputs::TOKEN)
    });
    record(g, t, "serde_owned", Role::Bound, || {
        bound::token(inputs::TOKEN)
    });
    let mut group = c.benchmark_group(g);
    group.bench_function("ours", |b| b.iter(|| ours::token(black_box(&input))));
    group.bench_function("oauth2", |b| {
        b.iter(|| anchor::token(black_box(inputs::TOKEN)));
    });
    group.bench_function("serde_owned", |b| {
        b.iter(|| bound::token(black_box(inputs::TOKEN)));
    });
    group.finish();
}

fn flow(c: &mut Criterion) {
    let (g, t) = (
        "flow_cold",
        "Cold flow 401 → token, canned responses (AuthFlow)",
    );
    let mut browser = String::with_capacity(256);
    record(g, t, "ours", Role::Ours, ours::flow);
    record(g, t, "oauth2_openidconnect", Role::Anchor, anchor::flow);
    record(g, t, "bound", Role::Bound, || {
        bound::flow(&mut browser).map(|(i, _)| i.len())
    });
    let mut group = c.benchmark_group(g);
    group.bench_function("ours", |b| b.iter(ours::flow));
    group.bench_function("oauth2_openidconnect", |b| b.iter(anchor::flow));
    group.bench_function("bound", |b| b.iter(|| bound::flow(&mut browser)));
    group.finish();
}

/// The authorized client against the plain one, both adapters; the bodies must match first.
fn loopback(c: &mut Criterion) {
    let r = e2e::ReqwestPair::new();
    assert_eq!(r.authorized(), r.plain(), "reqwest: same response body");
    let u = e2e::UreqPair::new();
    assert_eq!(u.authorized(), u.plain(), "ureq: same response body");
    let tr = "reqwest (async): one authenticated MCP POST over loopback";
    let tu = "ureq (blocking): one authenticated MCP POST over loopback";
    record("loopback_reqwest", tr, "authorized", Role::Ours, || {
        r.authorized()
    });
    record("loopback_reqwest", tr, "plain", Role::Bound, || r.plain());
    record("loopback_ureq", tu, "authorized", Role::Ours, || {
        u.authorized()
    });
    record("loopback_ureq", tu, "plain", Role::Bound, || u.plain());
    let mut group = c.benchmark_group("loopback_reqwest");
    group.bench_function("authorized", |b| b.iter(|| r.authorized()));
    group.bench_function("plain", |b| b.iter(|| r.plain()));
    group.finish();
    let mut group = c.benchmark_group("loopback_ureq");
    group.bench_function("authorized", |b| b.iter(|| u.authorized()));
    group.bench_function("plain", |b| b.iter(|| u.plain()));
    group.finish();
    // Every timed request was authorized on the first try (no 401 → flow in the loop).
    assert_eq!(r.failures(), 0, "reqwest: no MCP request failed");
    assert_eq!(u.failures(), 0, "ureq: no MCP request failed");
}

/// The request counts of both adapters, once.
fn loopback_counts() -> String {
    let mut out = e2e::count_lines("reqwest", &e2e::reqwest_side::counts());
    out.push_str(&e2e::count_lines("ureq", &e2e::ureq_side::counts()));
    out
}

fn main() {
    check::all();
    let mut c = Criterion::default().configure_from_args();
    challenge(&mut c);
    prm(&mut c);
    as_metadata(&mut c);
    pkce(&mut c);
    authorize_url(&mut c);
    redirect(&mut c);
    token(&mut c);
    flow(&mut c);
    loopback(&mut c);
    let counts = loopback_counts();
    c.final_summary();
    if let Some(path) = std::env::var_os("MCP_OAUTH_BENCH_MANIFEST") {
        let text = MANIFEST.with(|m| m.borrow().clone());
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("could not write {}: {e}", path.to_string_lossy());
            std::process::exit(1);
        }
    }
    if let Some(path) = std::env::var_os("MCP_OAUTH_BENCH_COUNTS")
        && let Err(e) = std::fs::write(&path, counts)
    {
        eprintln!("could not write {}: {e}", path.to_string_lossy());
        std::process::exit(1);
    }
}
