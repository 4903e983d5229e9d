//! A submitted form's fields as an operation, or what is wrong with them.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::engine::{Strategy, parse_cidr};
use crate::error::{Error, Result};
use crate::service::addresses::Holder;
use crate::service::allocate::{SubnetRequest, Target};
use crate::service::subnets::Changes;
use crate::tui::dialog::{Form, FormKind};
use crate::tui::ops::Op;

pub(super) fn operation(form: &Form, subnet: Option<IpNet>, address: Option<IpAddr>) -> Result<Op> {
    let cidr = subnet.ok_or_else(|| Error::validation("the selection went away"))?;
    let text = |label: &str| form.value(label).map(str::to_owned);
    Ok(match form.kind {
        FormKind::Allocate => {
            let len = number::<u8>(form, "length")?
                .ok_or_else(|| Error::validation("length: give a prefix length"))?;
            let family = number::<u8>(form, "family")?.unwrap_or(4);
            let pool = form
                .value("pool")
                .map(|p| parse_cidr(p).map_err(|e| Error::validation(format!("pool: {e}"))))
                .transpose()?;
            let strategy = form
                .value("strategy")
                .unwrap_or("split")
                .parse::<Strategy>()
                .map_err(Error::validation)?;
            let mut request = SubnetRequest::new(Target::Length {
                family,
                len,
                pool,
                location: None,
            });
            request.strategy = strategy;
            request.customer = text("customer");
            request.vlan = number(form, "vlan")?;
            request.description = text("description");
            request.purpose = text("purpose");
            request.dry_run = true;
            Op::Allocate(request)
        }
        FormKind::AllocateIp => {
            let holder = Holder {
                customer: text("customer"),
                purpose: text("purpose"),
                rdns: text("rdns"),
                ..Holder::default()
            };
            Op::AllocateIp {
                pool: cidr,
                holder,
                dry_run: true,
            }
        }
        FormKind::Split => {
            let to = number::<u8>(form, "to")?
                .ok_or_else(|| Error::validation("to: give a prefix length"))?;
            Op::Split {
                cidr,
                to,
                dry_run: true,
            }
        }
        FormKind::Park => match address {
            Some(address) => Op::ParkIp {
                address,
                park: true,
                reason: text("reason"),
            },
            None => Op::Park {
                cidr,
                park: true,
                reason: text("reason"),
                dry_run: true,
            },
        },
        FormKind::Reserve => Op::ReserveIp {
            address: address.ok_or_else(|| Error::validation("the selection went away"))?,
            // An empty reason is the service's to refuse, in its words.
            reason: Some(text("reason").unwrap_or_default()),
            dry_run: true,
        },
        FormKind::Edit => {
            let pool = match form
                .value("pool")
                .unwrap_or("no")
                .to_ascii_lowercase()
                .as_str()
            {
                "yes" | "y" | "true" => true,
                "no" | "n" | "false" => false,
                other => {
                    return Err(Error::validation(format!(
                        "pool: {other:?} is not yes or no"
                    )));
                }
            };
            let changes = Changes {
                location: Some(text("location")),
                vlan: Some(number(form, "vlan")?),
                description: Some(text("description")),
                pool: Some(pool),
                pool_reserved_first: None,
            };
            Op::Edit { cidr, changes }
        }
        FormKind::Rdns => {
            let address = address.ok_or_else(|| Error::validation("the selection went away"))?;
            // Empty removes the PTR; `carve rdns sync` deletes it from DNS.
            let holder = Holder {
                rdns: Some(text("rdns").unwrap_or_default()),
                ..Holder::default()
            };
            Op::SetIp { address, holder }
        }
        FormKind::Location => return Err(Error::internal("a location filter is not an operation")),
    })
}

/// A whole number from a field, None when empty; an error naming the field otherwise.
fn number<T: std::str::FromStr>(form: &Form, label: &str) -> Result<Option<T>> {
    form.value(label)
        .map(|v| {
            v.trim_start_matches('/')
                .parse::<T>()
                .map_err(|_| Error::validation(format!("{label}: {v:?} is not a number")))
        })
        .transpose()
}
