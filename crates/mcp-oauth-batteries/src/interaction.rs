//! The interactive step: get the user to the authorization URL and the redirect back.
//!
//! When the flow emits [`Event::OpenAuthorizationUrl`](mcp_oauth_core::flow::Event), the adapter
//! builds an [`AuthorizationPrompt`] and runs its [`Interaction`] (blocking; async adapters run
//! it on a blocking thread). Each variant returns the redirect URL for
//! [`AuthFlow::handle_redirect`](mcp_oauth_core::flow::AuthFlow::handle_redirect):
//!
//! - [`Interaction::Browser`] (the default): bind the [loopback listener](crate::loopback) on the
//!   redirect URI's port, then open the system browser (`webbrowser`: the external user agent,
//!   never an embedded view, never through a shell; checklist Q-12). If no browser can be
//!   opened, the URL is printed to stderr and the listener still waits.
//! - [`Interaction::Headless`]: print the URL (and the issuer, Z-14) to stderr and read the
//!   redirect URL the user pastes on stdin.
//! - [`Interaction::Callback`]: a closure; for tests and non-interactive clients (the adapters
//!   ship a redirect follower built on [`follow`](crate::follow)).
//! - [`Interaction::DeviceCallback`]: a closure that presents a device code (below); it cannot
//!   complete a redirect.
//!
//! With the device authorization grant (RFC 8628, the adapters' `device_authorization`
//! option), the flow emits [`Event::DeviceAuthorization`](mcp_oauth_core::flow::Event) instead:
//! the adapter builds a [`DevicePrompt`] and calls [`Interaction::present_device_code`], which
//! must not block (the flow polls the token endpoint meanwhile). Browser, headless and redirect
//! callback interactions print the user code and the verification URI to stderr (the browser
//! variant also tries to open the URI with the code filled in); a
//! [`Interaction::DeviceCallback`] gets the prompt.
//!
//! ```
//! use core::time::Duration;
//! use mcp_oauth_batteries::{AuthorizationPrompt, Interaction};
//!
//! let interaction = Interaction::callback(|prompt: &AuthorizationPrompt| {
//!     // A pretend user who approves at once.
//!     let state = prompt.state().unwrap_or_default();
//!     Ok(format!("{}?code=c&state={state}", prompt.redirect_uri()))
//! });
//! let prompt = AuthorizationPrompt::new(
//!     "https://as.example.com/authorize?client_id=c&state=xyz",
//!     "http://127.0.0.1:8765/callback",
//!     "https://as.example.com",
//! );
//! let redirect = interaction.run(&prompt, Duration::from_secs(60))?;
//! assert_eq!(redirect, "http://127.0.0.1:8765/callback?code=c&state=xyz");
//! # Ok::<(), mcp_oauth_batteries::InteractionError>(())
//! ```

use core::fmt;
use core::time::Duration;
use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::loopback::{Expected, LoopbackError, LoopbackListener};

/// What the user must be shown: from [`Event::OpenAuthorizationUrl`](mcp_oauth_core::flow::Event).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationPrompt {
    url: String,
    redirect_uri: String,
    issuer: String,
}

impl fmt::Debug for AuthorizationPrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationPrompt")
            .field("url", &crate::http::loggable_url(&self.url))
            .field("redirect_uri", &self.redirect_uri)
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl AuthorizationPrompt {
    /// The prompt for `url` (the authorization URL), coming back to `redirect_uri`, at `issuer`.
    #[must_use]
    pub fn new(
        url: impl Into<String>,
        redirect_uri: impl Into<String>,
        issuer: impl Into<String>,
    ) -> Self {
        Self {
            url: url.into(),
            redirect_uri: redirect_uri.into(),
            issuer: issuer.into(),
        }
    }

    /// The authorization URL to open.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redirect URI the authorization server will send the browser to.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The authorization server's issuer (show it to the user: where they are logging in).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `state` parameter of the authorization URL.
    #[must_use]
    pub fn state(&self) -> Option<String> {
        let url = url::Url::parse(&self.url).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
    }
}

/// What the user must be shown for the device authorization grant (RFC 8628 §3.3): from
/// [`Event::DeviceAuthorization`](mcp_oauth_core::flow::Event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePrompt {
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_at: mcp_oauth_core::Timestamp,
    issuer: String,
}

impl DevicePrompt {
    /// The prompt: enter `user_code` at `verification_uri` (or open
    /// `verification_uri_complete`) before `expires_at`, at `issuer`.
    #[must_use]
    pub fn new(
        user_code: impl Into<String>,
        verification_uri: impl Into<String>,
        verification_uri_complete: Option<String>,
        expires_at: mcp_oauth_core::Timestamp,
        issuer: impl Into<String>,
    ) -> Self {
        Self {
            user_code: user_code.into(),
            verification_uri: verification_uri.into(),
            verification_uri_complete,
            expires_at,
            issuer: issuer.into(),
        }
    }

