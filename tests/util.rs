//! Helpers shared by the topic modules: engines and apps over the real default corpus, its
//! files and the test fixtures, requests through the app without a socket, servers on
//! loopback (the app in-process, or the real binary as a child process) and raw HTTP.
//!
//! Everything here is safe to use from tests running in parallel threads of one process:
//! servers listen on a port the OS picks on 127.0.0.1, nothing changes the environment or the
//! working directory, and scratch folders are per-test temp dirs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;
use reply_search::server::{AppState, ServerOptions, Shared, app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Percent-encoding for query values and path segments: the pages' own encoder.
pub use reply_search::server::pages::url_encode as enc;

pub const FUTIAN: &str = "futian-fgj-reply-20240294";

// ---------------------------------------------------------------------------------------
// The corpus and the fixtures

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// The 福田区 letter as the corpus holds it (plain text).
pub fn futian_text() -> String {
    std::fs::read_to_string(corpus_dir().join(format!("{FUTIAN}.txt"))).expect("futian letter")
}

/// A file of `tests/fixtures/`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
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

// ---------------------------------------------------------------------------------------
// The app without a socket

/// Server state over a fresh engine holding the corpus (the state owns its engine, so each
/// test builds one).
pub fn corpus_state(options: ServerOptions) -> AppState {
    Shared::new(corpus_engine(), options)
}

/// The whole app over a fresh engine holding the corpus.
pub fn router(options: ServerOptions) -> Router {
    app(corpus_state(options))
}

/// The app over the corpus with writes enabled by `key`.
pub fn writable(key: &str) -> Router {
    router(ServerOptions {
        admin_key: Some(key.into()),
        ..Default::default()
    })
}

/// The term suggestions (not titles) of an `/api/suggest` answer, in order.
pub fn suggested_terms(body: &serde_json::Value) -> Vec<String> {
    body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["type"] == "term")
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect()
}

/// Sends one request through the app without a socket: (status, headers, body).
pub async fn respond(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
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

// ---------------------------------------------------------------------------------------
// The app in-process on loopback

/// The app served in this process on a port the OS picked on 127.0.0.1.
pub struct LoopbackServer {
    pub addr: SocketAddr,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn serve_on_loopback(app: Router) -> LoopbackServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(reply_search::server::serve(listener, app, async {
        let _ = stopped.await;
    }));
    LoopbackServer {
        addr,
        shutdown,
        task,
    }
}

impl LoopbackServer {
    /// Shuts the server down gracefully and waits until it has (10 s at most).
    pub async fn stop(self) {
        self.shutdown.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server shuts down")
            .unwrap()
            .unwrap();
    }
}

/// Sends raw bytes on a fresh connection and returns whatever comes back within 5 s.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before the whole request is written.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// The status code of a raw HTTP/1.1 response.
pub fn status_of(response: &str) -> Option<u16> {
    response.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

// ---------------------------------------------------------------------------------------
// The real binary

/// `reply-search serve` in a child process, listening on a port the OS picked on 127.0.0.1
/// (the server binds `127.0.0.1:0` itself and reports the address, so no other test can
/// take the port in between). Killed when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `reply-search serve --addr 127.0.0.1:0` with what `configure` adds (arguments,
    /// environment) and waits until it says where it listens. Its output is appended to
    /// `log`, or dropped.
    pub fn start(configure: impl FnOnce(&mut Command), log: Option<&Path>) -> ServerProcess {
        let open_log = || {
            log.map(|path| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap()
            })
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_reply-search"));
        cmd.args(["serve", "--addr", "127.0.0.1:0"]);
        configure(&mut cmd);
        cmd.stdout(Stdio::piped())
            .stderr(open_log().map_or_else(Stdio::null, Stdio::from));
        let mut child = cmd.spawn().expect("server starts");

        // Read stdout for the address, and keep copying it so the server never writes to a
        // closed pipe.
        let stdout = child.stdout.take().unwrap();
        let mut copy: Box<dyn Write + Send> = match open_log() {
            Some(file) => Box::new(file),
            None => Box::new(std::io::sink()),
        };
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(copy, "{line}");
                if let Some(addr) = listening_addr(&line) {
                    let _ = found.send(addr);
                }
            }
        });
        match address.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => ServerProcess { child, addr },
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                let output = log
                    .map(|path| std::fs::read_to_string(path).unwrap_or_default())
                    .unwrap_or_default();
                panic!("the server did not start ({status:?}):\n{output}");
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in `serving N documents on http://127.0.0.1:PORT/ (...)`.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once(" on http://")?;
    rest.split_once('/')?.0.parse().ok()
}

