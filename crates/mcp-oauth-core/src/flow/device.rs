//! The device authorization grant in the flow (RFC 8628): the device authorization request,
//! the user prompt event, and polling on the machine's own timers (interval, `slow_down`,
//! expiry).

use alloc::string::String;
use core::time::Duration;

use super::AuthFlow;
use super::config::DeviceMode;
use super::error::FlowErrorKind;
use super::event::{Event, RequestPurpose};
use super::report::{Note, Verdict};
use super::state::State;
use crate::device::{
    DeviceAuthorizationRequest, DeviceCode, DevicePollError, DeviceTokenRequest, SLOW_DOWN_STEP,
    parse_device_authorization_response, parse_device_token_response,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::metadata::server::Endpoint;
use crate::token::ClientAuth;
use crate::{Scopes, Timestamp};

/// The longest interval a timed-out poll backs off to.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Where the device grant is.
pub(super) enum DeviceStep {
    /// The device authorization request is in flight; it asked for this scope.
    Requesting { scopes: Scopes },
    /// The user has the code; the flow polls. A poll may be in flight (`in_flight`).
    Polling(DevicePending),
}

/// A running device grant.
pub(super) struct DevicePending {
    device_code: DeviceCode,
    /// The scope asked for (V-4 for the tokens).
    scopes: Scopes,
    /// The current interval (grows by 5 s on each `slow_down`).
    interval: Duration,
    /// When the next poll may be sent.
    next_poll: Timestamp,
    expires_at: Timestamp,
}

impl DevicePending {
    /// The next time the machine must act: the next poll, or the expiry if that comes first.
    pub(super) fn deadline(&self) -> Timestamp {
        self.next_poll.min(self.expires_at)
    }
}

impl AuthFlow {
    /// Whether this authorization uses the device grant: `Ok(true)` when configured and the AS
    /// advertises an acceptable endpoint, `Ok(false)` to use the redirect flow, `Err` to fail.
    pub(super) fn use_device_grant(&self) -> Result<bool, FlowErrorKind> {
        if self.config.device == DeviceMode::Off {
            return Ok(false);
        }
        let Some(server) = &self.server else {
            return Ok(false);
        };
        match server
            .metadata
            .checked_endpoint(Endpoint::DeviceAuthorization, &self.config.url_policy)
        {
            Ok(Some(_)) => Ok(true),
            Ok(None) if self.config.device == DeviceMode::Required => {
                Err(FlowErrorKind::DeviceAuthorizationUnsupported)
            }
            Ok(None) => Ok(false),
            Err(e) => Err(FlowErrorKind::ServerMetadata(e)),
        }
    }

    /// Send the device authorization request (RFC 8628 §3.1) with `scopes` (already chosen).
    pub(super) fn begin_device_authorization(&mut self, now: Timestamp, scopes: Scopes) {
        let auth = match self.client_auth(now) {
            Ok(a) => a,
            Err(kind) => return self.fail(kind),
        };
        let Some(endpoint) = self
            .server
            .as_ref()
            .and_then(|s| s.metadata.device_authorization_endpoint())
            .map(String::from)
        else {
            return self.fail(FlowErrorKind::DeviceAuthorizationUnsupported);
        };
        let request = match self.resource_param() {
            Some(r) => DeviceAuthorizationRequest::new(&r),
            None => DeviceAuthorizationRequest::without_resource(),
        }
        .scopes(&scopes);
        match request.build(&endpoint, &auth, self.config.url_policy) {
            Ok(http) => {
                self.report.note(Note::AuthorizationRequested {
                    attempt: self.attempts,
                });
                self.send(now, RequestPurpose::DeviceAuthorization, http);
                self.state = State::Device(DeviceStep::Requesting { scopes });
            }
            Err(e) => self.fail(FlowErrorKind::DeviceRequest(e)),
        }
    }

    /// A response while the device grant runs.
    pub(super) fn device_response(
        &mut self,
        now: Timestamp,
        step: DeviceStep,
        entry: usize,
        response: &HttpResponse,
    ) {
        match step {
            DeviceStep::Requesting { scopes } => {
                let device = match parse_device_authorization_response(
                    response,
                    now,
                    self.config.url_policy,
                ) {
                    Ok(d) => d,
                    Err(e) => {
                        let kind = FlowErrorKind::DeviceAuthorization(e);
                        self.report
                            .set_verdict(entry, Verdict::Rejected(kind.clone()));
                        return self.fail(kind);
                    }
                };
                self.report.set_verdict(entry, Verdict::Accepted);
                let event = Event::DeviceAuthorization {
                    user_code: String::from(device.user_code()),
                    verification_uri: String::from(device.verification_uri()),
                    verification_uri_complete: device.verification_uri_complete().map(String::from),
                    expires_at: device.expires_at(),
                    issuer: self
                        .server
                        .as_ref()
                        .map(|s| s.issuer.clone())
                        .unwrap_or_default(),
                };
                let interval = device.interval();
                let expires_at = device.expires_at();
                self.state = State::Device(DeviceStep::Polling(DevicePending {
                    device_code: device.into_device_code(),
                    scopes,
                    interval,
                    next_poll: now.saturating_add(interval),
                    expires_at,
                }));
                self.events.push_back(event);
            }
            DeviceStep::Polling(mut pending) => {
                match parse_device_token_response(response, now, &pending.scopes) {
                    Ok(set) => {
                        self.report.set_verdict(entry, Verdict::Accepted);
                        self.store_tokens(now, set);
                        self.events.push_back(Event::Authorized);
                    }
                    Err(DevicePollError::AuthorizationPending) => {
                        pending.next_poll = now.saturating_add(pending.interval);
                        self.state = State::Device(DeviceStep::Polling(pending));
                    }
                    Err(DevicePollError::SlowDown) => {
                        pending.interval = pending.interval.saturating_add(SLOW_DOWN_STEP);
                        pending.next_poll = now.saturating_add(pending.interval);
                        self.state = State::Device(DeviceStep::Polling(pending));
                    }
                    Err(e) => {
                        let kind = FlowErrorKind::DevicePoll(e);
                        self.report
                            .set_verdict(entry, Verdict::Rejected(kind.clone()));
                        self.fail(kind);
                    }
                }
            }
        }
    }

    /// The device grant's timers: expiry, then the next poll (only when no poll is in flight).
    pub(super) fn device_timeout(&mut self, now: Timestamp) {
        if self.in_flight.is_some() {
            return;
        }
        let State::Device(DeviceStep::Polling(p)) = &self.state else {
            return;
        };
        if now >= p.expires_at {
            return self.fail(FlowErrorKind::AuthorizationExpired);
        }
        if now < p.next_poll {
            return;
        }
        // A `private_key_jwt` assertion is signed per request, with `now`.
        let auth = match self.client_auth(now) {
            Ok(auth) => auth,
            Err(kind) => return self.fail(kind),
        };
        let State::Device(DeviceStep::Polling(p)) = &self.state else {
            return;
        };
        let request = self.device_poll_request(p, &auth);
        match request {
            Ok(http) => self.send(now, RequestPurpose::DeviceTokenPoll, http),
            Err(kind) => self.fail(kind),
        }
    }

    fn device_poll_request(
        &self,
        p: &DevicePending,
        auth: &ClientAuth,
    ) -> Result<HttpRequest, FlowErrorKind> {
        let endpoint = self
            .server
            .as_ref()
            .and_then(|s| s.metadata.token_endpoint())
            .ok_or(FlowErrorKind::ServerMetadata(
                crate::metadata::ServerMetadataError::MissingEndpoint("token_endpoint"),
            ))?;
        let request = match self.resource_param() {
            Some(r) => DeviceTokenRequest::new(&p.device_code, &r),
            None => DeviceTokenRequest::without_resource(&p.device_code),
        };
        request
            .build(endpoint, auth, self.config.url_policy)
            .map_err(FlowErrorKind::DeviceRequest)
    }

    /// A poll timed out (the driver's timeout or the request deadline): RFC 8628 §3.5 wants the
    /// polling frequency reduced before retrying, so the interval doubles and polling goes on.
    /// Returns `false` when no device poll was running.
    pub(super) fn device_poll_timed_out(&mut self, now: Timestamp) -> bool {
        let State::Device(DeviceStep::Polling(p)) = &mut self.state else {
            return false;
        };
        p.interval = p.interval.saturating_mul(2).min(MAX_BACKOFF);
        p.next_poll = now.saturating_add(p.interval);
        true
    }

    /// The device grant's next deadline, when it is waiting (no poll in flight).
    pub(super) fn device_deadline(&self) -> Option<Timestamp> {
        match &self.state {
            State::Device(DeviceStep::Polling(p)) if self.in_flight.is_none() => Some(p.deadline()),
            _ => None,
        }
    }
}
