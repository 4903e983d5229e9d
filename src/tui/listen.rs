//! Background tasks of an open UI: changes made elsewhere, heard through PostgreSQL
//! LISTEN/NOTIFY (or, reading from a standby, seen in its journal), and release
//! cooldowns that ended.

use tokio::sync::mpsc::UnboundedSender;

use super::controller::RECONNECT_EVERY;
use super::ops::Msg;
use crate::error::{ErrorKind, Result};
use crate::service::Db;
use crate::service::changes::{self, Changes};

/// While the UI is open (and may change data), frees space whose release cooldown has
/// ended once a minute, so it becomes free on its own; the journal's notification then
/// refreshes every open screen.
pub async fn free_ended_cooldowns(db: Db, tx: UnboundedSender<Msg>) {
    while !tx.is_closed() {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        crate::service::cooldown::expire(&db).await;
    }
}

/// Forwards every change journaled by anyone as a message, until the UI goes away;
/// listens again after a lost connection, saying so: the status bar shows it, and the
/// screen reloads once the database is back (changes made meanwhile were not heard).
pub async fn listen(db: Db, tx: UnboundedSender<Msg>) {
    let mut lost = false;
    while !tx.is_closed() {
        let outcome = async {
            let mut changes = Changes::start(&db).await?;
            if std::mem::take(&mut lost) {
                let _ = tx.send(Msg::Connection { up: true });
            }
            loop {
                changes.next().await?;
                if tx.send(Msg::External).is_err() {
                    return Ok(());
                }
            }
        };
        let result: Result<()> = outcome.await;
        if let Err(e) = result {
            tracing::warn!("change listener: {}; listening again shortly", e.message);
            if e.kind == ErrorKind::Connection && !lost {
                lost = true;
                let _ = tx.send(Msg::Connection { up: false });
            }
            tokio::time::sleep(RECONNECT_EVERY).await;
        }
    }
}

/// How often a UI reading from a standby looks at its journal: one indexed read.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// For a UI reading from a standby, where LISTEN is refused: once a second, the newest
/// journal row there (a new one is a change, now replayed) and how far the standby lags
/// the primary, both sent as messages.
pub async fn follow_standby(reads: Db, tx: UnboundedSender<Msg>) {
    let mut newest = None;
    let mut lost = false;
    while !tx.is_closed() {
        match changes::standing(&reads).await {
            Ok(standing) => {
                if std::mem::take(&mut lost) {
                    let _ = tx.send(Msg::Connection { up: true });
                }
                if newest.is_some_and(|n| n != standing.newest) {
                    let _ = tx.send(Msg::External);
                }
                newest = Some(standing.newest);
                let _ = tx.send(Msg::Standby {
                    lag_secs: standing.lag_secs,
                });
            }
            Err(e) if e.kind == ErrorKind::Connection => {
                if !lost && !reads.answers().await {
                    lost = true;
                    let _ = tx.send(Msg::Connection { up: false });
                }
            }
            Err(e) => tracing::warn!("following the standby: {}", e.message),
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
}
