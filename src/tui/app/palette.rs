//! The `:` palette: running a command (a change shows its plan first and runs held to
//! it), its answers, and the prompt's history and completion.

use crossterm::event::KeyCode;

use super::App;
use crate::tui::dialog::Dialog;
use crate::tui::ops::Effect;
use crate::tui::palette;

impl App {
    /// Runs a palette command: a read at once; a change with a dry run shows that plan
    /// first, one without is asked about.
    pub(super) fn palette(&mut self, args: Vec<String>) -> Vec<Effect> {
        let line = args.join(" ");
        match palette::kind(&args) {
            palette::Kind::Reads => {
                let id = self.id();
                self.say(format!("running carve {line}"));
                self.effect(Effect::Palette { id, args })
            }
            palette::Kind::Plans => {
                let id = self.id();
                self.say(format!("planning carve {line}"));
                self.palette_plan = Some((id, args.clone()));
                let mut dry = args;
                dry.extend(["--dry-run".to_owned(), "--print-plan".to_owned()]);
                self.effect(Effect::Palette { id, args: dry })
            }
            palette::Kind::Asks => {
                self.say("this changes data: Enter runs it, Esc cancels");
                self.dialog = Some(Dialog::Text {
                    title: format!("run carve {line}?"),
                    text: "it changes data and has no dry run to show first".to_owned(),
                    scroll: 0,
                    run: Some(args),
                });
                Vec::new()
            }
        }
    }

    /// Up and Down step through earlier palette lines; Tab completes a verb.
    pub(super) fn palette_key(&mut self, code: KeyCode) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        let n = self.palette_history.len();
        match code {
            KeyCode::Tab => {
                let (line, candidates) = palette::complete(&prompt.line);
                prompt.line = line;
                if candidates.len() > 1 {
                    self.status.text = candidates.join(" ");
                    self.status.error = false;
                }
                return;
            }
            KeyCode::Up if n > 0 => {
                let at = self.history_at.map_or(n - 1, |i| i.saturating_sub(1));
                self.history_at = Some(at);
            }
            KeyCode::Down => match self.history_at {
                Some(i) if i + 1 < n => self.history_at = Some(i + 1),
                _ => {
                    self.history_at = None;
                    prompt.line.clear();
                    return;
                }
            },
            _ => return,
        }
        if let Some(line) = self.history_at.and_then(|i| self.palette_history.get(i)) {
            prompt.line = line.clone();
        }
    }

    /// The output of a palette command: a plan to confirm, a plan that went stale
    /// (planned again), or the result.
    pub(super) fn palette_answer(&mut self, id: u64, ok: bool, output: String) -> Vec<Effect> {
        let confirmed = self.palette_confirm.take().filter(|(c, _)| *c == id);
        if let Some((_, args)) = confirmed
            && !ok
            && output.contains("changed since the plan")
        {
            let effects = self.palette(args);
            let why = output.trim().to_owned();
            self.replanned = self.palette_plan.as_ref().map(|(p, _)| (*p, why));
            return effects;
        }
        let plan = self.palette_plan.take().filter(|(p, _)| *p == id && ok);
        if let Some((_, args)) = plan {
            let (text, fingerprint) = split_fingerprint(&output);
            let text = match self.replanned.take() {
                Some((p, why)) if p == id => format!("{why}\nthe new plan:\n{text}"),
                _ => text,
            };
            self.palette_fingerprint = fingerprint.map(|fp| (fp, args.clone()));
            self.say("plan ready: Enter runs it, Esc cancels");
            self.dialog = Some(Dialog::Text {
                title: format!("plan of carve {}", args.join(" ")),
                text,
                scroll: 0,
                run: Some(args),
            });
            return Vec::new();
        }
        let title = if ok { "carve" } else { "carve (failed)" };
        self.dialog = Some(Dialog::Text {
            title: title.to_owned(),
            text: output,
            scroll: 0,
            run: None,
        });
        self.say(if ok {
            "carve finished"
        } else {
            "carve failed (see its output)"
        });
        self.reload()
    }
}

/// A palette dry run's output without its `carve-plan:` line, and that fingerprint.
fn split_fingerprint(output: &str) -> (String, Option<String>) {
    let mut fingerprint = None;
    let text: Vec<&str> = output
        .lines()
        .filter(|l| match l.strip_prefix("carve-plan: ") {
            Some(fp) => {
                fingerprint = Some(fp.trim().to_owned());
                false
            }
            None => true,
        })
        .collect();
    (text.join("\n"), fingerprint)
}
