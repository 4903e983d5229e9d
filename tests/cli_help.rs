//! Shell habits: every subcommand and every argument has help text (so `--help`, the
//! completions and the manual page all say something), and `carve completions` and
//! `carve man` come from the same definitions.

mod support;

use clap::CommandFactory;

/// `path: what is missing`, for every subcommand and argument of the tree.
fn missing_help(command: &clap::Command, path: &str, out: &mut Vec<String>) {
    let has =
        |s: Option<&clap::builder::StyledStr>| s.is_some_and(|s| !s.to_string().trim().is_empty());
    if !has(command.get_about()) {
        out.push(format!("{path}: no about"));
    }
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if matches!(id, "help" | "version") || arg.is_hide_set() {
            continue;
        }
        if !has(arg.get_help()) && !has(arg.get_long_help()) {
            out.push(format!("{path} {id}: no help"));
        }
    }
    for sub in command.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        missing_help(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn every_subcommand_and_argument_has_help() {
    let mut missing = Vec::new();
    missing_help(&carve::cli::Cli::command(), "carve", &mut missing);
    assert!(
        missing.is_empty(),
        "{} without help:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

fn carve(args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    support::run(support::carve(home.path()).args(args))
}

/// Runs `shell` with `args` on `script` when that shell is installed; false when not.
fn syntax_ok(shell: &str, args: &[&str], script: &str) -> Option<bool> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("carve.completion");
    std::fs::write(&file, script).unwrap();
    let out = std::process::Command::new(shell)
        .args(args)
        .arg(&file)
        .output()
        .ok()?;
    Some(out.status.success())
}

#[test]
fn completions_and_the_manual_page_come_from_the_commands() {
    let top: Vec<String> = carve::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_owned())
        .collect();
    for (shell, check, args) in [
        ("bash", "bash", &["-n"][..]),
        ("zsh", "zsh", &["-n"]),
        ("fish", "fish", &["--no-execute"]),
    ] {
        let (code, script, stderr) = carve(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        for name in &top {
            assert!(
                script.contains(name.as_str()),
                "{shell} completion lacks {name}"
            );
        }
        assert!(script.contains("database-url"), "{shell}");
        match syntax_ok(check, args, &script) {
            Some(ok) => assert!(ok, "{shell} rejects its completion script"),
            None => println!("note: {check} is not installed; its script's syntax was not checked"),
        }
    }
    let (code, page, stderr) = carve(&["man"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        page.starts_with(".ie") || page.contains(".TH carve"),
        "{page}"
    );
    for name in &top {
        assert!(page.contains(name.as_str()), "the manual page lacks {name}");
    }
    let (code, _, stderr) = carve(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("tcsh"), "{stderr}");
}
