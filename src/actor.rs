//! Who is acting, for the journal: the person (the OS user, the one behind `sudo` when
//! there is one), the machine, and one id per command, so every row a command writes
//! (a provisioning's splits, allocations and summary) can be found together. The
//! database role is recorded by the database itself.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::os::fnv1a;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub os_user: String,
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
    let (os_user, host) = machine();
    let command_id = COMMAND
        .try_with(Clone::clone)
        .unwrap_or_else(|_| process_command().to_owned());
    Actor {
        os_user: os_user.clone(),
        host: host.clone(),
        command_id,
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

fn machine() -> &'static (String, String) {
    static MACHINE: OnceLock<(String, String)> = OnceLock::new();
    MACHINE.get_or_init(|| {
        let env = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
        let user = env("SUDO_USER")
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
            .unwrap_or_else(|| {
                crate::os::effective_uid().map_or("unknown".to_owned(), |uid| format!("uid {uid}"))
            });
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".to_owned());
        (user, host)
    })
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
}
