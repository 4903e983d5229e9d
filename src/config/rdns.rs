//! `[[rdns.providers]]`: which DNS service serves which reverse zones, and how carve
//! reaches it. Credentials are named here (an environment variable or a command), never
//! written here, and read only when a sync needs them.

use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::rdns::Zone;
use crate::rdns::cloudflare::DEFAULT_URL as CLOUDFLARE_URL;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RdnsSection {
    providers: Vec<ProviderSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ProviderSection {
    name: String,
    kind: String,
    /// Prefixes whose addresses this provider serves (zones derived from them).
    prefixes: Vec<String>,
    /// Reverse zones by name, e.g. an RFC 2317 zone `64/26.113.0.203.in-addr.arpa`.
    zones: Vec<String>,
    ttl: Option<u32>,
    nameservers: Vec<String>,
    // powerdns and cloudflare
    url: Option<String>,
    // powerdns
    server_id: Option<String>,
    key_env: Option<String>,
    key_command: Option<String>,
    create_zones: bool,
    // cloudflare
    token_env: Option<String>,
    token_command: Option<String>,
    // internal
    directory: Option<PathBuf>,
    hostmaster: Option<String>,
}

/// Where a credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    Command(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    /// No remote: BIND zone files, written by `carve rdns export` (and by a sync when a
    /// directory is set).
    Internal {
        directory: Option<PathBuf>,
        hostmaster: String,
    },
    PowerDns {
        url: String,
        server_id: String,
        key: SecretSource,
        create_zones: bool,
    },
    Cloudflare {
        url: String,
        token: SecretSource,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdnsProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub zones: Vec<Zone>,
    pub ttl: u32,
    pub nameservers: Vec<String>,
}

impl RdnsProvider {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ProviderKind::Internal { .. } => "internal",
            ProviderKind::PowerDns { .. } => "powerdns",
            ProviderKind::Cloudflare { .. } => "cloudflare",
        }
    }

    /// The zone that holds `address`'s PTR, if this provider serves it: the most
    /// specific one, when a zone and a child zone of it both contain the address.
    pub fn zone_of(&self, address: std::net::IpAddr) -> Option<&Zone> {
        self.zones
            .iter()
            .filter(|z| z.contains(address))
            .max_by_key(|z| z.prefix.prefix_len())
    }

    /// This provider's zones directly inside `zone` (its child zones, not theirs): their
    /// addresses' PTRs live there, not in `zone`, and `zone` delegates them.
    pub fn inner_zones(&self, zone: &Zone) -> Vec<&Zone> {
        let inside = |outer: &IpNet, z: &Zone| *outer != z.prefix && outer.contains(&z.prefix);
        let all: Vec<&Zone> = self
            .zones
            .iter()
            .filter(|z| inside(&zone.prefix, z))
            .collect();
        all.iter()
            .filter(|z| !all.iter().any(|between| inside(&between.prefix, z)))
            .copied()
            .collect()
    }

    /// The prefixes of [`Self::inner_zones`].
    pub fn inner_prefixes(&self, zone: &Zone) -> Vec<IpNet> {
        self.inner_zones(zone).iter().map(|z| z.prefix).collect()
    }
}

impl RdnsSection {
    pub(super) fn providers(self) -> Result<Vec<RdnsProvider>> {
        let mut providers: Vec<RdnsProvider> = Vec::new();
        for (i, section) in self.providers.into_iter().enumerate() {
            let at = format!("rdns.providers[{}]", i + 1);
            let provider = section.resolve(&at)?;
            if providers.iter().any(|p| p.name == provider.name) {
                return Err(Error::config(format!(
                    "{at}: a provider named {:?} is already configured",
                    provider.name
                )));
            }
            providers.push(provider);
        }
        // One provider may serve a zone and a child zone of it (each address goes to the
        // most specific); two providers may not share addresses, nor one list a zone twice.
        let zones: Vec<(&str, &Zone)> = providers
            .iter()
            .flat_map(|p| p.zones.iter().map(move |z| (p.name.as_str(), z)))
            .collect();
        for (i, (name, zone)) in zones.iter().enumerate() {
            for (other_name, other) in &zones[i + 1..] {
                if zone.prefix == other.prefix && name == other_name {
                    return Err(Error::config(format!(
                        "rdns: provider {name:?} serves zone {} twice (its prefixes and \
                         zones both give it, or one lists it twice)",
                        zone.name
                    )));
                }
                let nested =
                    zone.prefix.contains(&other.prefix) || other.prefix.contains(&zone.prefix);
                if nested && name != other_name {
                    return Err(Error::config(format!(
                        "rdns: zone {} of provider {name:?} overlaps zone {} of provider \
                         {other_name:?}: each address needs one provider (one provider may \
                         serve a zone and a child zone of it)",
                        zone.name, other.name
                    )));
                }
            }
        }
        Ok(providers)
    }
}

