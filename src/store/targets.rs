//! Where to connect: the hosts of a libpq-style URL (`postgres://db1:5432,db2:5432/ipam`),
//! tried in order, and the kind of session wanted there (`target_session_attrs`), checked
//! the way libpq checks it: `transaction_read_only` and `pg_is_in_recovery()`.

use sqlx::PgConnection;

/// libpq's `target_session_attrs`: which session of the listed hosts carve keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
    /// A standby if any host is one, else any.
    PreferStandby,
}

const KINDS: &[(&str, SessionKind)] = &[
    ("any", SessionKind::Any),
    ("read-write", SessionKind::ReadWrite),
    ("read-only", SessionKind::ReadOnly),
    ("primary", SessionKind::Primary),
    ("standby", SessionKind::Standby),
    ("prefer-standby", SessionKind::PreferStandby),
];

impl SessionKind {
    /// The kind `text` names; the error lists the ones there are.
    pub fn parse(text: &str) -> Result<SessionKind, String> {
        KINDS
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                let names: Vec<&str> = KINDS.iter().map(|(name, _)| *name).collect();
                format!(
                    "target_session_attrs {text:?} is not one of {}",
                    names.join(", ")
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("any", |(n, _)| n)
    }

    /// Whether `session` is of this kind (a preference takes anything).
    pub fn accepts(self, session: Session) -> bool {
        match self {
            SessionKind::Any | SessionKind::PreferStandby => true,
            SessionKind::ReadWrite => !session.read_only,
            SessionKind::ReadOnly => session.read_only,
            SessionKind::Primary => !session.in_recovery,
            SessionKind::Standby => session.in_recovery,
        }
    }

    /// The kinds each pass over the hosts looks for: a preference for standbys first
    /// looks for one on every host, then takes any.
    pub fn passes(self) -> &'static [SessionKind] {
        match self {
            SessionKind::PreferStandby => &[SessionKind::Standby, SessionKind::Any],
            SessionKind::Any => &[SessionKind::Any],
            SessionKind::ReadWrite => &[SessionKind::ReadWrite],
            SessionKind::ReadOnly => &[SessionKind::ReadOnly],
            SessionKind::Primary => &[SessionKind::Primary],
            SessionKind::Standby => &[SessionKind::Standby],
        }
    }
}

/// What a server said it is, once connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub read_only: bool,
    pub in_recovery: bool,
}

impl Session {
    pub async fn of(conn: &mut PgConnection) -> Result<Session, sqlx::Error> {
        let (read_only, in_recovery): (String, bool) =
            sqlx::query_as("SELECT current_setting('transaction_read_only'), pg_is_in_recovery()")
                .fetch_one(conn)
                .await?;
        Ok(Session {
            read_only: read_only == "on",
            in_recovery,
        })
    }

    /// `a standby`, `read-only`, `a read-write primary`: what the server is, in words.
    pub fn describe(self) -> &'static str {
        match (self.in_recovery, self.read_only) {
            (true, _) => "a standby (in recovery)",
            (false, true) => "a read-only primary",
            (false, false) => "a read-write primary",
        }
    }
}

/// One URL per host of `url`, in order, each naming only that host, and the
/// `target_session_attrs` the URL asked for (taken out: sqlx does not know it). A URL
/// with a user but no host (`postgres://carve@/db?host=/run/pg`, as libpq allows) has its
/// user and password moved into the query, where the URL parser takes them without a
/// host; with no host at all the default socket is used, as libpq does.
pub fn split_hosts(url: &str) -> (Vec<String>, Option<String>) {
    let (url, kind) = take_param(url, "target_session_attrs");
    let Some((scheme, rest)) = url.split_once("://") else {
        return (vec![url], kind);
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (format!("{userinfo}@"), hosts),
        None => (String::new(), authority),
    };
    let urls = if hosts.is_empty() {
        vec![format!(
            "{scheme}://{}",
            with_user_in_query(tail, &userinfo)
        )]
    } else {
        hosts
            .split(',')
            .map(|host| format!("{scheme}://{userinfo}{host}{tail}"))
            .collect()
    };
    (urls, kind)
}

/// `tail` (`/db?query`) with `user@` / `user:password@` added to its query. A `+` is kept
/// a plus: in a query it would read as a space.
fn with_user_in_query(tail: &str, userinfo: &str) -> String {
    let Some(userinfo) = userinfo.strip_suffix('@') else {
        return tail.to_owned();
    };
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let mut params = format!("user={}", user.replace('+', "%2B"));
    if let Some(password) = password {
        params.push_str(&format!("&password={}", password.replace('+', "%2B")));
    }
    let joint = if tail.contains('?') { '&' } else { '?' };
    format!("{tail}{joint}{params}")
}

/// `url` without the query parameter `name`, and its value (the last one given).
fn take_param(url: &str, name: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut value = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some((key, v)) if key == name => {
                value = Some(v.to_owned());
                false
            }
            _ => true,
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_host_gets_its_own_url_with_the_rest_kept() {
        let (urls, kind) = split_hosts(
            "postgres://noc:pw@db1:5432,[::1]:6432,db3/ipam?sslmode=require&target_session_attrs=read-write",
        );
        assert_eq!(
            urls,
            [
                "postgres://noc:pw@db1:5432/ipam?sslmode=require",
                "postgres://noc:pw@[::1]:6432/ipam?sslmode=require",
                "postgres://noc:pw@db3/ipam?sslmode=require",
            ]
        );
        assert_eq!(kind.as_deref(), Some("read-write"));
    }

    #[test]
    fn one_host_and_no_query_are_left_alone() {
        let (urls, kind) = split_hosts("postgres://u@h:5/db");
        assert_eq!(urls, ["postgres://u@h:5/db"]);
        assert_eq!(kind, None);
        let (urls, _) = split_hosts("postgres://h?target_session_attrs=any");
        assert_eq!(urls, ["postgres://h"]);
    }

    #[test]
    fn a_socket_in_the_query_needs_no_host_in_the_url() {
        let (urls, _) = split_hosts("postgres://carve@/ipam?host=/run/pg");
        assert_eq!(urls, ["postgres:///ipam?host=/run/pg&user=carve"]);
        let (urls, _) = split_hosts("postgres://carve:a+b@/ipam");
        assert_eq!(urls, ["postgres:///ipam?user=carve&password=a%2Bb"]);
        // No host and no user: the default socket, as before.
        let (urls, _) = split_hosts("postgres:///ipam");
        assert_eq!(urls, ["postgres:///ipam"]);
    }

    #[test]
    fn kinds_accept_as_libpq_does() {
        let primary = Session {
            read_only: false,
            in_recovery: false,
        };
        let standby = Session {
            read_only: true,
            in_recovery: true,
        };
        assert!(SessionKind::ReadWrite.accepts(primary));
        assert!(!SessionKind::ReadWrite.accepts(standby));
        assert!(SessionKind::Standby.accepts(standby));
        assert!(!SessionKind::Primary.accepts(standby));
        assert!(SessionKind::ReadOnly.accepts(standby));
        assert_eq!(
            SessionKind::PreferStandby.passes(),
            [SessionKind::Standby, SessionKind::Any]
        );
        for (name, kind) in KINDS {
            assert_eq!(SessionKind::parse(name), Ok(*kind));
            assert_eq!(kind.as_str(), *name);
        }
        let err = SessionKind::parse("master").unwrap_err();
        assert!(
            err.contains("\"master\"") && err.contains("prefer-standby"),
            "{err}"
        );
    }
}
