//! The HTTP service: `app(state)` builds the router (API, pages, widget), `serve` runs it on
//! a listener until a shutdown future resolves. Handlers are thin: validate, call the engine
//! on the blocking pool, answer JSON.

pub mod api;
pub mod auth;
pub mod error;
pub mod metrics;
pub mod pages;
pub mod querylog;
mod state;
pub mod widget;

pub use state::{AppState, CorsPolicy, ServerOptions, Shared, blocking, bounded};

use std::future::Future;
use std::sync::Arc;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::Uri;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::Code;
use error::ApiError;

/// Largest request body accepted (a JSON document or a pasted letter).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Longest a request may take before it is answered with 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The CORS layer of the read endpoints (none when cross-origin reads are off).
fn cors_layer(policy: &CorsPolicy) -> Option<CorsLayer> {
    let allow = match policy {
        CorsPolicy::Off => return None,
        CorsPolicy::AnyOrigin => AllowOrigin::any(),
        CorsPolicy::Origins(origins) => AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok()),
        ),
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
    let cors = cors_layer(&state.options.cors);
    let reads = api::read_routes().method_not_allowed_fallback(method_not_allowed);
    let reads = match cors.clone() {
        Some(cors) => reads.layer(cors),
        None => reads,
    };
    Router::new()
        .merge(reads)
        .merge(api::write_routes(cors).method_not_allowed_fallback(method_not_allowed))
        .merge(pages::routes().method_not_allowed_fallback(method_not_allowed))
        .merge(widget::routes().method_not_allowed_fallback(method_not_allowed))
        .fallback(not_found)
        .layer(middleware::from_fn(bare_options_not_allowed))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Unknown paths: JSON for the API, a short page otherwise.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(Code::NoRoute, format!("no API route {}", uri.path())).into_response()
    } else {
        pages::not_found_page().into_response()
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        Code::MethodNotAllowed,
        "this method is not allowed on this path",
    )
}

/// An OPTIONS request that is not a CORS preflight (no `Access-Control-Request-Method`) is
/// answered 405 like any other method no route takes; the CORS layer would answer it 200.
async fn bare_options_not_allowed(request: Request, next: Next) -> Response {
    if request.method() == Method::OPTIONS
        && !request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return method_not_allowed().await.into_response();
    }
    next.run(request).await
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

/// Bounds every request's time, records metrics and adds security headers to every response
/// (also to a timed-out one, which is answered like every other error).
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let limit = state.options.request_timeout.unwrap_or(REQUEST_TIMEOUT);
    let mut response = match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            Code::Timeout,
            format!(
                "the request took longer than {:.1} s; retry, or narrow the query",
                limit.as_secs_f64()
            ),
        )
        .into_response(),
    };
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

/// What one client connection may hold.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request's headers, and longest an idle
    /// keep-alive connection is kept waiting for its next request.
    pub header_read_timeout: Duration,
    /// Most connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes requests in flight.
///
/// The accept loop is hyper's own rather than `axum::serve`, which sets no timer: with it a
/// connection that sends nothing, or half a header, stayed open for ever, and a few hundred of
/// them exhausted the file descriptors. Here every connection must send its headers within
/// the header timeout (also between keep-alive requests), and only so many are served at once
/// (see `ConnectionLimits`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_limits(listener, app, shutdown, ConnectionLimits::default()).await
}

