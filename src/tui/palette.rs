//! The `:` palette's knowledge of carve's verbs, read from the CLI's own definition (so
//! it never drifts): Tab completion, which commands change data (shown as a plan and
//! asked about first), and the ones refused inside the UI.

use clap::CommandFactory;

use crate::cli::Cli;

/// Why `args` is not run from inside the UI, if it is not.
pub fn refused(args: &[String]) -> Option<String> {
    match args.first().map(String::as_str) {
        Some(verb @ ("demo" | "db")) => Some(format!(
            ":{verb} is not run from inside the UI: it creates, migrates or stops the \
             database under every open screen (run carve {verb} from a shell)"
        )),
        _ => None,
    }
}

/// What running `args` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only reads: run at once.
    Reads,
    /// Changes data and has `--dry-run`: show that plan, then ask.
    Plans,
    /// Changes data with no dry run: ask first.
    Asks,
}

/// Verbs that only read.
const READS: &[&str] = &[
    "show",
    "list",
    "status",
    "export",
    "invoice",
    "graph",
    "lookup",
    "log",
    "report",
    "utilization",
    "help",
];

pub fn kind(args: &[String]) -> Kind {
    let mut command = Cli::command();
    let mut last = None;
    for arg in args.iter().take_while(|a| !a.starts_with('-')) {
        match command.find_subcommand(arg) {
            Some(sub) => {
                last = Some(arg.as_str());
                command = sub.clone();
            }
            None => break,
        }
    }
    if args
        .iter()
        .any(|a| a == "--dry-run" || a == "--help" || a == "-h")
        || last.is_none_or(|verb| READS.contains(&verb))
    {
        Kind::Reads
    } else if command.get_arguments().any(|a| a.get_id() == "dry_run") {
        Kind::Plans
    } else {
        Kind::Asks
    }
}

/// `line` with its last word completed as far as the verbs allow (the longest common
/// beginning of every verb it can start), and the candidates.
pub fn complete(line: &str) -> (String, Vec<String>) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let typing = !line.ends_with(' ') && !words.is_empty();
    let (done, partial) = if typing {
        (&words[..words.len() - 1], words[words.len() - 1])
    } else {
        (&words[..], "")
    };
    let mut command = Cli::command();
    for word in done {
        match command.find_subcommand(word) {
            Some(sub) => command = sub.clone(),
            None => return (line.to_owned(), Vec::new()),
        }
    }
    let candidates: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .filter(|name| name.starts_with(partial) && name != "help")
        .collect();
    let Some(first) = candidates.first() else {
        return (line.to_owned(), candidates);
    };
    let common = candidates.iter().fold(first.clone(), |common, c| {
        common
            .chars()
            .zip(c.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    let mut completed: String = done.iter().map(|w| format!("{w} ")).collect();
    completed.push_str(&common);
    if candidates.len() == 1 {
        completed.push(' ');
    }
    (completed, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn verbs_complete_from_the_cli_definition() {
        assert_eq!(complete("sub").0, "subnet ");
        assert_eq!(complete("subnet al").0, "subnet allocate ");
        let (line, candidates) = complete("subnet re");
        assert_eq!(line, "subnet re");
        assert!(
            candidates.contains(&"release".to_owned())
                && candidates.contains(&"reserve".to_owned())
        );
        assert_eq!(complete("nonsense x").1, Vec::<String>::new());
    }

    #[test]
    fn changing_commands_plan_or_ask_and_database_commands_are_refused() {
        assert_eq!(kind(&args("subnet show 10.0.0.0/8")), Kind::Reads);
        assert_eq!(kind(&args("subnet release 10.0.0.0/29")), Kind::Plans);
        assert_eq!(
            kind(&args(
                "service provision --customer c --product p --device d"
            )),
            Kind::Plans
        );
        assert_eq!(kind(&args("subnet park 10.0.0.0/29")), Kind::Asks);
        assert_eq!(
            kind(&args("ip reserve 10.0.0.5 --reason DHCP")),
            Kind::Plans
        );
        assert_eq!(kind(&args("ip unreserve 10.0.0.5")), Kind::Plans);
        assert!(refused(&args("demo")).is_some());
        assert!(refused(&args("db migrate")).is_some());
        assert!(refused(&args("subnet list")).is_none());
    }
}
