//! The fake's answers: Cloudflare's JSON envelopes and error codes for the zone and DNS
//! record endpoints, after the disturbances the test asked for.

use std::sync::Mutex;

use serde_json::{Value, json};

use super::http::{Request, Response, reason};
use super::{Record, State, Zone, lock, normalize, now, trim_dot};

struct Reply {
    status: u16,
    body: Value,
    retry_after: Option<u64>,
}

impl Reply {
    fn ok(result: Value) -> Reply {
        let body = json!({"success": true, "errors": [], "messages": [], "result": result});
        Reply::new(200, body)
    }

    fn error(status: u16, code: u32, message: impl Into<String>) -> Reply {
        let errors = [json!({"code": code, "message": message.into()})];
        let body = json!({"success": false, "errors": errors, "messages": [], "result": null});
        Reply::new(status, body)
    }

    fn new(status: u16, body: Value) -> Reply {
        let retry_after = None;
        Reply {
            status,
            body,
            retry_after,
        }
    }

    fn into_response(self) -> Response {
        let retry_after = self
            .retry_after
            .map(|secs| ("Retry-After", secs.to_string()));
        Response {
            status: self.status,
            content_type: "application/json",
            headers: retry_after.into_iter().collect(),
            body: self.body.to_string(),
        }
    }
}

/// The answer to one request, or (Err) to one the server could not parse.
pub fn answer(state: &Mutex<State>, request: Result<&Request, &'static str>) -> Response {
    let reply = match request {
        Ok(request) => handle(state, request),
        Err(why) => Reply::error(400, 9207, why),
    };
    reply.into_response()
}