/// One request on a fresh blocking connection; the status and body, or None when the
/// connection failed or closed before a whole response arrived.
pub fn exchange(addr: SocketAddr, request: &[u8], timeout: Duration) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    stream.write_all(request).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = status_of(head)?;
    // Only a complete response counts: the body must be as long as announced.
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    if length.is_some_and(|n| body.len() != n) {
        return None;
    }
    Some((status, body.to_string()))
}

/// A GET on a fresh blocking connection (20 s at most): the status and body.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    exchange(addr, request.as_bytes(), Duration::from_secs(20))
}

// ---------------------------------------------------------------------------------------
// Headless Chromium

/// Generous: a script takes a few seconds; a cold Chromium start adds more.
const BROWSER_SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

pub fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the browser tests, if anything.
fn missing_browser_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    let node_ok = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !node_ok {
        missing.push("node".to_string());
    }
    let playwright =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/playwright-core");
    if !playwright.is_dir() {
        missing.push(playwright.display().to_string());
    }
    let chromium = chromium();
    if !chromium.exists() {
        missing.push(chromium.display().to_string());
    }
    missing
}

/// What to do without the prerequisites: run (nothing missing), skip with a warning, or
/// fail (under CI, which installs them: a missing browser there is a broken setup).
fn without_browser(missing: &[String], ci: bool) -> Result<(), String> {
    if missing.is_empty() {
        return Ok(());
    }
    let message = format!(
        "browser test prerequisites missing ({}); run scripts/install-browser-deps.sh",
        missing.join(", ")
    );
    if ci {
        panic!("{message}");
    }
    Err(message)
}

/// True when the browser test `name` can run: node, tests/browser/node_modules/playwright-core
/// and Chromium (scripts/install-browser-deps.sh). Without them the test is skipped with a
/// warning on the terminal, except under CI, where it fails.
pub fn browser_or_skip(name: &str) -> bool {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    match without_browser(&missing_browser_prerequisites(), ci) {
        Ok(()) => true,
        Err(message) => {
            // Straight to the terminal: the harness captures print!/eprint! of passing
            // tests, and a silent pass would read as "it works in a browser".
            let _ = writeln!(std::io::stderr(), "\nWARNING: {name} SKIPPED: {message}\n");
            false
        }
    }
}

/// Runs `tests/browser/<script>` with node and the environment given (plus CHROMIUM), at
/// most `BROWSER_SCRIPT_TIMEOUT`.
pub async fn run_browser_script(
    script: &str,
    env: &[(&str, String)],
) -> Result<std::io::Result<std::process::Output>, tokio::time::error::Elapsed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = tokio::process::Command::new("node");
    command
        .arg(root.join("tests/browser").join(script))
        .current_dir(root)
        .env("CHROMIUM", chromium())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command.spawn().expect("start node");
    tokio::time::timeout(BROWSER_SCRIPT_TIMEOUT, child.wait_with_output()).await
}

/// Prints a browser script's output and fails the test unless the script passed.
pub fn assert_browser_script_passed(
    output: Result<std::io::Result<std::process::Output>, tokio::time::error::Elapsed>,
) {
    let output = output
        .unwrap_or_else(|_| panic!("browser test did not finish in {BROWSER_SCRIPT_TIMEOUT:?}"))
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }
    assert!(
        output.status.success(),
        "browser test failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
}

#[test]
fn a_missing_browser_skips_with_a_warning_but_fails_under_ci() {
    assert_eq!(without_browser(&[], true), Ok(()));
    let missing = vec!["/usr/bin/chromium".to_string()];
    let warning = without_browser(&missing, false).unwrap_err();
    assert!(warning.contains("/usr/bin/chromium") && warning.contains("install-browser-deps"));
    let under_ci = std::panic::catch_unwind(|| without_browser(&missing, true));
    assert!(under_ci.is_err());
}
