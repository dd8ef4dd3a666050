//! The state every handler shares: the engine, the options, metrics, the bound on CPU work
//! in flight, and the suggester of the current index generation.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::error::ApiError;
use super::metrics::Metrics;
use super::querylog::{Entry, QueryLog, Source};
use crate::engine::suggest::Suggester;
use crate::engine::{Engine, SearchRequest, SearchResponse};
use crate::error::{Code, Error};

/// Which origins may call the read endpoints (search, documents, similar, suggest) from a
/// browser. Writes are never open cross-origin, whatever this says.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum CorsPolicy {
    /// Any page: the read endpoints are public and carry no credentials, and the widget
    /// must work on any portal page without configuration.
    #[default]
    AnyOrigin,
    /// Only these origins (`https://www.example.gov.cn`).
    Origins(Vec<String>),
    /// No cross-origin reads at all.
    Off,
}

impl CorsPolicy {
    /// From the `--cors-origins` list: empty or `*` → any origin, `none` → off, else the
    /// listed origins.
    pub fn from_list(list: &[String]) -> CorsPolicy {
        let list: Vec<String> = list
            .iter()
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        if list.is_empty() || list.iter().any(|o| o == "*") {
            CorsPolicy::AnyOrigin
        } else if list.iter().any(|o| o.eq_ignore_ascii_case("none")) {
            CorsPolicy::Off
        } else {
            CorsPolicy::Origins(list)
        }
    }

    /// One line for the start-up banner.
    pub fn describe(&self) -> String {
        match self {
            CorsPolicy::AnyOrigin => "CORS: reads open to any origin (restrict with REPLY_SEARCH_CORS_ORIGINS); writes same-origin only".into(),
            CorsPolicy::Origins(list) => format!("CORS: reads open to {}; writes same-origin only", list.join(", ")),
            CorsPolicy::Off => "CORS: off (same-origin only)".into(),
        }
    }
}

/// Settings of a running server.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// Bearer key that enables writes; `None` makes the server read-only.
    pub admin_key: Option<String>,
    /// Which web pages may call the read endpoints from a browser (any, by default).
    pub cors: CorsPolicy,
    /// Searches computed at once; more wait briefly, then get 503 + Retry-After.
    pub max_concurrent_searches: usize,
    /// Serve `/metrics` to any client (by default only to loopback or with the admin key).
    pub public_metrics: bool,
    /// Longest a request may take before it is answered 503 `timeout` (default
    /// `REQUEST_TIMEOUT`).
    pub request_timeout: Option<std::time::Duration>,
    /// Where the query log is kept (`querylog.sqlite` in the index folder); no log when
    /// `None`.
    pub query_log: Option<std::path::PathBuf>,
    /// Show 热门搜索 (the week's most searched queries) under the empty search box and in
    /// the widget. Off by default: anyone can move a query up by searching it repeatedly.
    pub hot_searches: bool,
    /// A file of strings never to list in 热门搜索, one a line (see `QueryLog::hot`).
    pub hot_hidden: Option<std::path::PathBuf>,
}

/// State shared by all handlers.
pub struct Shared {
    pub engine: Engine,
    pub options: ServerOptions,
    pub metrics: Metrics,
    /// Bounds CPU work in flight so a flood of searches sheds load instead of queueing
    /// without limit.
    pub search_slots: tokio::sync::Semaphore,
    /// Suggestion candidates, rebuilt when the index changes; the mutex keeps concurrent
    /// requests from rebuilding it at once.
    suggester: RwLock<Option<Arc<Suggester>>>,
    suggester_build: Mutex<()>,
    pub started: Instant,
    /// The corpus watcher's state, when the server runs with `--watch` (set once, after the
    /// watcher starts).
    pub watch: std::sync::OnceLock<Arc<crate::engine::watch::WatchStatus>>,
    /// What people search for (see `querylog`).
    pub query_log: QueryLog,
}

pub type AppState = Arc<Shared>;

impl Shared {
    pub fn new(engine: Engine, mut options: ServerOptions) -> AppState {
        if options.max_concurrent_searches == 0 {
            options.max_concurrent_searches =
                4 * std::thread::available_parallelism().map_or(2, |n| n.get());
        }
        // Surrounding spaces (a copied key, a quoted environment variable) would make a key
        // no header can match, since header values are trimmed: the key is trimmed too.
        options.admin_key = options
            .admin_key
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        let query_log = options
            .query_log
            .as_deref()
            .map_or_else(QueryLog::off, QueryLog::open)
            .hiding(options.hot_hidden.clone());
        Arc::new(Shared {
            query_log,
            search_slots: tokio::sync::Semaphore::new(options.max_concurrent_searches),
            engine,
            options,
            metrics: Metrics::default(),
            suggester: RwLock::new(None),
            suggester_build: Mutex::new(()),
            started: Instant::now(),
            watch: std::sync::OnceLock::new(),
        })
    }

    /// A search someone typed (on the page, in the widget, through the API): the engine's
    /// answer, logged in the query log. Blocking: call off the async threads.
    pub fn search(&self, request: &SearchRequest, source: Source) -> Result<SearchResponse, Error> {
        let response = self.engine.search(request)?;
        if let Some(entry) = Entry::of(request, &response, source) {
            self.query_log.record(entry);
        }
        Ok(response)
    }

    /// The suggester for the current index generation (blocking: call off the async threads).
    pub fn suggester(&self) -> Result<Arc<Suggester>, Error> {
        let generation = self.engine.generation();
        let current = |s: &RwLock<Option<Arc<Suggester>>>| {
            s.read()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|s| s.generation == generation)
                .cloned()
        };
        if let Some(s) = current(&self.suggester) {
            return Ok(s);
        }
        let _building = self
            .suggester_build
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(s) = current(&self.suggester) {
            return Ok(s);
        }
        let built = Arc::new(Suggester::build(&self.engine)?);
        *self.suggester.write().unwrap_or_else(|p| p.into_inner()) = Some(built.clone());
        Ok(built)
    }
}

/// Runs CPU-bound engine work on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Shared) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    match tokio::task::spawn_blocking(move || work(&state)).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => Err(Error::Internal(format!("worker failed: {e}")).into()),
    }
}

/// Runs a search-like task under the concurrency bound: waits up to a second for a slot,
/// then sheds the request with 503 + Retry-After.
pub async fn bounded<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Shared) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = tokio::time::timeout(Duration::from_secs(1), state.search_slots.acquire())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| ApiError::new(Code::Busy, "the server is busy; retry in a moment"))?;
    let result = blocking(state, work).await;
    drop(permit);
    result
}
