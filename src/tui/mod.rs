//! The terminal UI. For now: its theme, so that views name semantic slots and never raw
//! colours. The tree, panes and controller come with the TUI issue.

pub mod theme;
