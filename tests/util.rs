//! Helpers shared by the topic modules: engines over the real default corpus.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A fresh in-memory engine holding the shipped corpus.
pub fn corpus_engine() -> Engine {
    let engine = Engine::in_memory(Analyzer::shared_default()).expect("in-memory index");
    let report = engine
        .sync_corpus(&corpus_dir(), &|_| {})
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

/// Sends one request through the app without a socket: (status, headers, body).
pub async fn respond(
    app: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (axum::http::StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// Percent-encoding for query values and path segments: the pages' own encoder.
pub use reply_search::server::pages::url_encode as enc;