/// The disturbances first (they stand for the service as a whole), then the token, then
/// the API itself.
fn handle(state: &Mutex<State>, request: &Request) -> Reply {
    let mut state = lock(state);
    state.requests += 1;
    if state.rate_limited > 0 {
        state.rate_limited -= 1;
        let message = "Please wait and consider throttling your request speed";
        let mut reply = Reply::error(429, 971, message);
        reply.retry_after = Some(state.retry_after);
        return reply;
    }
    if let Some((0, status)) = state.failing {
        let mut message = reason(status).to_owned();
        if state.echo_credentials {
            let sent = request.header("authorization").unwrap_or_default();
            message.push_str(&format!(" (request had Authorization: {sent})"));
        }
        return Reply::error(status, status.into(), message);
    }
    let bearer = format!("Bearer {}", state.token);
    if request.header("authorization") != Some(bearer.as_str()) {
        return Reply::error(403, 10000, "Authentication error");
    }
    let reply = route(&mut state, request).unwrap_or_else(|error| error);
    let write = matches!(request.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE");
    if write && (200..300).contains(&reply.status) {
        state.writes += 1;
        if let Some((left, _)) = &mut state.failing {
            *left = left.saturating_sub(1);
        }
    }
    reply
}

/// The API proper. Err: an error envelope to answer with.
fn route(state: &mut State, request: &Request) -> Result<Reply, Reply> {
    let path = request.path.trim_end_matches('/');
    let rest = path
        .strip_prefix("/client/v4")
        .ok_or_else(|| no_route(path))?;
    let parts: Vec<&str> = rest.split('/').skip(1).collect();
    let method = request.method.as_str();
    let (zone_id, record_id) = match (&parts[..], method) {
        (["zones"], "GET") => {
            let name = request.query("name").map(normalize);
            let zones = state.zones.iter();
            let zones = zones.filter(|z| name.as_ref().is_none_or(|n| *n == z.name));
            let zones = zones.map(|z| json!({"id": z.id, "name": z.name, "status": "active"}));
            return Ok(paginate(zones.collect(), request, 20, state.page_cap));
        }
        (["zones", zone, "dns_records"], "GET" | "POST") => (zone, None),
        (["zones", zone, "dns_records", id], "GET" | "PUT" | "PATCH" | "DELETE") => {
            (zone, Some(id))
        }
        (["zones"] | ["zones", _, "dns_records"] | ["zones", _, "dns_records", _], _) => {
            let message = format!("Method {method} not available for that URI.");
            return Err(Reply::error(405, 7001, message));
        }
        _ => return Err(no_route(rest)),
    };
    let page_cap = state.page_cap;
    let zone = state.zones.iter_mut().find(|z| z.id == *zone_id);
    let zone = zone.ok_or_else(|| no_route(rest))?;
    let Some(record_id) = record_id else {
        if method == "POST" {
            let (name, content, ttl) = fields(&json_body(request)?, zone, None, false)?;
            zone.records.push(Record::new(name, content, ttl));
            return Ok(Reply::ok(record_json(
                zone,
                zone.records.last().expect("pushed"),
            )));
        }
        let name = request.query("name").map(normalize);
        let ptr = request
            .query("type")
            .is_none_or(|t| t.eq_ignore_ascii_case("PTR"));
        let records = zone.records.iter();
        let mut records: Vec<&Record> = records
            .filter(|r| ptr && name.as_ref().is_none_or(|n| *n == r.name))
            .collect();
        records.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let records = records.into_iter().map(|r| record_json(zone, r)).collect();
        return Ok(paginate(records, request, 100, page_cap));
    };
    let found = zone.records.iter().position(|r| r.id == **record_id);
    let i = found.ok_or_else(|| Reply::error(404, 81044, "Record does not exist."))?;
    match method {
        "GET" => {}
        "DELETE" => return Ok(Reply::ok(json!({"id": zone.records.remove(i).id}))),
        _ => {
            let own = Some(&zone.records[i]);
            let (name, content, ttl) = fields(&json_body(request)?, zone, own, method == "PATCH")?;
            let record = &mut zone.records[i];
            (record.name, record.content, record.ttl) = (name, content, ttl);
            record.modified_on = now();
        }
    }
    Ok(Reply::ok(record_json(zone, &zone.records[i])))
}

/// A record's name, content and TTL from a request body, checked as Cloudflare does.
/// `own`: the record being overwritten, whose values a `partial` body (PATCH) keeps.
fn fields(
    body: &Value,
    zone: &Zone,
    own: Option<&Record>,
    partial: bool,
) -> Result<(String, String, u64), Reply> {
    let base = own.filter(|_| partial);
    let text = |key: &str, old: Option<&str>| match (body.get(key), old) {
        (None | Some(Value::Null), Some(old)) => Ok(old.to_owned()),
        (Some(Value::String(s)), _) => Ok(s.clone()),
        _ => Err(invalid_body()),
    };
    let kind = text("type", base.map(|_| "PTR"))?;
    let name = normalize(&text("name", base.map(|r| r.name.as_str()))?);
    // "@" is the zone apex; any other name must be the full name, inside the zone.
    let name = if name == "@" { zone.name.clone() } else { name };
    let content = trim_dot(&text("content", base.map(|r| r.content.as_str()))?);
    let ttl = match body.get("ttl") {
        None | Some(Value::Null) => base.map_or(1, |r| r.ttl),
        Some(ttl) => ttl.as_u64().ok_or_else(invalid_body)?,
    };
    let in_zone = name == zone.name || name.ends_with(&format!(".{}", zone.name));
    if !kind.eq_ignore_ascii_case("PTR") || !in_zone || content.is_empty() {
        return Err(Reply::error(400, 1004, "DNS Validation Error"));
    }
    if ttl != 1 && !(30..=86400).contains(&ttl) {
        let message = "Invalid TTL. Must be between 30 and 86400 seconds, or 1 for Automatic.";
        return Err(Reply::error(400, 9021, message));
    }
    let mut others = zone
        .records
        .iter()
        .filter(|r| Some(&r.id) != own.map(|o| &o.id));
    if others.any(|r| r.name == name && r.content == content) {
        return Err(Reply::error(
            400,
            81058,
            "An identical record already exists.",
        ));
    }
    Ok((name, content, ttl))
}

fn json_body(request: &Request) -> Result<Value, Reply> {
    let body = serde_json::from_slice::<Value>(&request.body).ok();
    body.filter(Value::is_object).ok_or_else(invalid_body)
}

fn invalid_body() -> Reply {
    Reply::error(400, 9207, "Request body is invalid.")
}

/// Cloudflare's answer to a path, or an object id in one, that it does not know.
fn no_route(path: &str) -> Reply {
    let message = format!("Could not route to {path}, perhaps your object identifier is invalid?");
    Reply::error(404, 7003, message)
}

/// One page of `items` in a success envelope with `result_info`. Pages count from 1; a
/// page past the end is empty; `per_page` is held to the cap.
fn paginate(items: Vec<Value>, request: &Request, default: usize, cap: usize) -> Reply {
    let number = |key: &str| request.query(key).and_then(|v| v.parse::<usize>().ok());
    let per_page = number("per_page").unwrap_or(default).clamp(1, cap);
    let page = number("page").unwrap_or(1).max(1);
    let total = items.len();
    let skip = (page - 1).saturating_mul(per_page);
    let result: Vec<Value> = items.into_iter().skip(skip).take(per_page).collect();
    let count = result.len();
    let mut reply = Reply::ok(Value::Array(result));
    reply.body["result_info"] = json!({
        "page": page,
        "per_page": per_page,
        "count": count,
        "total_count": total,
        "total_pages": total.div_ceil(per_page),
    });
    reply
}

fn record_json(zone: &Zone, record: &Record) -> Value {
    json!({
        "id": record.id,
        "zone_id": zone.id,
        "zone_name": zone.name,
        "name": record.name,
        "type": "PTR",
        "content": record.content,
        "ttl": record.ttl,
        "proxied": false,
        "proxiable": false,
        "created_on": record.created_on,
        "modified_on": record.modified_on,
    })
}
