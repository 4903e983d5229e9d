//! End-to-end terminal tests: a real program in a real terminal (tmux), driven by keys and
//! observed through the screen.
//!
//! Each [`Tmux`] has its own server (`tmux -L carve-e2e-<pid>-<n> -f /dev/null`), so tests
//! run in parallel under `cargo test` and `cargo nextest`. Dropping it kills the server and
//! the program's process group; servers of a test process that was killed are swept by the
//! next process that starts one.
//!
//! The program is the pane's process, started through `env` (no shell, no rc files) with
//! `TERM=xterm-256color` and the [`Command`]'s environment changes and directory. There is no
//! status line: the program gets exactly `width` x `height`. tmux keeps the pane after the
//! program exits (`remain-on-exit`); the harness then reads the final state once, keeps it,
//! and shuts the server down. Everything the program writes is recorded (`pipe-pane`), so
//! [`Tmux::modes_left_on`] can tell what it left switched on.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

const PREFIX: &str = "carve-e2e-";
const SESSION: &str = "main";
const POLL: Duration = Duration::from_millis(50);
static COUNTER: AtomicU32 = AtomicU32::new(0);
static SWEEP: Once = Once::new();

/// A program running in a private tmux server; see the module docs.
pub struct Tmux {
    socket: String,
    socket_path: PathBuf,
    pane_pid: u32,
    log: PathBuf,
    /// The state read when the program was first seen to have exited.
    last: OnceLock<State>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
struct State {
    exit: Option<i32>,
    alternate: bool,
    cursor: bool,
    screen: String,
}

impl Tmux {
    /// Starts `command` (program, arguments, environment changes, working directory; stdio
    /// settings are ignored, the pane is the terminal; `env_clear` cannot be seen) in a
    /// `width` x `height` terminal. Panics if tmux is missing or refuses.
    pub fn start(command: &Command, width: u16, height: u16) -> Tmux {
        SWEEP.call_once(sweep_leaked_servers);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let socket = format!("{PREFIX}{}-{n}", std::process::id());
        let dir = tempfile::Builder::new()
            .prefix(&format!("{socket}-"))
            .tempdir()
            .expect("temp dir");
        let log = dir.path().join("output");
        let mut args = words(&format!(
            "set -g remain-on-exit on ; set -g status off ; set -s escape-time 0 ; \
             new-session -d -s {SESSION} -x {width} -y {height}"
        ));
        // The caller's arguments: escaped, so tmux does not split commands on them.
        let mut user: Vec<String> = Vec::new();
        if let Some(cwd) = command.get_current_dir() {
            let cwd = std::env::current_dir().expect("cwd").join(cwd);
            user.extend(["-c".into(), cwd.to_string_lossy().replace('#', "##")]);
        }
        user.extend(["--".into(), "env".into()]);
        let envs: Vec<_> = command.get_envs().collect();
        for (key, _) in envs.iter().filter(|(_, value)| value.is_none()) {
            user.extend(["-u".into(), key.to_string_lossy().into_owned()]);
        }
        user.extend(["--".into(), "TERM=xterm-256color".into()]);
        for (key, value) in envs
            .iter()
            .filter_map(|(k, v)| Some((k.to_string_lossy(), (*v)?)))
        {
            user.push(format!("{key}={}", value.to_string_lossy()));
        }
        user.push(command.get_program().to_string_lossy().into_owned());
        user.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
        args.extend(user.iter().map(|a| escape(a)));
        // Queued with new-session, so the recording starts before tmux reads any output.
        let log_q = format!("'{}'", log.to_string_lossy().replace('\'', r"'\''"));
        let pipe = format!("cat >{log_q}; : >{log_q}.done").replace('#', "##");
        args.extend([";", "pipe-pane", "-t", SESSION, &pipe].map(String::from));
        args.extend(words(&format!("; display-message -p -t {SESSION}")));
        args.push("#{pane_pid} #{socket_path}".into());
        let out = tmux_command(&socket, &args);
        let (pid, path) = out
            .trim_end()
            .split_once(' ')
            .expect("tmux start-up output");
        Tmux {
            pane_pid: pid.parse().expect("pane pid"),
            socket_path: PathBuf::from(path),
            socket,
            log,
            last: OnceLock::new(),
            _dir: dir,
        }
    }

