//! Calls to a running server's HTTP API: the zones and PTRs tests set up and inspect.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use ureq::Agent;
use ureq::http::{Method, Request};

use super::PowerDns;

impl PowerDns {
    /// Creates a Native zone. `zone` has no trailing dot, e.g. "113.0.203.in-addr.arpa"
    /// or the RFC 2317 "64/26.113.0.203.in-addr.arpa".
    pub fn create_zone(&self, zone: &str) {
        let body = json!({
            "name": fqdn(zone),
            "kind": "Native",
            "nameservers": ["ns1.example.net."],
        });
        let path = format!("/api/v1/servers/{}/zones", self.server_id);
        self.expect(Method::POST, &path, Some(body), 201);
    }

    /// Every zone's name, without the trailing dot, sorted.
    pub fn zones(&self) -> Vec<String> {
        let path = format!("/api/v1/servers/{}/zones", self.server_id);
        let body = self.expect(Method::GET, &path, None, 200);
        let mut names: Vec<String> = list(&body, "zones")
            .iter()
            .map(|zone| str_field(zone, "name").trim_end_matches('.').to_owned())
            .collect();
        names.sort();
        names
    }

    /// Every PTR in the zone: owner -> content, both as PowerDNS returns them (with
    /// trailing dots). Several records on one name are joined with " ", sorted.
    pub fn ptrs(&self, zone: &str) -> BTreeMap<String, String> {
        self.records(zone, "PTR")
    }

    /// [`ptrs`](Self::ptrs) for any record type (NS, CNAME...).
    pub fn records(&self, zone: &str, kind: &str) -> BTreeMap<String, String> {
        let body = self.expect(Method::GET, &self.zone_path(zone), None, 200);
        list(&body["rrsets"], "rrsets")
            .iter()
            .filter(|rrset| str_field(rrset, "type") == kind)
            .map(|rrset| {
                let mut contents: Vec<&str> = list(&rrset["records"], "records")
                    .iter()
                    .map(|record| str_field(record, "content"))
                    .collect();
                contents.sort();
                (str_field(rrset, "name").to_owned(), contents.join(" "))
            })
            .collect()
    }

    /// Replaces the PTR at `name` with one record, behind carve's back (drift).
    pub fn put_ptr(&self, zone: &str, name: &str, content: &str) {
        let rrset = json!({
            "name": fqdn(name),
            "type": "PTR",
            "ttl": 3600,
            "changetype": "REPLACE",
            "records": [{"content": fqdn(content), "disabled": false}],
        });
        self.patch(zone, rrset);
    }

    /// Deletes the PTR at `name` (nothing there is fine too).
    pub fn delete_ptr(&self, zone: &str, name: &str) {
        let rrset = json!({"name": fqdn(name), "type": "PTR", "changetype": "DELETE"});
        self.patch(zone, rrset);
    }

    /// `/` in an RFC 2317 zone name is written `=2F` in its zone id.
    fn zone_path(&self, zone: &str) -> String {
        let id = fqdn(zone).replace('/', "=2F");
        format!("/api/v1/servers/{}/zones/{id}", self.server_id)
    }

    fn patch(&self, zone: &str, rrset: Value) {
        let body = json!({ "rrsets": [rrset] });
        self.expect(Method::PATCH, &self.zone_path(zone), Some(body), 204);
    }

    /// One API call that must answer `want`; returns the JSON body (Null if none).
    fn expect(&self, method: Method, path: &str, body: Option<Value>, want: u16) -> Value {
        let url = format!("{}{path}", self.api_url);
        let request = Request::builder()
            .method(method.clone())
            .uri(&url)
            .header("X-API-Key", &self.api_key);
        let result = match body {
            Some(json) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(json.to_string())
                    .expect("build a request"),
            ),
            None => self.agent.run(request.body(()).expect("build a request")),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, want, "{method} {url} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// Errors are HTTP statuses to check, not failures; no call may hang a test.
pub(super) fn new_agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// A name with exactly one trailing dot.
fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

fn list<'a>(value: &'a Value, what: &str) -> &'a [Value] {
    value
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("PowerDNS sent no {what} array: {value}"))
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("PowerDNS sent no {key}: {value}"))
}
