//! The `handoff` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    handoff::run()
}
