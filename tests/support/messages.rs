//! Waiting for what the UI's controller answers, as the UI would receive it.

use std::time::Duration;

use carve::error::Result;
use carve::store::Db;
use carve::tui::controller::Controller;
use carve::tui::listen;
use carve::tui::ops::{Msg, Outcome};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// The next message `wanted` picks, within `limit`; the others are dropped.
pub async fn wait_for(
    rx: &mut UnboundedReceiver<Msg>,
    limit: Duration,
    wanted: impl Fn(&Msg) -> bool,
) -> Msg {
    tokio::time::timeout(limit, async {
        loop {
            let msg = rx.recv().await.expect("the controller is gone");
            if wanted(&msg) {
                return msg;
            }
        }
    })
    .await
    .expect("the message did not come")
}

/// The outcome of the change run as effect `id`, once the controller reports it done.
pub async fn done(rx: &mut UnboundedReceiver<Msg>, id: u64, limit: Duration) -> Result<Outcome> {
    match wait_for(
        rx,
        limit,
        |m| matches!(m, Msg::Done { id: done, .. } if *done == id),
    )
    .await
    {
        Msg::Done { result, .. } => result,
        _ => unreachable!(),
    }
}

/// A UI's controller on `db` and its change listener, started as the UI starts them, and
/// where their messages arrive.
pub fn open_ui(db: &Db) -> (Controller, UnboundedReceiver<Msg>) {
    let (tx, rx) = unbounded_channel();
    tokio::spawn(listen::listen(db.clone(), tx.clone()));
    (Controller::new(db.clone(), tx, Vec::new()), rx)
}