/// `serve` with other connection limits.
pub async fn serve_with_limits(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: not fatal.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Peer addresses let `/metrics` tell loopback clients from others.
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(
                hyper_util::rt::TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    use super::*;
    use crate::analysis::Analyzer;
    use crate::engine::Engine;

    fn app_with(options: ServerOptions) -> Router {
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        app(Shared::new(engine, options))
    }

    async fn send(
        app: &Router,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn from_peer(path: &str, peer: &str) -> Request<Body> {
        let mut request = Request::get(path).body(Body::empty()).unwrap();
        let addr: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
        request
    }

    /// Regression: the request timeout answered a bare 503 without JSON, Retry-After or a
    /// trace in /metrics.
    #[tokio::test]
    async fn a_timed_out_request_gets_a_json_error_and_is_counted() {
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        let state = Shared::new(
            engine,
            ServerOptions {
                request_timeout: Some(Duration::from_millis(50)),
                max_concurrent_searches: 1,
                ..Default::default()
            },
        );
        // The only search slot is taken, so the search waits (up to a second) past the timeout.
        let _slot = state.search_slots.try_acquire().unwrap();
        let app = app(state.clone());
        let (status, headers, body) = send(
            &app,
            Request::get("/api/search?q=停车")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("\"code\":\"timeout\""), "{body}");
        assert_eq!(headers[header::RETRY_AFTER], "1");
        let (status, _, text) =
            send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.contains(r#"route="/api/search",status="503"} 1"#),
            "{text}"
        );
    }

    /// Regression: /metrics was public and cross-origin.
    #[tokio::test]
    async fn metrics_are_for_loopback_or_the_admin_key() {
        let app = app_with(ServerOptions {
            admin_key: Some("k".into()),
            cors: CorsPolicy::AnyOrigin,
            ..Default::default()
        });
        let (status, _, _) = send(&app, from_peer("/metrics", "203.0.113.7:5000")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let mut with_key = from_peer("/metrics", "203.0.113.7:5000");
        with_key
            .headers_mut()
            .insert(header::AUTHORIZATION, "Bearer k".parse().unwrap());
        assert_eq!(send(&app, with_key).await.0, StatusCode::OK);
        let (status, headers, text) = send(&app, from_peer("/metrics", "127.0.0.1:5000")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text.contains("reply_search_documents"));
        assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        let public = app_with(ServerOptions {
            public_metrics: true,
            ..Default::default()
        });
        assert_eq!(
            send(&public, from_peer("/metrics", "203.0.113.7:5000"))
                .await
                .0,
            StatusCode::OK
        );
    }

    /// Regression: GET /api/docs/{id} had no CORS headers although it is a read.
    #[tokio::test]
    async fn a_document_is_readable_cross_origin_but_never_writable() {
        let origin = "http://portal.example";
        let app = app_with(ServerOptions {
            cors: CorsPolicy::Origins(vec![origin.into()]),
            admin_key: Some("k".into()),
            ..Default::default()
        });
        let get = Request::get("/api/docs/none")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = send(&app, get).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin);
        for method in ["PUT", "DELETE"] {
            let preflight = Request::options("/api/docs/x")
                .header(header::ORIGIN, origin)
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
                .body(Body::empty())
                .unwrap();
            let (_, headers, _) = send(&app, preflight).await;
            assert!(
                headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
                "{method}"
            );
        }
    }

    /// Regression: connections that sent nothing or half a header stayed open for ever, and
    /// a few hundred of them made the server refuse new clients.
    #[tokio::test]
    async fn idle_and_half_sent_connections_are_closed_and_capped() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = ConnectionLimits {
            header_read_timeout: Duration::from_millis(300),
            max_connections: 2,
        };
        let server = tokio::spawn(serve_with_limits(
            listener,
            app_with(ServerOptions::default()),
            std::future::pending(),
            limits,
        ));
        let closed_within = |mut stream: tokio::net::TcpStream| async move {
            let started = Instant::now();
            let mut buf = [0u8; 256];
            // The server answers 408 or just closes; either way the read ends.
            let ended = tokio::time::timeout(Duration::from_secs(5), async {
                while stream.read(&mut buf).await.unwrap_or(0) > 0 {}
            })
            .await;
            (ended.is_ok(), started.elapsed())
        };
        let idle = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
        half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        // Both slots are taken: a third client waits until one of them is closed.
        let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
        third
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (idle_closed, idle_after) = closed_within(idle).await;
        let (half_closed, half_after) = closed_within(half).await;
        assert!(
            idle_closed && idle_after < Duration::from_secs(3),
            "{idle_after:?}"
        );
        assert!(
            half_closed && half_after < Duration::from_secs(3),
            "{half_after:?}"
        );
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(5), third.read_to_string(&mut answer))
            .await
            .unwrap()
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        server.abort();
    }

    /// Regression: a deleted corpus folder left the watcher dead while /health said ok.
    #[tokio::test(flavor = "multi_thread")]
    async fn health_reports_the_corpus_watcher() {
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join("corpus");
        std::fs::create_dir(&corpus).unwrap();
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        let state = Shared::new(engine, ServerOptions::default());
        let status =
            crate::engine::watch::spawn(corpus.clone(), state.clone(), |s| &s.engine).unwrap();
        state.watch.set(status).unwrap();
        let app = app(state);
        let health = || async {
            let (_, _, body) =
                send(&app, Request::get("/health").body(Body::empty()).unwrap()).await;
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        };
        let wait_for = |want: &'static str| async move {
            for _ in 0..100 {
                let h = health().await;
                if h["status"] == want {
                    return h;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("/health never said {want}: {}", health().await);
        };
        let h = wait_for("ok").await;
        assert_eq!(h["watch"]["watching"], true);
        std::fs::remove_dir_all(&corpus).unwrap();
        let h = wait_for("degraded").await;
        assert_eq!(h["watch"]["watching"], false);
        std::fs::create_dir(&corpus).unwrap();
        wait_for("ok").await;
    }

    /// Regression: `/api/similar` accepted `year: 99999`, which `/api/search` rejects.
    #[tokio::test]
    async fn similar_validates_filters_as_search_does() {
        let app = app_with(ServerOptions::default());
        for body in [
            r#"{"text":"关于停车难的建议","year":99999}"#,
            r#"{"text":"关于停车难的建议","from":"2024-13"}"#,
        ] {
            let request = Request::post("/api/similar")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            let (status, _, reply) = send(&app, request).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {reply}");
        }
    }

    /// Regression: a long `q` on the document page of a large letter ran for 12.6 s on the
    /// async threads, stalling `/health`. Now the query limit applies there too, and the
    /// marking runs on the blocking pool.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn document_page_queries_are_bounded_and_never_stall_health() {
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        let paragraph = "关于老旧小区加装电梯和停车难问题的答复，我局高度重视并已会同各街道推进。";
        let text = format!(
            "关于老旧小区加装电梯的建议的答复\n{}",
            paragraph.repeat(20_000)
        );
        let letter = crate::ingest::letter_from_text("big", &text, None).unwrap();
        engine.put(&letter).unwrap();
        let app = app(Shared::new(engine, ServerOptions::default()));
        let too_long = format!("/docs/big?q={}", "电梯".repeat(600));
        let (status, _, _) = send(&app, Request::get(too_long).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Queries at the limit on a letter of 700,000 chars, while /health is asked.
        let q = "加装电梯 停车难 街道 小区 ".repeat(60);
        let q: String = q.chars().take(1000).collect();
        let uri = format!("/docs/big?q={}", pages::url_encode(&q));
        let pages: Vec<_> = (0..2)
            .map(|_| {
                let (app, uri) = (app.clone(), uri.clone());
                tokio::spawn(async move {
                    send(&app, Request::get(uri).body(Body::empty()).unwrap())
                        .await
                        .0
                })
            })
            .collect();
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let started = Instant::now();
            let (status, _, _) =
                send(&app, Request::get("/health").body(Body::empty()).unwrap()).await;
            assert_eq!(status, StatusCode::OK);
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for page in pages {
            assert_eq!(page.await.unwrap(), StatusCode::OK);
        }
        assert!(
            slowest < Duration::from_millis(500),
            "/health took {slowest:?}"
        );
    }

    /// Regression: an admin key with surrounding spaces enabled writes that no header could
    /// pass; `%20lead` was stored as `lead`.
    #[tokio::test]
    async fn a_spaced_admin_key_works_and_ids_are_never_trimmed() {
        let app = app_with(ServerOptions {
            admin_key: Some("  k3y \n".into()),
            ..Default::default()
        });
        let put = |path: &str| {
            Request::put(path)
                .header(header::AUTHORIZATION, "Bearer k3y")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("关于停车难的建议的答复"))
                .unwrap()
        };
        assert_eq!(
            send(&app, put("/api/docs/lead")).await.0,
            StatusCode::CREATED
        );
        let (status, _, body) = send(&app, put("/api/docs/%20lead")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("bad_id"));
        let (status, _, _) = send(&app, put("/api/docs/a%E2%80%AEb")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
