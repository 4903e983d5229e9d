//! One error type for every layer: a kind that decides the exit code and the JSON
//! `error.kind`, and a message written for the person at the terminal.

use std::fmt;

/// What went wrong, coarsely: the CLI maps it to an exit code and scripts match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The configuration file or an environment override is invalid.
    Config,
    /// The database could not be reached or refused the login.
    Connection,
    /// The database schema is not one this binary can work with.
    Schema,
    /// The embedded PostgreSQL cluster could not be found, created or started.
    LocalCluster,
    /// The input breaks a rule (malformed CIDR, out-of-range value, ...).
    Validation,
    /// The input names something that does not exist.
    NotFound,
    /// The change collides with existing data.
    Conflict,
    /// No free space satisfies the request.
    Exhausted,
    /// The tree changed between a confirmed plan and its run: nothing was done.
    Changed,
    /// The database kept reporting serialization failures or deadlocks; retried, gave up.
    Busy,
    /// Anything else: a bug or an unexpected database answer.
    Internal,
    /// The report itself was printed and says what went wrong: a check found something
    /// over its threshold, or a sync could not push everything.
    Alert,
    /// A DNS provider could not be reached or refused a change; carve's data is untouched.
    Provider,
    /// A monitoring plugin's verdict, printed as its status line: the exit code is the
    /// plugin's (Nagios: 1 warning, 2 critical, 3 unknown).
    Check(u8),
    /// A change was asked for while carve is read-only (flag, config, or a role that
    /// may not write).
    ReadOnly,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Connection => "connection",
            ErrorKind::Schema => "schema",
            ErrorKind::LocalCluster => "local_cluster",
            ErrorKind::Validation => "validation",
            ErrorKind::Alert => "alert",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::Check(_) => "check",
            ErrorKind::Provider => "provider",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Exhausted => "exhausted",
            ErrorKind::Changed => "changed",
            ErrorKind::Busy => "busy",
            ErrorKind::Internal => "internal",
        }
    }

    /// DESIGN.md section 5: 1 when the operation was refused or failed, 2 for usage,
    /// config or connection problems (the operation never started).
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Check(code) => code,
            ErrorKind::Config
            | ErrorKind::Connection
            | ErrorKind::Schema
            | ErrorKind::LocalCluster => 2,
            ErrorKind::Validation
            | ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::Exhausted
            | ErrorKind::Changed
            | ErrorKind::Busy
            | ErrorKind::Internal
            | ErrorKind::Alert
            | ErrorKind::ReadOnly
            | ErrorKind::Provider => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    pub fn connection(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Connection, message)
    }

    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Schema, message)
    }

    pub fn local_cluster(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LocalCluster, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn exhausted(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Exhausted, message)
    }

    pub fn provider(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Provider, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
