//! The tmux harness itself (tests/support/tmux.rs), against small shell programs.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::tmux::Tmux;

const WAIT: Duration = Duration::from_secs(5);

fn bash(script: &str) -> Command {
    let mut command = Command::new("bash");
    command.args(["--norc", "--noprofile", "-c", script]);
    command
}

#[test]
fn typed_text_reaches_the_program_and_its_exit_is_seen() {
    let t = Tmux::start(&bash(r#"read -r x; echo "got $x"; sleep 5"#), 60, 8);
    // Trailing semicolons would end a tmux command if the harness did not escape them.
    t.text("hello; world;").keys("Enter");
    let screen = t.wait_for("got hello; world;", WAIT);
    assert!(
        screen.starts_with("hello; world;\ngot hello; world;\n"),
        "{screen}"
    );
    assert_eq!(t.exited(), None);
    t.keys("C-c");
    assert_eq!(t.wait_exit(WAIT), 130, "SIGINT is reported as 128 + 2");
}

#[test]
fn key_names_are_sent_as_terminal_keys() {
    let script = r#"for n in 3 1 1; do IFS= read -rsN$n k; printf 'key=%q\n' "$k"; done; sleep 5"#;
    let t = Tmux::start(&bash(script), 60, 8);
    t.send_keys(&["Down"]);
    t.wait_for(r"key=$'\E[B'", WAIT);
    t.keys("Escape");
    t.wait_for(r"key=$'\E'", WAIT);
    t.send_keys(&["C-a"]);
    t.wait_for(r"key=$'\001'", WAIT);
    // Dropped while running: the server and the sleeping program go away.
}

#[test]
fn environment_size_and_directory_come_from_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            r#"echo "T=$TERM F=$FOO H=${HOME-unset} D=$(pwd -P)"; tput cols; tput lines; exit 7;"#,
        ])
        .env("FOO", "a b;")
        .env_remove("HOME")
        .current_dir(dir.path());
    let t = Tmux::start(&command, 50, 6);
    assert_eq!(t.wait_exit(WAIT), 7);
    let want = format!(
        "T=xterm-256color F=a b; H=unset D={}\n50\n6\n",
        dir.path().canonicalize().unwrap().display()
    );
    let screen = t.capture();
    assert!(screen.starts_with(&want), "{screen}");
    assert!(screen.contains("Pane is dead (status 7"), "{screen}");
}

#[test]
fn resize_changes_the_terminal_size() {
    let t = Tmux::start(&bash("read -r; tput cols; tput lines; sleep 5"), 40, 10);
    t.resize(72, 12);
    t.keys("Enter");
    t.wait_for("72\n12\n", WAIT);
}

#[test]
fn a_program_that_restores_the_terminal_leaves_nothing_on() {
    let script = "seq 9; tput smcup; tput clear; tput civis; echo inside; read -r; \
                  tput cnorm; tput rmcup; echo after";
    let t = Tmux::start(&bash(script), 40, 6);
    // The numbers scrolled into the history stay out of the capture.
    let screen = t.wait_for("inside", WAIT);
    assert!(screen.starts_with("inside\n"), "{screen}");
    assert!(!t.alternate_screen_off());
    assert!(!t.cursor_visible());
    t.keys("Enter");
    assert_eq!(t.wait_exit(WAIT), 0);
    assert!(t.alternate_screen_off());
    assert!(t.cursor_visible());
    assert_eq!(t.modes_left_on(), Vec::<&str>::new());
    let screen = t.capture();
    assert!(
        screen.starts_with("6\n7\n8\n9\nafter\n\nPane is dead"),
        "{screen}"
    );
}

#[test]
fn a_program_that_leaves_modes_on_is_caught() {
    let script = r"tput smcup; tput civis; printf '\e[?1000h\e[?1006h\e[?2004h\e[>1u'; echo inside";
    let t = Tmux::start(&bash(script), 40, 6);
    assert_eq!(t.wait_exit(WAIT), 0);
    assert!(!t.alternate_screen_off());
    assert!(!t.cursor_visible());
    assert_eq!(
        t.modes_left_on(),
        [
            "cursor hidden",
            "mouse reporting",
            "bracketed paste",
            "keyboard enhancement flags",
            "alternate screen",
        ]
    );
    assert!(t.output().ends_with(b"inside\r\n"));
}

#[test]
#[should_panic(expected = "without \"never\" on screen")]
fn waiting_for_text_fails_fast_when_the_program_exits() {
    let t = Tmux::start(&bash("echo bye"), 40, 4);
    t.wait_for("never", WAIT);
}

#[test]
fn parallel_instances_are_isolated() {
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let t = Tmux::start(&bash(r#"read -r x; echo "got $x"; sleep 5"#), 40, 6);
                t.text(&format!("instance-{i}")).keys("Enter");
                let screen = t.wait_for(&format!("got instance-{i}"), WAIT);
                assert_eq!(screen.matches("instance-").count(), 2, "{screen}");
                t.socket_name().to_owned()
            })
        })
        .collect();
    let mut sockets: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    sockets.sort();
    sockets.dedup();
    assert_eq!(sockets.len(), 4);
}

#[test]
fn drop_kills_the_server_and_the_program() {
    // A sleep no other test runs, to find the program among all processes.
    let token = format!("7.{}", std::process::id());
    let t = Tmux::start(&bash(&format!("trap '' HUP; sleep {token}")), 40, 4);
    let socket = t.socket_name().to_owned();
    t.wait_until(WAIT, |_| running(&token));
    drop(t);
    let gone = Command::new("tmux")
        .args(["-L", &socket, "has-session"])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "the tmux server survived");
    let start = Instant::now();
    while running(&token) {
        assert!(
            start.elapsed() < WAIT,
            "the program survived its tmux server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process with `token` in its command line is alive.
fn running(token: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let status = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        String::from_utf8_lossy(&cmdline).contains(token) && !status.contains(") Z ")
    })
}
