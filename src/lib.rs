//! reply-search: a search engine for Chinese government reply letters.

pub mod analysis;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod server;
pub mod text;