    /// The code the user enters.
    #[must_use]
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// Where the user enters it.
    #[must_use]
    pub fn verification_uri(&self) -> &str {
        &self.verification_uri
    }

    /// The verification URI with the code filled in, if the server gave one.
    #[must_use]
    pub fn verification_uri_complete(&self) -> Option<&str> {
        self.verification_uri_complete.as_deref()
    }

    /// When the code expires.
    #[must_use]
    pub fn expires_at(&self) -> mcp_oauth_core::Timestamp {
        self.expires_at
    }

    /// The authorization server's issuer (where the user is logging in).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The text printed to stderr by the built-in interactions.
    #[must_use]
    pub fn message(&self) -> String {
        let mut text = format!(
            "Log in at {}: on any device, open\n\n  {}\n\nand enter the code\n\n  {}\n",
            self.issuer, self.verification_uri, self.user_code
        );
        if let Some(complete) = &self.verification_uri_complete {
            text.push_str(&format!("\n(or open {complete})\n"));
        }
        text
    }
}

/// A caller-supplied presentation of a device code (must not block).
pub type DeviceCallback = dyn Fn(&DevicePrompt) -> Result<(), InteractionError> + Send + Sync;

/// A caller-supplied interactive step: given the prompt, return the redirect URL.
pub type RedirectCallback =
    dyn Fn(&AuthorizationPrompt) -> Result<String, InteractionError> + Send + Sync;

/// How the user gets to the authorization server and back. See the [module docs](self).
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Interaction {
    /// Open the system browser and receive the redirect on the loopback listener.
    #[default]
    Browser,
    /// Print the URL and read the pasted redirect URL from stdin.
    Headless,
    /// Call a closure.
    Callback(Arc<RedirectCallback>),
    /// Present device codes with a closure (RFC 8628); a redirect cannot be completed.
    DeviceCallback(Arc<DeviceCallback>),
}

impl fmt::Debug for Interaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Browser => "Browser",
            Self::Headless => "Headless",
            Self::Callback(_) => "Callback",
            Self::DeviceCallback(_) => "DeviceCallback",
        })
    }
}

/// Why the interactive step produced no redirect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InteractionError {
    /// The loopback listener failed (bind, timeout, …).
    #[error(transparent)]
    Listener(#[from] LoopbackError),
    /// Reading the pasted URL failed or stdin was closed.
    #[error("no redirect URL was entered")]
    NoInput,
    /// The user did not answer in time.
    #[error("the interactive step timed out")]
    TimedOut,
    /// A non-interactive follower could not reach the redirect URI.
    #[error("redirect follower: {0}")]
    Follow(#[from] crate::follow::FollowError),
    /// A callback's own failure (keep secrets out of it).
    #[error("interaction failed: {0}")]
    Other(String),
}

impl Interaction {
    /// A [`Interaction::Callback`] from a closure.
    #[must_use]
    pub fn callback(
        f: impl Fn(&AuthorizationPrompt) -> Result<String, InteractionError> + Send + Sync + 'static,
    ) -> Self {
        Self::Callback(Arc::new(f))
    }

    /// A [`Interaction::DeviceCallback`] from a closure.
    ///
    /// ```
    /// use mcp_oauth_batteries::interaction::{DevicePrompt, Interaction};
    /// use mcp_oauth_core::Timestamp;
    ///
    /// let interaction = Interaction::device_callback(|prompt: &DevicePrompt| {
    ///     assert_eq!(prompt.user_code(), "WDJB-MJHT");
    ///     Ok(())
    /// });
    /// let prompt = DevicePrompt::new(
    ///     "WDJB-MJHT",
    ///     "https://as.example.com/device",
    ///     None,
    ///     Timestamp::from_unix_seconds(1_700_000_600),
    ///     "https://as.example.com",
    /// );
    /// interaction.present_device_code(&prompt)?;
    /// # Ok::<(), mcp_oauth_batteries::InteractionError>(())
    /// ```
    #[must_use]
    pub fn device_callback(
        f: impl Fn(&DevicePrompt) -> Result<(), InteractionError> + Send + Sync + 'static,
    ) -> Self {
        Self::DeviceCallback(Arc::new(f))
    }

    /// Show a device code to the user (RFC 8628 §3.3). Does not block: the flow polls while the
    /// user approves elsewhere.
    ///
    /// # Errors
    ///
    /// A [`Interaction::DeviceCallback`]'s own error.
    pub fn present_device_code(&self, prompt: &DevicePrompt) -> Result<(), InteractionError> {
        match self {
            Self::DeviceCallback(f) => f(prompt),
            Self::Browser => {
                let _ = writeln!(std::io::stderr().lock(), "{}", prompt.message());
                if let Some(url) = prompt.verification_uri_complete() {
                    // Best effort: the user may be on this machine.
                    let _ = webbrowser::open(url);
                }
                Ok(())
            }
            Self::Headless | Self::Callback(_) => {
                let _ = writeln!(std::io::stderr().lock(), "{}", prompt.message());
                Ok(())
            }
        }
    }

    /// Run the step (blocking) and return the redirect URL, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`InteractionError`].
    pub fn run(
        &self,
        prompt: &AuthorizationPrompt,
        timeout: Duration,
    ) -> Result<String, InteractionError> {
        match self {
            Self::Browser => browser(prompt, timeout),
            Self::Headless => headless(prompt, timeout),
            Self::Callback(f) => f(prompt),
            Self::DeviceCallback(_) => Err(InteractionError::Other(
                "a device-code interaction cannot complete a browser redirect".into(),
            )),
        }
    }
}

fn browser(prompt: &AuthorizationPrompt, timeout: Duration) -> Result<String, InteractionError> {
    // Listen first, so that a fast browser cannot arrive before the listener.
    let listener = LoopbackListener::bind(prompt.redirect_uri())?;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "Log in at {} in your browser.", prompt.issuer());
    if webbrowser::open(prompt.url()).is_err() {
        let _ = writeln!(
            err,
            "Could not open a browser. Open this URL to continue:\n\n  {}\n",
            prompt.url()
        );
    }
    drop(err);
    let state = prompt.state();
    let expected = Expected {
        state: state.as_deref(),
        issuer: Some(prompt.issuer()),
    };
    Ok(listener.wait(&expected, timeout)?)
}

