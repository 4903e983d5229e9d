//! A remote provider driven from async code: its blocking HTTP calls run on tokio's
//! blocking threads, one at a time, and a provider found unreachable is not asked again
//! in the same sync.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::config::{ProviderKind, RdnsProvider, SecretSource};
use crate::error::{Error, Result};
use crate::os::{Secret, run_secret_command};
use crate::rdns::cloudflare::Cloudflare;
use crate::rdns::powerdns::PowerDns;
use crate::rdns::{Applied, Provider, Push, Zone};

pub struct Remote {
    /// Taken while a call runs on a blocking thread.
    provider: Option<Box<dyn Provider>>,
    create_zones: bool,
    /// What to do about a zone the provider does not have.
    missing_zone_hint: &'static str,
    /// Set once the provider could not be reached: later zones fail at once.
    down: Option<String>,
}

impl Remote {
    /// The provider's client, with its credential read now; None for `internal`.
    pub fn connect(config: &RdnsProvider) -> Result<Option<Remote>> {
        let name = &config.name;
        let (provider, create_zones, missing_zone_hint): (Box<dyn Provider>, bool, _) =
            match &config.kind {
                ProviderKind::Internal { .. } => return Ok(None),
                ProviderKind::PowerDns {
                    url,
                    server_id,
                    key,
                    create_zones,
                } => {
                    let key = secret(name, key, "key")?;
                    let client =
                        PowerDns::new(name, url, server_id, key, config.ttl, &config.nameservers);
                    let hint = "create it, or set create_zones = true";
                    (Box::new(client), *create_zones, hint)
                }
                ProviderKind::Cloudflare { url, token } => {
                    let token = secret(name, token, "token")?;
                    let client = Cloudflare::new(name, url, token, config.ttl);
                    (Box::new(client), false, "create it in Cloudflare first")
                }
            };
        Ok(Some(Remote {
            provider: Some(provider),
            create_zones,
            missing_zone_hint,
            down: None,
        }))
    }

    pub fn may_create_zones(&self) -> bool {
        self.create_zones
    }

    pub fn missing_zone_hint(&self) -> &'static str {
        self.missing_zone_hint
    }

    pub fn check_up(&self) -> Result<()> {
        match &self.down {
            Some(error) => Err(Error::provider(error.clone())),
            None => Ok(()),
        }
    }

    /// Remembers a failure that means the provider is out of reach.
    pub fn note_failure(&mut self, error: &str) {
        if error.contains("cannot reach") {
            self.down = Some(error.to_owned());
        }
    }

    pub async fn list(&mut self, zone: &Zone) -> Result<Option<BTreeMap<IpAddr, String>>> {
        let zone = zone.clone();
        self.call(move |p| p.list(&zone)).await
    }

    pub async fn create_zone(&mut self, zone: &Zone) -> Result<Option<String>> {
        let zone = zone.clone();
        self.call(move |p| p.create_zone(&zone)).await
    }

    pub async fn apply(&mut self, zone: &Zone, pushes: Vec<Push>) -> Applied {
        let zone = zone.clone();
        self.call(move |p| p.apply(&zone, &pushes)).await
    }

    async fn call<T: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut dyn Provider) -> T + Send + 'static,
    ) -> T {
        let mut provider = self.provider.take().expect("one provider call at a time");
        let (provider, out) = tokio::task::spawn_blocking(move || {
            let out = job(provider.as_mut());
            (provider, out)
        })
        .await
        .expect("a provider call panicked");
        self.provider = Some(provider);
        out
    }
}

fn secret(provider: &str, source: &SecretSource, what: &str) -> Result<Secret> {
    match source {
        SecretSource::Env(variable) => std::env::var(variable)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Secret::new(v.trim()))
            .ok_or_else(|| {
                Error::config(format!(
                    "rDNS provider {provider}: set the environment variable {variable} to its API {what} \
                     (or {what}_command in the config)"
                ))
            }),
        SecretSource::Command(command) => run_secret_command(
            &format!("rdns provider {provider}: {what}_command"),
            command,
        ),
    }
}
