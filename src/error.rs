//! The error kinds that choose an exit code (SPEC.md "Exit codes").
//!
//! Everything else is a plain `anyhow::Error`; `main` walks the chain for one of these and
//! falls back to exit 3 (workspace problem) for I/O and parse errors that carry none.

use std::process::ExitCode;

/// Why a command failed, as the user's scripts see it.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The input or the SOP forbids it: exit 1.
    #[error("{0}")]
    Refused(String),
    /// A command-line usage error found after clap: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Unreadable or corrupt lead file, invalid rules.yaml, I/O error: exit 3.
    #[error("{0}")]
    Workspace(String),
    /// A status for scripts with nothing to say (`queue --count` on an empty queue): the
    /// exit code, and no message.
    #[error("exit {0}")]
    Quiet(u8),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Refused(_) => ExitCode::from(1),
            Failure::Usage(_) => ExitCode::from(2),
            Failure::Workspace(_) => ExitCode::from(3),
            Failure::Quiet(code) => ExitCode::from(*code),
        }
    }
}

/// Exit code for any error: the first `Failure` in the chain decides, else 3.
pub fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    err.chain().find_map(|cause| cause.downcast_ref::<Failure>()).map_or(ExitCode::from(3), Failure::exit_code)
}

/// Whether the error is a [`Failure::Quiet`] status, printed without a message.
pub fn is_quiet(err: &anyhow::Error) -> bool {
    matches!(err.downcast_ref::<Failure>(), Some(Failure::Quiet(_)))
}

/// Whether the error is stdout's reader having gone away (`handoff man | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Return early with a refusal (exit 1): `refuse!("lead {id} is closed")`.
#[macro_export]
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err($crate::error::Failure::Refused(format!($($arg)*)).into())
    };
}

/// Build a refusal error value without returning.
pub fn refused(msg: impl Into<String>) -> anyhow::Error {
    Failure::Refused(msg.into()).into()
}

/// Build a workspace-problem error value (exit 3).
pub fn workspace(msg: impl Into<String>) -> anyhow::Error {
    Failure::Workspace(msg.into()).into()
}
