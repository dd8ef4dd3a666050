//! The HTTP service: `app(state)` builds the router (API, pages, widget), `serve` runs it on
//! a listener until a shutdown future resolves. Handlers are thin: validate, call the engine
//! on the blocking pool, answer JSON.

pub mod api;
pub mod error;
pub mod metrics;
pub mod pages;
pub mod widget;

use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::Error;
use crate::index::Engine;
use crate::suggest::Suggester;
use error::ApiError;
use metrics::Metrics;

/// Largest request body accepted (a JSON document or a pasted letter).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Longest a request may take before it is answered with 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of a running server.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// Bearer key that enables writes; `None` makes the server read-only.
    pub admin_key: Option<String>,
    /// Origins allowed to call the read endpoints from a browser (`*` for any).
    pub cors_origins: Vec<String>,
    /// Searches computed at once; more wait briefly, then get 503 + Retry-After.
    pub max_concurrent_searches: usize,
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
}

pub type AppState = Arc<Shared>;

impl Shared {
    pub fn new(engine: Engine, mut options: ServerOptions) -> AppState {
        if options.max_concurrent_searches == 0 {
            options.max_concurrent_searches =
                4 * std::thread::available_parallelism().map_or(2, |n| n.get());
        }
        options.admin_key = options.admin_key.filter(|k| !k.trim().is_empty());
        Arc::new(Shared {
            search_slots: tokio::sync::Semaphore::new(options.max_concurrent_searches),
            engine,
            options,
            metrics: Metrics::default(),
            suggester: RwLock::new(None),
            suggester_build: Mutex::new(()),
            started: Instant::now(),
        })
    }

    /// The suggester for the current index generation (blocking: call off the async threads).
    pub fn suggester(&self) -> Result<Arc<Suggester>, Error> {
        let generation = self.engine.reader.searcher().generation().generation_id();
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
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is busy; retry in a moment",
            )
        })?;
    let result = blocking(state, work).await;
    drop(permit);
    result
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE])
            .max_age(Duration::from_secs(3600)),
    )
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    // The 405 fallback is set on each part before CORS wraps the reads, so a preflight
    // OPTIONS request reaches the CORS layer instead of the fallback.
    let reads = api::read_routes().method_not_allowed_fallback(api::method_not_allowed);
    let reads = match cors_layer(&state.options.cors_origins) {
        Some(cors) => reads.layer(cors),
        None => reads,
    };
    Router::new()
        .merge(reads)
        .merge(api::write_routes().method_not_allowed_fallback(api::method_not_allowed))
        .merge(pages::routes().method_not_allowed_fallback(api::method_not_allowed))
        .merge(widget::routes().method_not_allowed_fallback(api::method_not_allowed))
        .fallback(api::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// The method as a metrics label: the standard methods by name, any other (HTTP allows
/// arbitrary tokens) as `OTHER`, so clients cannot grow the metrics without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// Records metrics and adds security headers to every response.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let mut response = next.run(request).await;
    state.metrics.record(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
            ),
        );
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    response
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
