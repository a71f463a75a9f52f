//! Flash-size probe: the whole `AuthFlow` machine on canned bytes, as firmware would link it.
//!
//! Built by `cargo xtask size` for `thumbv7em-none-eabihf` (opt-level "z", LTO, panic=abort).
//! It is never run: it only has to make the linker keep everything a device client uses. The
//! canned inputs go through `black_box` so nothing is folded away at compile time.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::hint::black_box;
use core::sync::atomic::{AtomicUsize, Ordering};

use mcp_oauth_core::flow::{AuthFlow, ClientConfig, Event, FlowConfig};
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::{Entropy, Timestamp};

/// A bump allocator over a static buffer that starts over when every block is freed.
struct Bump {
    heap: UnsafeCell<[u8; HEAP]>,
    next: AtomicUsize,
    live: AtomicUsize,
}

const HEAP: usize = 48 * 1024;

// SAFETY: the buffer is handed out in disjoint pieces claimed with atomic compare-exchange.
unsafe impl Sync for Bump {}

// SAFETY: every block returned lies inside `heap`, is aligned as asked and is never handed out
// twice while live (`next` only moves forward until `live` drops to zero).
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.heap.get() as usize;
        let mut cur = self.next.load(Ordering::Relaxed);
        loop {
            let Some(start) = base
                .checked_add(cur)
                .and_then(|p| p.checked_next_multiple_of(layout.align()))
            else {
                return core::ptr::null_mut();
            };
            let end = start - base + layout.size();
            if end > HEAP {
                return core::ptr::null_mut();
            }
            match self
                .next
                .compare_exchange_weak(cur, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.live.fetch_add(1, Ordering::Relaxed);
                    return start as *mut u8;
                }
                Err(now) => cur = now,
            }
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {
        if self.live.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.next.store(0, Ordering::Relaxed);
        }
    }
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    heap: UnsafeCell::new([0; HEAP]),
    next: AtomicUsize::new(0),
    live: AtomicUsize::new(0),
};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

const CHALLENGE: &[u8] = br#"Bearer realm="mcp", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp""#;
const PRM: &[u8] = br#"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"],"scopes_supported":["files:read"]}"#;
const AS: &[u8] = br#"{"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/authorize","token_endpoint":"https://auth.example.com/token","registration_endpoint":"https://auth.example.com/register","response_types_supported":["code"],"code_challenge_methods_supported":["S256"]}"#;
const DCR: &[u8] = br#"{"client_id":"c-123","token_endpoint_auth_method":"none","redirect_uris":["http://127.0.0.1:8765/callback"]}"#;
const TOKEN: &[u8] =
    br#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1"}"#;

fn json(status: u16, body: &[u8]) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("content-type".into(), b"application/json".to_vec())],
        black_box(body).to_vec(),
    )
}

fn serve(url: &str) -> HttpResponse {
    match url {
        "https://mcp.example.com/.well-known/oauth-protected-resource/mcp" => json(200, PRM),
        "https://auth.example.com/.well-known/oauth-authorization-server" => json(200, AS),
        "https://auth.example.com/register" => json(201, DCR),
        "https://auth.example.com/token" => json(200, TOKEN),
        _ => json(404, b"{}"),
    }
}

/// Drain requests and events; answer the authorization URL with an approving redirect.
fn drive(flow: &mut AuthFlow, now: Timestamp) -> bool {
    loop {
        if let Some((id, request)) = flow.poll_request() {
            flow.handle_response(now, id, serve(&request.url));
            continue;
        }
        match flow.poll_event() {
            Some(Event::OpenAuthorizationUrl {
                url, redirect_uri, ..
            }) => {
                let state = url
                    .split_once("state=")
                    .map_or("", |(_, r)| r.split('&').next().unwrap_or(""));
                let mut redirect = String::from(redirect_uri.as_str());
                redirect.push_str("?code=abc&state=");
                redirect.push_str(state);
                if flow.handle_redirect(now, &redirect).is_err() {
                    return false;
                }
            }
            Some(Event::Failed(_)) => return false,
            Some(_) => {}
            None => return true,
        }
    }
}

fn run() -> bool {
    let seed: [u8; 32] = black_box([7; 32]);
    let now = Timestamp::from_unix_seconds(black_box(1_700_000_000));
    let config = || {
        FlowConfig::new(
            "https://mcp.example.com/mcp",
            ClientConfig::authorization_code("Probe", "http://127.0.0.1:8765/callback"),
        )
    };
    let mut flow = AuthFlow::new(config(), Entropy::new(seed));
    let challenge = HttpResponse::new(
        401,
        vec![("www-authenticate".into(), black_box(CHALLENGE).to_vec())],
        Vec::new(),
    );
    if flow.handle_challenge(now, &challenge).is_err() || !drive(&mut flow, now) {
        return false;
    }
    let ok = flow.authorization_header(now).is_some();
    // Renewal: the refresh timer and a refresh.
    if let Some(at) = flow.poll_timeout() {
        flow.handle_timeout(at);
        drive(&mut flow, at);
    }
    flow.handle_resource_success(now);
    // Warm start from persisted state.
    let Some(state) = flow.persisted_state() else {
        return false;
    };
    let Ok(mut warm) = AuthFlow::restore(config(), Entropy::new(seed), state) else {
        return false;
    };
    ok && drive(&mut warm, now) && warm.access_token(now).is_some()
}

/// The entry point the linker starts from.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    black_box(run());
    loop {
        core::hint::spin_loop();
    }
}
