//! Standard output for every subcommand. A reader that stops reading (`recmap info f | head`)
//! closes the pipe; the command then stops quietly with status 0, as `cat` does under a shell,
//! instead of panicking (`println!`) or reporting an error. Nothing here prints with
//! `println!`: every line goes through a writer whose errors are mapped by [`Stop::output`].

use std::io::{self, BufWriter, ErrorKind, StdoutLock, Write};

/// Why a command stopped before its end.
#[derive(Debug)]
pub enum Stop {
    /// Something went wrong: the one line for stderr.
    Failed(String),
    /// Standard output's reader has gone (a broken pipe): nothing is wrong, nothing more is said.
    OutputClosed,
}

impl Stop {
    /// A failed write to standard output.
    pub fn output(e: io::Error) -> Stop {
        if e.kind() == ErrorKind::BrokenPipe {
            Stop::OutputClosed
        } else {
            Stop::Failed(format!("writing output: {e}"))
        }
    }

    /// A failed write of CSV to standard output.
    pub fn csv(e: csv::Error) -> Stop {
        match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == ErrorKind::BrokenPipe => Stop::OutputClosed,
            _ => Stop::Failed(format!("writing output: {e}")),
        }
    }

    /// A failed write of JSON to standard output.
    pub fn json(e: serde_json::Error) -> Stop {
        if e.io_error_kind() == Some(ErrorKind::BrokenPipe) {
            Stop::OutputClosed
        } else {
            Stop::Failed(format!("writing output: {e}"))
        }
    }
}

impl From<String> for Stop {
    fn from(message: String) -> Stop {
        Stop::Failed(message)
    }
}

/// Buffered standard output, for output streamed in pieces; flush it before returning and map
/// its errors with [`Stop::output`] (or [`Stop::csv`], [`Stop::json`]).
pub fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::new(io::stdout().lock())
}

/// Runs `write` on buffered standard output, then flushes it.
pub fn print(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Stop> {
    let mut out = stdout();
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(Stop::output)
}
