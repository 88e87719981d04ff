//! The `rehearse` binary: everything lives in the library (see ARCHITECTURE.md).

fn main() -> std::process::ExitCode {
    rehearse::cli::main()
}
