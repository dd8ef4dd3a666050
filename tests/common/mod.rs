//! Fixtures shared by the integration tests: engines over the real default corpus.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use reply_search::analysis::Analyzer;
use reply_search::index::Engine;

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A fresh in-memory engine holding the shipped corpus.
pub fn corpus_engine() -> Engine {
    let engine = Engine::in_memory(Analyzer::shared_default()).expect("in-memory index");
    let report = engine
        .sync_corpus(&corpus_dir(), &|_, _| {})
        .expect("corpus indexes");
    assert!(
        report.skipped.is_empty(),
        "corpus files skipped: {:?}",
        report.skipped
    );
    engine
}

/// One engine over the shipped corpus shared by read-only tests.
pub fn shared_engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE.get_or_init(|| Arc::new(corpus_engine())).clone()
}

pub const FUTIAN: &str = "futian-fgj-reply-20240294";
