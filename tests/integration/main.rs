//! Integration tests: every module drives the real `rehearse` binary. One test binary, so
//! the build links once.

mod common;

mod classify;
mod cli;
mod faults;
mod hostile;
mod perf_equivalence;
mod play;
mod privacy;
mod properties;
mod repl;
mod review;
mod safekeeping;
mod scenarios;
mod sessions;
mod targets;
