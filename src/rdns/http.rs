//! The HTTP client both remote providers use: JSON in and out, status codes as values,
//! bounded waits, and 429 answered by waiting what the server asks (a few times).
//! Credentials travel only in headers; nothing here logs or prints them.

use std::thread;
use std::time::Duration;

use serde_json::Value;
use ureq::Agent;
use ureq::http::{Method, Request};

use crate::error::{Error, Result};
use crate::os::Secret;

/// How often a rate-limited request is tried again before the sync gives up on it.
const RATE_LIMIT_RETRIES: u32 = 5;
/// A Retry-After longer than this is not waited out: the outbox keeps the work.
const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// PowerDNS answers a whole zone in one body; a big /16 is tens of megabytes.
const BODY_LIMIT: u64 = 512 * 1024 * 1024;

pub struct Client {
    agent: Agent,
    /// The provider's name, to begin every error with.
    provider: String,
    auth: (&'static str, Secret),
}

/// A response: its status and the JSON body (Null when empty or not JSON).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    /// The body as text when it was not JSON (PowerDNS answers 404 in plain text).
    pub text: String,
}

impl Client {
    /// `auth`: the header that carries the credential and its full value.
    pub fn new(provider: &str, auth: (&'static str, Secret)) -> Client {
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Client {
            agent,
            provider: provider.to_owned(),
            auth,
        }
    }

    pub fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Result<Answer> {
        let mut waits = 0;
        loop {
            let received = self.send_once(&method, url, body)?;
            if received.answer.status != 429 {
                return Ok(received.answer);
            }
            let wait = received.retry_after.unwrap_or(Duration::from_secs(1));
            waits += 1;
            if waits > RATE_LIMIT_RETRIES || wait > LONGEST_WAIT {
                return Err(self.error(format!(
                    "rate limited ({method} {}): asked to wait {} s",
                    path_of(url),
                    wait.as_secs()
                )));
            }
            tracing::info!(provider = %self.provider, wait_secs = wait.as_secs(), "rate limited");
            thread::sleep(wait);
        }
    }

    fn send_once(&self, method: &Method, url: &str, body: Option<&Value>) -> Result<Received> {
        let request = Request::builder()
            .method(method.clone())
            .uri(url)
            .header("Accept", "application/json")
            .header(self.auth.0, self.auth.1.expose());
        let result = match body {
            Some(json) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(json.to_string().into_bytes())
                    .map_err(|e| self.error(format!("bad request to {}: {e}", origin_of(url))))?,
            ),
            None => self.agent.run(
                request
                    .body(())
                    .map_err(|e| self.error(format!("bad request to {}: {e}", origin_of(url))))?,
            ),
        };
        let mut response = result.map_err(|e| self.unreachable(url, &e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_string()
            .map_err(|e| self.unreachable(url, &e))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Received {
            answer: Answer { status, body, text },
            retry_after,
        })
    }

    /// Every error of this provider goes through here, quoting the server's answer when
    /// it helps: a server that echoes the credential it was sent must not get it into
    /// stderr, carve.log or rdns_providers.last_error (which read-only roles read).
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        let message = redact(&message.to_string(), self.auth.1.expose());
        Error::provider(format!("{}: {message}", self.provider))
    }

    fn unreachable(&self, url: &str, error: &ureq::Error) -> Error {
        self.error(format!("cannot reach {}: {error}", origin_of(url)))
    }
}

struct Received {
    answer: Answer,
    retry_after: Option<Duration>,
}

/// `https://host:port` of a URL: enough to say where; never a query, never a
/// `user:password@` in front of the host.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}")
}

/// `text` with the credential taken out: the header's whole value and, for a
/// `Bearer TOKEN` style value, the token alone.
fn redact(text: &str, credential: &str) -> String {
    let token = credential
        .split_once(' ')
        .map_or(credential, |(_, token)| token)
        .trim();
    [credential.trim(), token]
        .into_iter()
        .filter(|secret| !secret.is_empty())
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret, "[redacted]")
        })
}

fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    path.split('?').next().unwrap_or("")
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_where_without_credentials_or_queries() {
        let url = "https://admin:s3cret@dns.example.net:8443/api/v1/zones?name=x";
        assert_eq!(origin_of(url), "https://dns.example.net:8443");
        assert_eq!(path_of(url), "/api/v1/zones");
        assert_eq!(origin_of("http://127.0.0.1:8081"), "http://127.0.0.1:8081");
        assert_eq!(path_of("http://127.0.0.1:8081"), "");
    }

    #[test]
    fn an_echoed_credential_is_redacted_whole_or_as_its_token() {
        let client = Client::new("cf", ("Authorization", Secret::new("Bearer t0ken")));
        let err = client.error("HTTP 500: you sent Bearer t0ken, t0ken again");
        assert_eq!(
            err.message,
            "cf: HTTP 500: you sent [redacted], [redacted] again"
        );
    }
}