    /// The `-L` name of this instance's tmux server.
    pub fn socket_name(&self) -> &str {
        &self.socket
    }

    /// Sends tmux key names, one key per item: `"Enter"`, `"Escape"`, `"Down"`, `"C-c"`,
    /// `"M-x"`, `"F5"`, `"BSpace"`, `"Tab"`, `"BTab"`; an unknown name is typed as text.
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION, "--"];
        args.extend(keys);
        self.tmux(&args);
    }

    /// [`send_keys`](Self::send_keys) with whitespace-separated key names: `"Down Down Enter"`.
    pub fn keys(&self, keys: &str) -> &Self {
        self.send_keys(&keys.split_whitespace().collect::<Vec<_>>());
        self
    }

    /// Types `text` literally (`send-keys -l`): no key names; `\n` is a line feed.
    pub fn text(&self, text: &str) -> &Self {
        self.tmux(&["send-keys", "-l", "-t", SESSION, "--", text]);
        self
    }

    /// Resizes the terminal; the program gets SIGWINCH.
    pub fn resize(&self, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        self.tmux(&["resize-window", "-t", SESSION, "-x", &w, "-y", &h]);
    }

    /// The screen as plain text, a line per row, trailing blanks trimmed. After exit: the
    /// screen as the program left it, then a line `Pane is dead (status N, <date>)`.
    pub fn capture(&self) -> String {
        self.state().screen
    }

    /// Polls the screen every 50 ms until it contains `needle`, and returns it. Panics with
    /// the last screen after `timeout`, or as soon as the program exits without it.
    #[track_caller]
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let what = format!("{needle:?}");
        self.wait(&what, timeout, |s| s.screen.contains(needle))
            .screen
    }

    /// [`wait_for`](Self::wait_for) with a condition on the screen.
    #[track_caller]
    pub fn wait_until(&self, timeout: Duration, mut pred: impl FnMut(&str) -> bool) -> String {
        self.wait("the condition", timeout, |s| pred(&s.screen))
            .screen
    }

    #[track_caller]
    fn wait(&self, what: &str, timeout: Duration, mut pred: impl FnMut(&State) -> bool) -> State {
        let start = Instant::now();
        loop {
            let state = self.state();
            let screen = frame(&state.screen);
            if pred(&state) {
                return state;
            } else if let Some(status) = state.exit {
                panic!("program exited (status {status}) without {what} on screen:\n{screen}");
            } else if start.elapsed() >= timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// The program's exit status once it has exited; 128 + N when killed by signal N.
    pub fn exited(&self) -> Option<i32> {
        self.state().exit
    }

    /// Waits for the program to exit and returns its status; panics with the screen after
    /// `timeout`.
    #[track_caller]
    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        let state = self.wait("the exit", timeout, |s| s.exit.is_some());
        state.exit.expect("an exit status")
    }

    /// tmux shows the normal screen, not the alternate one. After exit this proves the
    /// program left the alternate screen (`rmcup`, `CSI ?1049 l`): tmux keeps that state.
    pub fn alternate_screen_off(&self) -> bool {
        !self.state().alternate
    }

    /// The cursor is shown. While the program runs: tmux's `#{cursor_flag}`. tmux hides the
    /// cursor of a dead pane itself, so after exit: the program's last `CSI ?25 h/l`
    /// (`cnorm`/`civis`) in its output showed the cursor.
    pub fn cursor_visible(&self) -> bool {
        let state = self.state();
        match state.exit {
            None => state.cursor,
            Some(_) => !modes_from_output(&self.output()).contains(&"cursor hidden"),
        }
    }

    /// After the program exited: what it left on, empty when it handed the terminal back as
    /// it found it. From its output: cursor hidden, mouse reporting, focus events, bracketed
    /// paste, application cursor keys (`CSI ? Pm h` without a later `l`), keyboard
    /// enhancement flags (`CSI > N u` without `CSI < u`); from tmux: the alternate screen.
    /// termios (raw mode, echo) cannot be seen once the pane is dead. Panics while the
    /// program runs.
    pub fn modes_left_on(&self) -> Vec<&'static str> {
        assert!(
            self.exited().is_some(),
            "modes_left_on: the program still runs"
        );
        let mut modes = modes_from_output(&self.output());
        if !self.alternate_screen_off() {
            modes.push("alternate screen");
        }
        modes
    }

    /// Everything the program wrote, escape sequences included: complete once it has
    /// exited; while it runs the recording may lag a little.
    pub fn output(&self) -> Vec<u8> {
        if self.state().exit.is_some() {
            self.wait_recorder();
        }
        std::fs::read(&self.log).unwrap_or_default()
    }

    /// Once the server is gone, the recorder gets end-of-file, finishes the file and
    /// writes its marker.
    fn wait_recorder(&self) {
        let done = PathBuf::from(format!("{}.done", self.log.display()));
        let start = Instant::now();
        while !done.exists() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The live state in one tmux call, or the one kept from when the program exited.
    fn state(&self) -> State {
        if let Some(state) = self.last.get() {
            return state.clone();
        }
        let fields = "#{pane_dead} #{alternate_on} #{cursor_flag} #{history_size} \
                      #{pane_dead_status} #{pane_dead_signal}";
        let mut args = vec!["display-message", "-p", "-t", SESSION, fields, ";"];
        // -S -1: tmux scrolls a dead pane's screen up a line for its message.
        args.extend(["capture-pane", "-p", "-S", "-1", "-t", SESSION]);
        let read = || {
            let out = tmux_command(&self.socket, &args);
            let (head, screen) = out.split_once('\n').expect("tmux state");
            let fields: Vec<String> = head.split(' ').map(String::from).collect();
            (fields, screen.to_owned())
        };
        let (mut f, mut screen) = read();
        if f[0] == "1" && f[4].is_empty() && f[5].is_empty() {
            // Dead without a status: tmux before 3.5 can miss the program's SIGCHLD (tmux
            // issue #311). Any job's exit makes it reap every exited child.
            tmux_command(&self.socket, &["run-shell", "true"]);
            (f, screen) = read();
        }
        if f[0] == "0" && f[3] != "0" {
            screen = screen
                .split_once('\n')
                .map_or("", |(_, rest)| rest)
                .to_owned();
        }
        // Still no status: the pane's terminal closed, the program has not exited.
        let exit = match (f[0].as_str(), f[4].as_str(), f[5].as_str()) {
            ("1", "", "") => None,
            ("1", "", signal) => Some(signal.parse().map_or(-1, |s: i32| 128 + s)),
            ("1", status, _) => Some(status.parse().unwrap_or(-1)),
            _ => None,
        };
        let state = State {
            exit,
            alternate: f[1] == "1",
            cursor: f[2] == "1",
            screen,
        };
        if exit.is_some() {
            self.last.get_or_init(|| state.clone());
            // Nothing changes any more; this also closes the recording.
            let _ = tmux(&self.socket).arg("kill-server").output();
        }
        state
    }

    fn tmux(&self, args: &[&str]) -> String {
        assert!(self.last.get().is_none(), "the program has exited");
        tmux_command(
            &self.socket,
            &args.iter().map(|a| escape(a)).collect::<Vec<_>>(),
        )
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        if self.last.get().is_none() {
            // No panicking here: this may run while a failed test unwinds.
            let mut dead = tmux(&self.socket);
            dead.args(["display", "-p", "-t", SESSION, "#{pane_dead}"]);
            let alive = dead.output().is_ok_and(|out| out.stdout.starts_with(b"0"));
            let _ = tmux(&self.socket).arg("kill-server").output();
            // The hangup ends most programs; one ignoring SIGHUP must not leak either.
            if alive {
                let group = format!("-{}", self.pane_pid);
                let mut kill = Command::new("kill");
                let _ = kill
                    .args(["-s", "KILL", "--", &group])
                    .stderr(Stdio::null())
                    .status();
            }
        }
        let _ = std::fs::remove_file(&self.socket_path);
        // Before the temp dir goes, or the marker could land in it while it is removed.
        self.wait_recorder();
    }
}

