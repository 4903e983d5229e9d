//! Where `pg_dump` and `pg_restore` connect: carve's own target as a libpq URL with the
//! password taken out. The password goes to the child in `PGPASSWORD` only, so it
//! reaches neither its command line (other users see argv) nor a message.

use url::Url;

use crate::error::{Error, Result};
use crate::os::{Secret, run_secret_command};

/// A libpq connection for a client tool.
#[derive(Debug, Clone)]
pub struct ClientTarget {
    /// The URL without any password (it is safe in argv).
    pub url: String,
    /// Set in the child's environment; None lets libpq read `PGPASSFILE` / `~/.pgpass`.
    pub password: Option<Secret>,
}

impl ClientTarget {
    /// The tenant's URL. `password_command` runs when the URL carries no password, as
    /// it does for carve's own connection.
    pub fn from_url(url: &Secret, source: &str, password_command: Option<&str>) -> Result<Self> {
        let mut parsed = Url::parse(url.expose()).map_err(|e| {
            Error::config(format!(
                "the database URL from {source} is not a valid postgres:// URL: {e}"
            ))
        })?;
        let mut password = parsed.password().map(decode);
        // libpq also takes `?password=`: it must leave the URL as well.
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .filter_map(|(k, v)| {
                if k == "password" {
                    password = Some(v.into_owned());
                    None
                } else {
                    Some((k.into_owned(), v.into_owned()))
                }
            })
            .collect();
        if pairs.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
        parsed
            .set_password(None)
            .map_err(|()| Error::config(format!("the database URL from {source} has no host")))?;
        let password = match (password, password_command) {
            (Some(p), _) => Some(Secret::new(p)),
            (None, Some(command)) => {
                Some(run_secret_command("database.password_command", command)?)
            }
            (None, None) => None,
        };
        Ok(ClientTarget {
            url: parsed.to_string(),
            password,
        })
    }

    /// A database reached through a socket needing no password (the embedded cluster).
    pub fn trusted(url: String) -> Self {
        ClientTarget {
            url,
            password: None,
        }
    }
}

fn decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_and_is_kept_apart() {
        let url = Secret::new("postgres://noc:p%40ss+w@db.example:6432/ipam?sslmode=require");
        let target = ClientTarget::from_url(&url, "test", None).unwrap();
        assert_eq!(
            target.url,
            "postgres://noc@db.example:6432/ipam?sslmode=require"
        );
        assert_eq!(target.password.unwrap().expose(), "p@ss+w");
    }

    #[test]
    fn a_password_in_the_query_leaves_it_too() {
        let url = Secret::new("postgres://noc@db/ipam?password=s3cret&sslmode=verify-full");
        let target = ClientTarget::from_url(&url, "test", Some("echo other")).unwrap();
        assert!(!target.url.contains("s3cret"), "{}", target.url);
        assert!(
            target.url.ends_with("?sslmode=verify-full"),
            "{}",
            target.url
        );
        assert_eq!(target.password.unwrap().expose(), "s3cret");
    }

    #[test]
    fn the_password_command_fills_in_a_missing_password() {
        let url = Secret::new("postgres://noc@db/ipam");
        let target = ClientTarget::from_url(&url, "test", Some("echo fromcmd")).unwrap();
        assert_eq!(target.url, "postgres://noc@db/ipam");
        assert_eq!(target.password.unwrap().expose(), "fromcmd");
    }
}
