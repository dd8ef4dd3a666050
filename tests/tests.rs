//! The integration tests, in one test binary (one link of the crate instead of one per
//! topic). Each module is a topic; `util` holds what several of them share.
//!
//! Run one topic with `cargo test --test integration <topic>::`, e.g.
//! `cargo test --test integration formats:: -- --nocapture`.

mod util;

mod admin_browser;
mod api;
mod cli;
mod crash;
mod formats;
mod fuzz;
mod hostile;
mod pages;
mod querylog;
mod search;
mod server_crash;
mod similar;
mod spell;
mod watch;
mod widget_browser;