/// `tmux -L socket -f /dev/null`, unaffected by a tmux the tests may run in.
fn tmux(socket: &str) -> Command {
    let mut command = Command::new("tmux");
    command.args(["-L", socket, "-f", "/dev/null"]);
    command.env_remove("TMUX").env_remove("TMUX_PANE");
    command.stdin(Stdio::null());
    command
}

fn tmux_command<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(socket: &str, args: &[S]) -> String {
    let out = match tmux(socket).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "tmux is not installed, and the end-to-end terminal tests need it: \
             apt-get install tmux (.ci/run installs it)"
        ),
        Err(e) => panic!("cannot run tmux: {e}"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tmux {args:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// tmux ends a command at an argument ending in `;`; a final `\;` stands for `;`.
fn escape(arg: &str) -> String {
    match arg.strip_suffix(';') {
        Some(rest) => format!("{rest}\\;"),
        None => arg.to_owned(),
    }
}

fn frame(screen: &str) -> String {
    let rule = "-".repeat(40);
    format!("{rule}\n{screen}{rule}")
}

/// DEC private modes a program must switch off again, by what leaving them on means.
const MODES: [(&str, &[&str]); 4] = [
    (
        "mouse reporting",
        &["9", "1000", "1002", "1003", "1005", "1006", "1015"],
    ),
    ("focus events", &["1004"]),
    ("bracketed paste", &["2004"]),
    ("application cursor keys", &["1"]),
];

/// What a byte stream leaves changed: follows `CSI ? Pm h/l`, keyboard enhancement
/// `CSI > N u` (push) / `CSI < N u` (pop), and `ESC c` (full reset).
fn modes_from_output(out: &[u8]) -> Vec<&'static str> {
    let reset = || (BTreeSet::from(["25".to_owned()]), 0);
    let (mut on, mut pushed) = reset();
    let mut i = 0;
    while i < out.len() {
        if out[i..].starts_with(b"\x1bc") {
            (on, pushed) = reset();
        }
        if !out[i..].starts_with(b"\x1b[") {
            i += 1;
            continue;
        }
        let body = &out[i + 2..];
        let Some(len) = body.iter().position(|b| (0x40..=0x7e).contains(b)) else {
            break;
        };
        let params = String::from_utf8_lossy(&body[..len]);
        match (params.get(..1), body[len]) {
            (Some("?"), b'h') => on.extend(params[1..].split(';').map(String::from)),
            (Some("?"), b'l') => on.retain(|m| !params[1..].split(';').any(|p| p == m)),
            (Some(">"), b'u') => pushed += 1,
            (Some("<"), b'u') => pushed -= params[1..].parse::<i64>().unwrap_or(1).max(1),
            _ => {}
        }
        i += 2 + len + 1;
    }
    let hidden = (!on.contains("25")).then_some("cursor hidden");
    let modes = MODES
        .iter()
        .filter(|(_, m)| m.iter().any(|m| on.contains(*m)));
    let keyboard = (pushed > 0).then_some("keyboard enhancement flags");
    hidden
        .into_iter()
        .chain(modes.map(|m| m.0))
        .chain(keyboard)
        .collect()
}

/// Cleans up after test processes that were killed (or had this pid before): kills their
/// servers, removes their sockets and temp dirs.
fn sweep_leaked_servers() {
    use std::os::unix::fs::MetadataExt;
    let me = std::process::id().to_string();
    let stale = |entry: &std::fs::DirEntry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix(PREFIX)?.split('-').next()?.to_owned();
        (pid == me || !Path::new("/proc").join(&pid).exists()).then_some(name)
    };
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    let base = std::env::var_os("TMUX_TMPDIR").unwrap_or_else(|| "/tmp".into());
    let sockets = std::fs::read_dir(Path::new(&base).join(format!("tmux-{uid}")));
    for entry in sockets.into_iter().flatten().flatten() {
        if let Some(name) = stale(&entry) {
            let _ = tmux(&name).arg("kill-server").output();
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let dirs = std::fs::read_dir(std::env::temp_dir());
    for entry in dirs
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| stale(e).is_some())
    {
        let _ = std::fs::remove_dir_all(entry.path());
    }
}
