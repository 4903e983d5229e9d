//! Who is acting, for the journal: the OS user (the name of the real uid, never taken
//! from the environment, which anyone can set), the one behind `sudo` when there is one,
//! the machine, and one id per command, so every row a command writes (a provisioning's
//! splits, allocations and summary) can be found together. The database role is
//! recorded by the database itself.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::os::fnv1a;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub os_user: String,
    /// Who ran `sudo`, when root runs carve through it.
    pub sudo_user: Option<String>,
    pub host: String,
    /// A UUID in its text form.
    pub command_id: String,
}

tokio::task_local! {
    /// The command a task works for, when it is not the whole process (the UI runs one
    /// command per action).
    static COMMAND: String;
}

/// The actor of the current command: this task's command, else the process's (a CLI
/// process is one command).
pub fn current() -> Actor {
    let command_id = COMMAND
        .try_with(Clone::clone)
        .unwrap_or_else(|_| process_command().to_owned());
    Actor {
        command_id,
        ..machine().clone()
    }
}

impl Actor {
    /// The person: the one behind `sudo`, else the OS user.
    pub fn person(&self) -> &str {
        self.sudo_user.as_deref().unwrap_or(&self.os_user)
    }
}

/// Runs `work` as a command of its own (one id for everything it journals).
pub async fn as_command<F: Future>(work: F) -> F::Output {
    COMMAND.scope(new_command_id(), work).await
}

/// Runs `work` as the command `id`: a retry of a command keeps its id, so the journal
/// can tell whether the first attempt committed.
pub async fn with_command<F: Future>(id: String, work: F) -> F::Output {
    COMMAND.scope(id, work).await
}

fn process_command() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(new_command_id)
}

fn machine() -> &'static Actor {
    static MACHINE: OnceLock<Actor> = OnceLock::new();
    MACHINE.get_or_init(|| {
        let uid = crate::os::real_uid();
        let env = |key: &str| std::env::var(key).ok();
        let (os_user, sudo_user) = person(
            uid,
            env("SUDO_USER").as_deref(),
            env("SUDO_UID").as_deref(),
            crate::os::user_name,
        );
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".to_owned());
        Actor {
            os_user,
            sudo_user,
            host,
            command_id: String::new(),
        }
    })
}

/// The OS user of real uid `uid` and, when that is root, the user behind `sudo`: sudo
/// sets SUDO_USER and SUDO_UID, but so can anyone, so they count only for root and only
/// when the passwd database gives SUDO_UID that very name.
fn person(
    uid: Option<u32>,
    sudo_user: Option<&str>,
    sudo_uid: Option<&str>,
    name_of: impl Fn(u32) -> Option<String>,
) -> (String, Option<String>) {
    let Some(uid) = uid else {
        return ("unknown".to_owned(), None);
    };
    let os_user = name_of(uid).unwrap_or_else(|| format!("uid {uid}"));
    let behind = match (uid, sudo_user, sudo_uid.map(str::parse::<u32>)) {
        (0, Some(name), Some(Ok(id))) if id != 0 && name_of(id).as_deref() == Some(name) => {
            Some(name.to_owned())
        }
        _ => None,
    };
    (os_user, behind)
}

/// A random-looking UUID (version 4 layout) from the clock, the process id and a
/// counter: unique per command, no random-number dependency.
pub fn new_command_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = format!("{nanos}:{}:{n}", std::process::id());
    let hi = fnv1a(seed.as_bytes());
    let lo = fnv1a(format!("{seed}:{hi}").as_bytes());
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_command_has_its_own_id_and_the_process_keeps_one() {
        let process = current().command_id;
        assert_eq!(current().command_id, process);
        let inner = as_command(async { (current().command_id, current().command_id) }).await;
        assert_eq!(inner.0, inner.1, "one id for the whole command");
        assert_ne!(inner.0, process);
        assert_eq!(process.len(), 36);
        assert_eq!(&process[14..15], "4", "version 4 layout: {process}");
    }

    #[test]
    fn sudo_is_believed_only_for_root_and_only_when_passwd_agrees() {
        let passwd = |uid: u32| match uid {
            0 => Some("root".to_owned()),
            1000 => Some("alice".to_owned()),
            1001 => Some("bob".to_owned()),
            _ => None,
        };
        let who = |uid, user, id| person(uid, user, id, passwd);
        let named = |user: &str, sudo: Option<&str>| (user.to_owned(), sudo.map(str::to_owned));
        assert_eq!(
            who(Some(0), Some("alice"), Some("1000")),
            named("root", Some("alice"))
        );
        assert_eq!(who(Some(0), None, None), named("root", None));
        assert_eq!(
            who(Some(1001), Some("alice"), Some("1000")),
            named("bob", None),
            "not root: SUDO_USER is only a variable"
        );
        for (user, id) in [
            (Some("alice"), Some("1001")),
            (Some("alice"), None),
            (Some("alice"), Some("x")),
            (Some("mallory"), Some("4242")),
            (Some("root"), Some("0")),
        ] {
            assert_eq!(
                who(Some(0), user, id),
                named("root", None),
                "{user:?} {id:?}"
            );
        }
        assert_eq!(who(Some(4242), None, None), named("uid 4242", None));
    }
}
