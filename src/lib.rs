//! `rehearse`: rehearse a hard conversation with someone who is pulling away.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`]. See ARCHITECTURE.md.

pub mod builtin;
pub mod checkin;
pub mod classify;
pub mod cli;
pub mod coach;
pub mod diagnostic;
pub mod evaluate;
pub mod explore;
pub mod history;
pub mod moves;
pub mod paths;
pub mod play;
pub mod recover;
pub mod render;
pub mod replay;
pub mod review;
pub mod rules;
pub mod scenario;
pub mod score;
pub mod session;
pub mod suggest;
pub mod term;
pub mod text;
pub mod transcript;
