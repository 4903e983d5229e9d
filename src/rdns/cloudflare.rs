//! Cloudflare's API v4: the zone found by name, its PTR records read page by page, and
//! each change one request (create, overwrite or delete a record by its id).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde_json::{Value, json};
use ureq::http::Method;

use super::http::{Answer, Client, encode};
use super::{Applied, Provider, Push, Zone, add_found};
use crate::error::Result;
use crate::os::Secret;

pub const DEFAULT_URL: &str = "https://api.cloudflare.com/client/v4";
const PER_PAGE: usize = 500;

pub struct Cloudflare {
    client: Client,
    url: String,
    ttl: u32,
    /// Zone name -> zone id, looked up once per run.
    zone_ids: HashMap<String, String>,
    /// Record ids by address, from the last `list` of each zone: a change needs them.
    records: HashMap<IpAddr, Vec<String>>,
}

impl Cloudflare {
    pub fn new(name: &str, url: &str, token: Secret, ttl: u32) -> Cloudflare {
        let bearer = Secret::new(format!("Bearer {}", token.expose()));
        Cloudflare {
            client: Client::new(name, ("Authorization", bearer)),
            url: url.trim_end_matches('/').to_owned(),
            ttl,
            zone_ids: HashMap::new(),
            records: HashMap::new(),
        }
    }

    /// The answer's `result`, or the envelope's errors as one message.
    fn result(&self, answer: Answer, what: &str) -> Result<Value> {
        let success = answer.body.get("success").and_then(Value::as_bool);
        if (200..300).contains(&answer.status) && success != Some(false) {
            return Ok(answer.body.get("result").cloned().unwrap_or(Value::Null));
        }
        let errors: Vec<String> = answer
            .body
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| {
                let code = e.get("code").map(Value::to_string).unwrap_or_default();
                let message = e.get("message").and_then(Value::as_str).unwrap_or("");
                format!("{code} {message}").trim().to_owned()
            })
            .collect();
        let detail = if errors.is_empty() {
            answer.text.trim().chars().take(200).collect()
        } else {
            errors.join("; ")
        };
        Err(self.client.error(format!(
            "could not {what}: HTTP {}: {detail}",
            answer.status
        )))
    }

    fn zone_id(&mut self, zone: &Zone) -> Result<Option<String>> {
        if let Some(id) = self.zone_ids.get(&zone.name) {
            return Ok(Some(id.clone()));
        }
        let url = format!("{}/zones?name={}", self.url, encode(&zone.name));
        let answer = self.client.send(Method::GET, &url, None)?;
        let result = self.result(answer, &format!("look up zone {}", zone.name))?;
        let id = result
            .as_array()
            .and_then(|zones| zones.first())
            .and_then(|z| z.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(id) = &id {
            self.zone_ids.insert(zone.name.clone(), id.clone());
        }
        Ok(id)
    }

    fn write(&self, method: Method, url: &str, body: Option<&Value>, what: &str) -> Result<()> {
        let answer = self.client.send(method, url, body)?;
        self.result(answer, what).map(drop)
    }

    /// Makes the PTR of one address say `push.target` (or removes it).
    fn push(&mut self, zone_id: &str, zone: &Zone, push: &Push) -> Result<()> {
        let records_url = format!("{}/zones/{zone_id}/dns_records", self.url);
        let owner = zone.owner(push.address);
        // A name to set overwrites the first record there; every other record goes.
        let mut remove = self.records.remove(&push.address).unwrap_or_default();
        let keep = (push.target.is_some() && !remove.is_empty()).then(|| remove.remove(0));
        if let Some(target) = &push.target {
            let body = json!({ "type": "PTR", "name": owner, "content": target, "ttl": self.ttl });
            match &keep {
                Some(id) => self.write(
                    Method::PUT,
                    &format!("{records_url}/{id}"),
                    Some(&body),
                    &format!("update the PTR of {}", push.address),
                )?,
                None => self.write(
                    Method::POST,
                    &records_url,
                    Some(&body),
                    &format!("create the PTR of {}", push.address),
                )?,
            }
        }
        for id in &remove {
            self.write(
                Method::DELETE,
                &format!("{records_url}/{id}"),
                None,
                &format!("delete the PTR of {}", push.address),
            )?;
        }
        Ok(())
    }
}

impl Provider for Cloudflare {
    fn list(&mut self, zone: &Zone) -> Result<Option<BTreeMap<IpAddr, String>>> {
        let Some(zone_id) = self.zone_id(zone)? else {
            return Ok(None);
        };
        self.records.retain(|address, _| !zone.contains(*address));
        let mut found = BTreeMap::new();
        for page in 1.. {
            let url = format!(
                "{}/zones/{zone_id}/dns_records?type=PTR&page={page}&per_page={PER_PAGE}",
                self.url
            );
            let answer = self.client.send(Method::GET, &url, None)?;
            let total_pages = answer
                .body
                .pointer("/result_info/total_pages")
                .and_then(Value::as_u64);
            let result = self.result(answer, &format!("list the PTRs of {}", zone.name))?;
            let records = result.as_array().cloned().unwrap_or_default();
            for record in &records {
                let text = |key: &str| record.get(key).and_then(Value::as_str).unwrap_or("");
                if let Some(address) = zone.address_of(text("name")) {
                    add_found(&mut found, address, text("content"));
                    let ids = self.records.entry(address).or_default();
                    ids.push(text("id").to_owned());
                }
            }
            let last = match total_pages {
                Some(total) => page >= total,
                None => records.is_empty(),
            };
            if last {
                break;
            }
        }
        Ok(Some(found))
    }

    fn create_zone(&mut self, zone: &Zone) -> Result<Option<String>> {
        Err(self.client.error(format!(
            "zone {} does not exist; Cloudflare zones are created in its dashboard",
            zone.name
        )))
    }

    fn apply(&mut self, zone: &Zone, pushes: &[Push]) -> Applied {
        let zone_id = self.zone_id(zone).and_then(|id| {
            id.ok_or_else(|| self.client.error(format!("zone {} is gone", zone.name)))
        });
        let zone_id = match zone_id {
            Ok(id) => id,
            Err(error) => {
                return Applied {
                    done: 0,
                    error: Some(error),
                };
            }
        };
        for (done, push) in pushes.iter().enumerate() {
            if let Err(error) = self.push(&zone_id, zone, push) {
                return Applied {
                    done,
                    error: Some(error),
                };
            }
        }
        Applied::all(pushes)
    }
}