fn headless(prompt: &AuthorizationPrompt, timeout: Duration) -> Result<String, InteractionError> {
    {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "Log in at {}: open this URL in a browser\n\n  {}\n\nthen paste the URL you are redirected to ({}…):",
            prompt.issuer(),
            prompt.url(),
            prompt.redirect_uri()
        );
    }
    let (tx, rx) = std::sync::mpsc::channel();
    // The reader thread stays blocked on stdin if the user never answers; it ends with the
    // process. Everything else is bounded by `timeout`.
    std::thread::spawn(move || {
        let mut line = String::new();
        let r = std::io::stdin().lock().read_line(&mut line).map(|_| line);
        let _ = tx.send(r);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(line)) if !line.trim().is_empty() => Ok(line.trim().to_owned()),
        Ok(_) => Err(InteractionError::NoInput),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(InteractionError::TimedOut),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(InteractionError::NoInput),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_state_and_redacted_debug() {
        let p = AuthorizationPrompt::new(
            "https://as.example/authorize?state=a%20b&code_challenge=x",
            "http://127.0.0.1:1/cb",
            "https://as.example",
        );
        assert_eq!(p.state().as_deref(), Some("a b"));
        assert!(!format!("{p:?}").contains("state="));
        let q = AuthorizationPrompt::new("nonsense", "r", "i");
        assert_eq!(q.state(), None);
    }

    #[test]
    fn device_prompt_message_and_callback() {
        let p = DevicePrompt::new(
            "ABCD-EFGH",
            "https://as.example/device",
            Some("https://as.example/device?user_code=ABCD-EFGH".into()),
            mcp_oauth_core::Timestamp::from_unix_seconds(10),
            "https://as.example",
        );
        let m = p.message();
        assert!(m.contains("ABCD-EFGH") && m.contains("https://as.example/device"));
        assert!(m.contains("user_code=ABCD-EFGH"));
        let seen = Arc::new(std::sync::Mutex::new(None));
        let s = seen.clone();
        let i = Interaction::device_callback(move |p| {
            *s.lock().unwrap() = Some(p.user_code().to_owned());
            Ok(())
        });
        i.present_device_code(&p).unwrap();
        assert_eq!(seen.lock().unwrap().as_deref(), Some("ABCD-EFGH"));
        // It cannot complete a redirect.
        let r = AuthorizationPrompt::new("https://a/", "http://127.0.0.1:1/cb", "https://a");
        assert!(i.run(&r, Duration::from_millis(1)).is_err());
        assert!(Interaction::Headless.present_device_code(&p).is_ok());
    }

    #[test]
    fn callback_errors_pass_through() {
        let i = Interaction::callback(|_| Err(InteractionError::Other("denied".into())));
        let p = AuthorizationPrompt::new("https://a/", "http://127.0.0.1:1/cb", "https://a");
        assert!(matches!(
            i.run(&p, Duration::from_secs(1)),
            Err(InteractionError::Other(_))
        ));
        assert_eq!(format!("{i:?}"), "Callback");
    }

    #[test]
    fn browser_step_fails_cleanly_on_a_non_loopback_redirect() {
        let p = AuthorizationPrompt::new("https://a/", "https://app.example/cb", "https://a");
        assert!(matches!(
            Interaction::Browser.run(&p, Duration::from_millis(10)),
            Err(InteractionError::Listener(LoopbackError::NotLoopback))
        ));
    }
}
