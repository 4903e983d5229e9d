//! How a long command tells its caller how far it got. The service layer only reports
//! stages and steps; whoever calls it decides whether and how to show them (the CLI
//! draws a bar on a terminal), so nothing here knows about terminals.

/// Told how a long command is going. Every method may be called from any task.
pub trait Progress: Sync {
    /// A new stage of `total` steps (0: unknown, counted as they come).
    fn stage(&self, _name: &'static str, _total: u64) {}
    fn advance(&self, _steps: u64) {}
    /// What the current step is about (a zone, a table a tool is dumping).
    fn detail(&self, _text: &str) {}
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {}
