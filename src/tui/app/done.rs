//! Answers to operations: a plan to show, a change done, or a refusal (a plan the tree
//! moved away from is planned again and asked about anew).

use super::App;
use crate::error::{Error, ErrorKind};
use crate::tui::dialog::Dialog;
use crate::tui::ops::{Effect, Op, Outcome};

impl App {
    pub(super) fn done(&mut self, id: u64, op: Op, result: Result<Outcome, Error>) -> Vec<Effect> {
        if op.is_dry_run() && self.plan_id != Some(id) {
            // The user moved on before this plan arrived.
            return Vec::new();
        }
        self.plan_id = None;
        match result {
            Ok(outcome) if op.is_dry_run() => {
                let mut lines: Vec<(String, String)> = Vec::new();
                match self.replanned.take() {
                    Some((plan_id, why)) if plan_id == id => {
                        self.say(
                            "the tree changed: this is the new plan; Enter does it, Esc cancels",
                        );
                        lines.push(("changed".to_owned(), why));
                    }
                    _ => self.say("plan ready: Enter does it, Esc cancels"),
                }
                lines.extend(
                    outcome
                        .events
                        .into_iter()
                        .map(|(event, what)| (event.to_owned(), what)),
                );
                let confirm = outcome.confirm.map_or(op, |c| *c).confirmed();
                self.dialog = Some(Dialog::Plan {
                    title: outcome.summary,
                    lines,
                    confirm,
                    plan: outcome.plan,
                });
                Vec::new()
            }
            // The tree changed between the plan and Enter: nothing was done. Plan the
            // same request again and ask again, rather than do something else.
            Err(e) if e.kind == ErrorKind::Changed && !op.is_dry_run() => {
                self.dialog = None;
                self.fail(&e);
                let effects = super::forms::run(self, op.planned());
                self.replanned = self.plan_id.map(|id| (id, e.message));
                effects
            }
            Ok(outcome) => {
                self.dialog = None;
                self.say(outcome.summary);
                self.reselect = outcome.select;
                self.locate = outcome.select;
                self.detail = None;
                self.reload()
            }
            Err(e) => {
                match &mut self.dialog {
                    Some(Dialog::Form(form)) => form.error = Some(e.message.clone()),
                    _ => self.dialog = None,
                }
                self.fail(&e);
                Vec::new()
            }
        }
    }
}
