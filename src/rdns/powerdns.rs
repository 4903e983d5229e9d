//! PowerDNS Authoritative's HTTP API: a zone read whole in one GET, every change to a
//! zone in PATCHes of up to `BATCH` rrsets (about 3 ms each on loopback).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Value, json};
use ureq::http::Method;

use super::diff::absolute;
use super::http::{Answer, Client};
use super::{Applied, Provider, Push, Zone, add_found, zonefile};
use crate::error::Result;
use crate::os::Secret;

/// rrsets per PATCH: big enough that 1,000 PTRs are one request, small enough that a
/// /16's worth does not make one huge body.
const BATCH: usize = 2000;

pub struct PowerDns {
    client: Client,
    /// `http://host:port/api/v1/servers/<server id>`
    server: String,
    ttl: u32,
    nameservers: Vec<String>,
}

impl PowerDns {
    pub fn new(
        name: &str,
        url: &str,
        server_id: &str,
        key: Secret,
        ttl: u32,
        nameservers: &[String],
    ) -> PowerDns {
        PowerDns {
            client: Client::new(name, ("X-API-Key", key)),
            server: format!(
                "{}/api/v1/servers/{}",
                url.trim_end_matches('/'),
                super::http::encode(server_id)
            ),
            ttl,
            nameservers: nameservers.iter().map(|n| absolute(n)).collect(),
        }
    }

    fn zone_url(&self, zone: &Zone) -> String {
        // PowerDNS writes '/' in a zone id (RFC 2317 zones) as =2F.
        format!("{}/zones/{}.", self.server, zone.name.replace('/', "=2F"))
    }

    fn check(&self, answer: &Answer, what: &str) -> Result<()> {
        match answer.status {
            200..=299 => Ok(()),
            401 | 403 => Err(self.client.error(format!(
                "the API key was refused ({}) while trying to {what}",
                answer.status
            ))),
            status => {
                let detail = answer
                    .body
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or(answer.text.trim());
                Err(self
                    .client
                    .error(format!("could not {what}: HTTP {status}: {detail}")))
            }
        }
    }
}

impl Provider for PowerDns {
    fn list(&mut self, zone: &Zone) -> Result<Option<BTreeMap<IpAddr, String>>> {
        let answer = self.client.send(Method::GET, &self.zone_url(zone), None)?;
        if answer.status == 404 {
            return Ok(None);
        }
        self.check(&answer, &format!("read zone {}", zone.name))?;
        let mut found = BTreeMap::new();
        let rrsets = answer.body.get("rrsets").and_then(Value::as_array);
        for rrset in rrsets.into_iter().flatten() {
            if rrset.get("type").and_then(Value::as_str) != Some("PTR") {
                continue;
            }
            let owner = rrset.get("name").and_then(Value::as_str).unwrap_or("");
            let Some(address) = zone.address_of(owner) else {
                continue;
            };
            let records = rrset.get("records").and_then(Value::as_array);
            // A disabled record is not served: to carve it is missing, and a push enables it.
            let served = records
                .into_iter()
                .flatten()
                .filter(|r| r.get("disabled").and_then(Value::as_bool) != Some(true));
            for record in served {
                if let Some(content) = record.get("content").and_then(Value::as_str) {
                    add_found(&mut found, address, content);
                }
            }
        }
        Ok(Some(found))
    }

    fn create_zone(&mut self, zone: &Zone) -> Result<Option<String>> {
        let body = json!({
            "name": format!("{}.", zone.name),
            "kind": "Native",
            "nameservers": self.nameservers,
        });
        let url = format!("{}/zones", self.server);
        let answer = self.client.send(Method::POST, &url, Some(&body))?;
        // 409: made meanwhile by someone else, just as good.
        if answer.status != 409 {
            self.check(&answer, &format!("create zone {}", zone.name))?;
        }
        self.delegate(zone)
    }

    fn apply(&mut self, zone: &Zone, pushes: &[Push]) -> Applied {
        let mut done = 0;
        for batch in pushes.chunks(BATCH) {
            let rrsets: Vec<Value> = batch.iter().map(|p| self.rrset(zone, p)).collect();
            let body = json!({ "rrsets": rrsets });
            let result = self
                .client
                .send(Method::PATCH, &self.zone_url(zone), Some(&body))
                .and_then(|a| self.check(&a, &format!("update zone {}", zone.name)));
            if let Err(error) = result {
                return Applied {
                    done,
                    error: Some(error),
                };
            }
            done += batch.len();
        }
        Applied::all(pushes)
    }
}

impl PowerDns {
    /// A classless zone answers only once its parent delegates to it (RFC 2317): when the
    /// parent /24 zone is on this server too, carve writes those records there.
    fn delegate(&mut self, zone: &Zone) -> Result<Option<String>> {
        let Some((parent, records)) = zonefile::parent_records(zone, &self.nameservers) else {
            return Ok(None);
        };
        let mut rrsets: BTreeMap<(String, &str), Vec<Value>> = BTreeMap::new();
        for record in records {
            let content = json!({ "content": absolute(&record.target), "disabled": false });
            rrsets
                .entry((absolute(&record.owner), record.kind))
                .or_default()
                .push(content);
        }
        let rrsets: Vec<Value> = rrsets
            .into_iter()
            .map(|((name, kind), records)| {
                json!({ "name": name, "type": kind, "ttl": self.ttl,
                        "changetype": "REPLACE", "records": records })
            })
            .collect();
        let body = json!({ "rrsets": rrsets });
        let answer = self
            .client
            .send(Method::PATCH, &self.zone_url(&parent), Some(&body))?;
        if answer.status == 404 {
            return Ok(Some(format!(
                "zone {} is not on this server: add the RFC 2317 NS and CNAME records for {} there",
                parent.name, zone.prefix
            )));
        }
        self.check(
            &answer,
            &format!("delegate {} from zone {}", zone.prefix, parent.name),
        )?;
        Ok(Some(format!("delegated from zone {}", parent.name)))
    }

    fn rrset(&self, zone: &Zone, push: &Push) -> Value {
        let name = format!("{}.", zone.owner(push.address));
        match &push.target {
            Some(target) => json!({
                "name": name, "type": "PTR", "ttl": self.ttl, "changetype": "REPLACE",
                "records": [{ "content": absolute(target), "disabled": false }],
            }),
            None => json!({ "name": name, "type": "PTR", "changetype": "DELETE" }),
        }
    }
}