impl ProviderSection {
    fn resolve(self, at: &str) -> Result<RdnsProvider> {
        let bad = |message: String| Error::config(format!("{at}: {message}"));
        let name = self.name.trim().to_owned();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad(format!(
                "name {:?} must be letters, digits, '-', '_' or '.'",
                self.name
            )));
        }
        let at = format!("{at} ({name})");
        let bad = |message: String| Error::config(format!("{at}: {message}"));
        let mut zones = Vec::new();
        for text in &self.prefixes {
            let prefix: IpNet = text
                .trim()
                .parse()
                .map_err(|_| bad(format!("prefix {text:?} is not a CIDR like 203.0.113.0/24")))?;
            if prefix.trunc() != prefix {
                return Err(bad(format!(
                    "prefix {text:?} has host bits set (did you mean {}?)",
                    prefix.trunc()
                )));
            }
            zones.extend(Zone::for_prefix(prefix));
        }
        for text in &self.zones {
            zones.push(Zone::parse(text).map_err(bad)?);
        }
        if zones.is_empty() {
            return Err(bad("give the prefixes or zones it serves".into()));
        }
        let ttl = self.ttl.unwrap_or(3600);
        if ttl == 0 || ttl > i32::MAX as u32 {
            return Err(bad(format!("ttl {ttl} must be 1 to {}", i32::MAX)));
        }
        let url = |default: Option<&str>| -> Result<String> {
            let url = self
                .url
                .clone()
                .or(default.map(str::to_owned))
                .ok_or_else(|| bad("give url, e.g. url = \"http://127.0.0.1:8081\"".into()))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad(format!(
                    "url {url:?} must start with http:// or https://"
                )));
            }
            Ok(url)
        };
        let secret =
            |env: &Option<String>, command: &Option<String>, what: &str, default: &str| match (
                env, command,
            ) {
                (Some(_), Some(_)) => {
                    Err(bad(format!("give {what}_env or {what}_command, not both")))
                }
                (None, Some(c)) => Ok(SecretSource::Command(c.clone())),
                (Some(e), None) => Ok(SecretSource::Env(e.clone())),
                (None, None) => Ok(SecretSource::Env(default.to_owned())),
            };
        // A key of another kind is a mistake to point out (a token_env on a powerdns
        // provider would otherwise be ignored and its key looked for elsewhere).
        let belongs = [
            ("url", self.url.is_some(), "powerdns cloudflare"),
            ("server_id", self.server_id.is_some(), "powerdns"),
            ("key_env", self.key_env.is_some(), "powerdns"),
            ("key_command", self.key_command.is_some(), "powerdns"),
            ("create_zones", self.create_zones, "powerdns"),
            ("token_env", self.token_env.is_some(), "cloudflare"),
            ("token_command", self.token_command.is_some(), "cloudflare"),
            ("directory", self.directory.is_some(), "internal"),
            ("hostmaster", self.hostmaster.is_some(), "internal"),
        ];
        let kind_known = ["internal", "powerdns", "cloudflare"].contains(&self.kind.as_str());
        if let Some((key, _, kinds)) = belongs
            .iter()
            .find(|(_, set, kinds)| kind_known && *set && !kinds.split(' ').any(|k| k == self.kind))
        {
            return Err(bad(format!(
                "{key} does not apply to a {} provider (only to {kinds})",
                self.kind
            )));
        }
        let kind = match self.kind.as_str() {
            "internal" => ProviderKind::Internal {
                directory: match &self.directory {
                    Some(dir) if !dir.is_absolute() => {
                        return Err(bad(format!("directory {} must be absolute", dir.display())));
                    }
                    other => other.clone(),
                },
                hostmaster: self
                    .hostmaster
                    .clone()
                    .unwrap_or_else(|| "hostmaster".into()),
            },
            "powerdns" => ProviderKind::PowerDns {
                url: url(None)?,
                server_id: self.server_id.clone().unwrap_or_else(|| "localhost".into()),
                key: secret(&self.key_env, &self.key_command, "key", "PDNS_API_KEY")?,
                create_zones: self.create_zones,
            },
            "cloudflare" => ProviderKind::Cloudflare {
                url: url(Some(CLOUDFLARE_URL))?,
                token: secret(
                    &self.token_env,
                    &self.token_command,
                    "token",
                    "CLOUDFLARE_API_TOKEN",
                )?,
            },
            other => {
                return Err(bad(format!(
                    "kind {other:?} is not one of internal, powerdns, cloudflare"
                )));
            }
        };
        Ok(RdnsProvider {
            name,
            kind,
            zones,
            ttl,
            nameservers: if self.nameservers.is_empty() {
                vec!["localhost".into()]
            } else {
                self.nameservers
            },
        })
    }
}
