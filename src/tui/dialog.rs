//! Dialogs: forms that collect an operation's input, plans that show what a change will
//! do before it is confirmed, the help overlay, and one-line prompts (search, palette).

use std::net::IpAddr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ipnet::IpNet;

use super::ops::Op;
use crate::service::plan::Plan;

/// What a form is for; decides how its fields become an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    Allocate,
    AllocateIp,
    Split,
    Park,
    Reserve,
    Edit,
    Rdns,
    Location,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub label: &'static str,
    pub value: String,
    pub hint: &'static str,
    /// Not edited since the field got the focus: typing replaces the pre-filled value
    /// (as in a form field selected on entry), Backspace edits it.
    pub fresh: bool,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last submit was refused, shown under the fields.
    pub error: Option<String>,
    /// The subnet and address selected when the form opened: what it acts on.
    pub target: (Option<IpNet>, Option<IpAddr>),
}

impl Form {
    pub fn new(
        kind: FormKind,
        title: String,
        fields: Vec<(&'static str, String, &'static str)>,
    ) -> Form {
        Form {
            kind,
            title,
            fields: fields
                .into_iter()
                .map(|(label, value, hint)| Field {
                    label,
                    value,
                    hint,
                    fresh: true,
                })
                .collect(),
            focus: 0,
            error: None,
            target: (None, None),
        }
    }

    /// The trimmed value of a field, None when empty.
    pub fn value(&self, label: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.trim())
            .filter(|v| !v.is_empty())
    }
}

/// What a key did to a form or prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    Submit,
    Cancel,
    Changed,
}

/// Line editing shared by forms and prompts: typing, Backspace, Ctrl-u clears.
fn edit_line(line: &mut String, key: &KeyEvent) -> Option<Edited> {
    match key.code {
        KeyCode::Enter => Some(Edited::Submit),
        KeyCode::Esc => Some(Edited::Cancel),
        KeyCode::Backspace => {
            line.pop();
            Some(Edited::Changed)
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            line.clear();
            Some(Edited::Changed)
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() => {
            line.push(c);
            Some(Edited::Changed)
        }
        _ => None,
    }
}

impl Form {
    pub fn key(&mut self, key: &KeyEvent) -> Edited {
        let n = self.fields.len();
        match key.code {
            KeyCode::Tab | KeyCode::Down => {
                self.focus = (self.focus + 1) % n;
                self.fields[self.focus].fresh = true;
                Edited::Changed
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.focus = (self.focus + n - 1) % n;
                self.fields[self.focus].fresh = true;
                Edited::Changed
            }
            _ => {
                let field = &mut self.fields[self.focus];
                let typed = matches!(key.code, KeyCode::Char(_))
                    && !key.modifiers.contains(KeyModifiers::CONTROL);
                if std::mem::take(&mut field.fresh) && typed {
                    field.value.clear();
                }
                edit_line(&mut field.value, key).unwrap_or(Edited::Changed)
            }
        }
    }
}

/// A one-line prompt at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub line: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Palette,
}

impl Prompt {
    pub fn key(&mut self, key: &KeyEvent) -> Edited {
        edit_line(&mut self.line, key).unwrap_or(Edited::Changed)
    }

    pub fn sigil(&self) -> char {
        match self.kind {
            PromptKind::Search => '/',
            PromptKind::Palette => ':',
        }
    }
}

#[derive(Debug, Clone)]
pub enum Dialog {
    Form(Form),
    /// What an operation will do; Enter runs `confirm`, held to `plan` when the dry run
    /// gave one (the service refuses if the tree changed since).
    Plan {
        title: String,
        lines: Vec<(String, String)>,
        confirm: Op,
        plan: Option<Plan>,
    },
    /// Text to read (palette output): j/k and PageUp/PageDown scroll, other keys close;
    /// with `run` (a palette command's plan, or a change asked about) Enter runs it.
    Text {
        title: String,
        text: String,
        scroll: u16,
        run: Option<Vec<String>>,
    },
    Help,
}

/// Splits a palette line into arguments: whitespace separates, quotes group.
pub fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    args.push(std::mem::take(&mut current));
                    started = false;
                }
            }
            (None, c) => {
                current.push(c);
                started = true;
            }
        }
    }
    if quote.is_some() {
        return Err("an unclosed quote".to_owned());
    }
    if started {
        args.push(current);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_lines_split_like_a_shell() {
        assert_eq!(
            split_args(r#"subnet set 10.0.0.0/24 --description "core links""#).unwrap(),
            [
                "subnet",
                "set",
                "10.0.0.0/24",
                "--description",
                "core links"
            ]
        );
        assert_eq!(split_args("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split_args("x ''").unwrap(), ["x", ""]);
        assert!(split_args("a \"b").is_err());
    }
}
