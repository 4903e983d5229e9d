//! The terminal UI: a CIDR tree with detail, VLAN and rDNS panes, driven from the
//! keyboard. `App` holds the state and a pure `update`; the controller runs service
//! calls off the UI thread; views draw from the state. Draws happen only when a message
//! arrived (a key, an answer, a change elsewhere): an idle screen sends nothing over SSH.

pub mod app;
pub mod controller;
pub mod dialog;
pub mod geometry;
pub mod keymap;
pub mod listen;
pub mod ops;
mod palette;
pub mod theme;
pub mod tree;
pub mod view;

use std::io::{IsTerminal, Stdout, stdout};
use std::time::Duration;

use crossterm::event::{self, Event, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use app::App;
use controller::Controller;
use keymap::Keymap;
use ops::Msg;
use theme::Theme;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::service::Db;

/// What the UI needs besides the database.
pub struct Options {
    pub theme: Theme,
    pub keymap: Keymap,
    /// Shown in the status bar: which database this is.
    pub database: String,
    /// Why this session may not change data, when it may not.
    pub read_only: Option<String>,
    /// The config profile in use, shown in the status bar.
    pub profile: Option<String>,
    /// The global options the palette passes to `carve` so it reaches the same database.
    pub global_args: Vec<String>,
    /// A standby the screen reads from (`read_url`); changes still go to the primary.
    pub reads: Option<Db>,
}

/// Opens the UI on `db` for `carve` with no command (and `carve demo` on a terminal),
/// refusing when stdin or stdout is not a terminal.
pub async fn open(db: Db, settings: &Settings, global_args: Vec<String>) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::validation(
            "the terminal UI needs a terminal; for scripts use the commands (carve --help)",
        ));
    }
    let read_only = crate::service::database::read_only_reason(settings, &db).await?;
    let reads = match settings.for_reads() {
        Some(reading) => Some(crate::service::database::open(&reading).await?.0),
        None => None,
    };
    let options = Options {
        read_only,
        theme: Theme::load(&settings.theme, theme::no_color_from_env())?,
        keymap: Keymap::new(&settings.keys)?,
        database: db.description.clone(),
        profile: settings.profile.clone(),
        global_args,
        reads,
    };
    run(db, options).await
}

/// Runs the UI until the user quits. The terminal is restored on every way out,
/// a panic included.
pub async fn run(db: Db, options: Options) -> Result<()> {
    let mut terminal = enter()?;
    let result = event_loop(&mut terminal, db, options).await;
    leave();
    result
}

type Screen = Terminal<CrosstermBackend<Stdout>>;

fn enter() -> Result<Screen> {
    let hook = std::panic::take_hook();
    // A panic anywhere (a controller task too) is a bug: restore the terminal, print it,
    // and end the process, rather than go on in a half-restored terminal.
    std::panic::set_hook(Box::new(move |info| {
        leave();
        hook(info);
        std::process::exit(101);
    }));
    let fail = |e: std::io::Error| Error::internal(format!("cannot set up the terminal: {e}"));
    enable_raw_mode().map_err(fail)?;
    execute!(stdout(), EnterAlternateScreen).map_err(fail)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout())).map_err(fail)?;
    terminal.hide_cursor().map_err(fail)?;
    terminal.clear().map_err(fail)?;
    Ok(terminal)
}

/// Puts the terminal back as it was; safe to call more than once.
fn leave() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

/// Keys and resizes, read on a thread of their own (crossterm's read blocks).
fn read_input(tx: UnboundedSender<Msg>) {
    std::thread::spawn(move || {
        while !tx.is_closed() {
            let msg = match event::read() {
                Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!("reading the terminal: {e}");
                    return;
                }
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}

async fn event_loop(terminal: &mut Screen, db: Db, options: Options) -> Result<()> {
    let fail = |e: std::io::Error| Error::internal(format!("cannot draw: {e}"));
    let (tx, mut rx) = unbounded_channel();
    read_input(tx.clone());
    let standby = match &options.reads {
        Some(reads) => crate::service::changes::standing(reads).await?.standby,
        None => false,
    };
    match &options.reads {
        // LISTEN is refused on a standby: its journal is followed instead.
        Some(reads) if standby => {
            tokio::spawn(listen::follow_standby(reads.clone(), tx.clone()));
        }
        _ => {
            tokio::spawn(listen::listen(db.clone(), tx.clone()));
        }
    }
    if options.read_only.is_none() {
        tokio::spawn(listen::free_ended_cooldowns(db.clone(), tx.clone()));
    }
    let controller = Controller::new(db, tx, options.global_args).reading_from(options.reads);
    let size = terminal.size().map_err(fail)?;
    let mut app = App::new(options.keymap, options.database, (size.width, size.height));
    app.read_only = options.read_only;
    app.profile = options.profile;
    for effect in app.start() {
        controller.run(effect);
    }
    let theme = options.theme;
    terminal
        .draw(|f| view::draw(f, &app, &theme))
        .map_err(fail)?;
    let mut spinner = tokio::time::interval(Duration::from_millis(120));
    loop {
        let msg = tokio::select! {
            msg = rx.recv() => match msg {
                Some(msg) => msg,
                None => break,
            },
            _ = spinner.tick(), if app.pending > 0 => Msg::Tick,
        };
        // Take everything already queued before drawing once.
        let mut queued = vec![msg];
        while let Ok(more) = rx.try_recv() {
            queued.push(more);
        }
        for msg in queued {
            for effect in app.update(msg) {
                controller.run(effect);
            }
        }
        if app.quit {
            break;
        }
        terminal
            .draw(|f| view::draw(f, &app, &theme))
            .map_err(fail)?;
    }
    Ok(())
}
