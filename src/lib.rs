//! `rehearse`: rehearse a hard conversation with someone who is pulling away.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`]. See ARCHITECTURE.md.

pub mod classify;
pub mod evaluate;
pub mod moves;
pub mod rules;
pub mod suggest;
pub mod text;
pub mod diagnostic;
pub mod scenario;
pub mod term;
pub mod session;
pub mod score;
pub mod builtin;
pub mod render;
pub mod paths;
pub mod play;
pub mod cli;
