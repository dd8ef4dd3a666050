//! Soak test, run on demand (not part of `cargo test`):
//!
//!     cargo run --release --example soak -- [--seconds 60] [--concurrency 32] [--corpus corpus]
//!
//! Builds an index of the corpus in a temporary folder, serves it in-process on
//! 127.0.0.1:0 and runs a mix of searches (words, phrases, exclusions, OR, filters, facets,
//! date sort, paging), suggestions, similar-by-id and similar-by-text requests and page loads
//! from `concurrency` keep-alive HTTP/1.1 clients for the given time. Prints requests,
//! non-2xx answers, req/s, p50/p99/max latency, and the process RSS every 5 s, to show
//! whether memory stays flat.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;
use reply_search::engine::SearchRequest;
use reply_search::server::pages::url_encode as enc;
use reply_search::server::{ServerOptions, Shared, app, serve};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct Options {
    seconds: u64,
    concurrency: usize,
    corpus: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 60,
        concurrency: 32,
        corpus: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--seconds" => o.seconds = value.parse().expect("--seconds N"),
            "--concurrency" => o.concurrency = value.parse().expect("--concurrency N"),
            "--corpus" => o.corpus = PathBuf::from(value),
            other => panic!("unknown argument {other}; use --seconds, --concurrency, --corpus"),
        }
        i += 2;
    }
    o
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The request mix: (method, path, JSON body). Built once; clients cycle through it from
/// different starting points.
fn request_mix(
    ids: &[String],
    respondents: &[String],
    texts: &[String],
) -> Vec<(String, String, Option<String>)> {
    let words = [
        "停车",
        "电梯",
        "加装电梯",
        "老旧小区",
        "新质生产力",
        "教育",
        "医疗",
        "交通",
        "公交",
        "垃圾分类",
        "养老",
        "学校",
        "道路",
        "绿化",
        "消防",
        "农村",
        "就业",
        "住房",
        "环境",
        "文化",
    ];
    let mut mix = Vec::new();
    let get = |path: String| ("GET".to_string(), path, None);
    for (i, w) in words.iter().enumerate() {
        let next = words[(i + 7) % words.len()];
        mix.push(get(format!("/api/search?q={}", enc(w))));
        mix.push(get(format!(
            "/api/search?q={}",
            enc(&format!("{w} {next}"))
        )));
        mix.push(get(format!("/api/search?q={}", enc(&format!("\"{w}\"")))));
        mix.push(get(format!(
            "/api/search?q={}&match=all",
            enc(&format!("{w} {next}"))
        )));
        mix.push(get(format!(
            "/api/search?q={}",
            enc(&format!("{w} OR {next} -{}", words[(i + 3) % words.len()]))
        )));
        mix.push(get(format!(
            "/api/search?q={}&year=2024&facets=respondent,year,kind,session",
            enc(w)
        )));
        mix.push(get(format!(
            "/api/search?q={}&from=2020-01&to=2024-12-31&sort=date",
            enc(w)
        )));
        mix.push(get(format!("/api/search?q={}&offset=10&limit=20", enc(w))));
        mix.push(get(format!(
            "/api/suggest?q={}",
            enc(&w.chars().take(1).collect::<String>())
        )));
        mix.push(get(format!("/?q={}", enc(w))));
        if let Some(r) = respondents.get(i % respondents.len().max(1)) {
            mix.push(get(format!(
                "/api/search?q={}&respondent={}",
                enc(w),
                enc(r)
            )));
        }
    }
    mix.push(get("/api/search?q=&sort=date".into()));
    mix.push(get(
        "/api/search?q=kind:%E5%BB%BA%E8%AE%AE%20year:2024".into()
    ));
    for id in ids.iter().take(20) {
        mix.push(get(format!("/api/docs/{}/similar?limit=5", enc(id))));
        mix.push(get(format!("/api/docs/{}", enc(id))));
    }
    for text in texts.iter().take(10) {
        let body = serde_json::json!({"text": text, "limit": 5}).to_string();
        mix.push(("POST".into(), "/api/similar".into(), Some(body)));
    }
    mix
}

/// A keep-alive HTTP/1.1 client on one connection.
struct Client {
    addr: std::net::SocketAddr,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    async fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<u16> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.conn = Some(BufReader::new(stream));
        }
        let result = self.exchange(method, path, body).await;
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> std::io::Result<u16> {
        let conn = self.conn.as_mut().unwrap();
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: soak\r\n");
        if let Some(b) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        request.push_str("\r\n");
        if let Some(b) = body {
            request.push_str(b);
        }
        conn.get_mut().write_all(request.as_bytes()).await?;
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let mut line = String::new();
        conn.read_line(&mut line).await?;
        let status: u16 = line
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            if conn.read_line(&mut line).await? == 0 {
                return Err(bad("closed in the headers"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((name, value)) = l.split_once(':') {
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse::<usize>().ok(),
                    "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                    "connection" => close = value.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("bad chunk"))?;
                let mut chunk = vec![0; size + 2];
                conn.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            let mut body = vec![0; n];
            conn.read_exact(&mut body).await?;
        }
        if close {
            self.conn = None;
        }
        Ok(status)
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let o = options();
    let rss_start = rss_kib();
    let dir = tempfile::tempdir().unwrap();
    let built = Instant::now();
    let engine = Engine::open(dir.path(), Analyzer::shared_default()).expect("index opens");
    engine
        .sync_corpus(&o.corpus, &|_| {})
        .expect("corpus indexes");
    let all = engine
        .search(&SearchRequest {
            limit: Some(100),
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<String> = all.hits.iter().map(|h| h.id.clone()).collect();
    let respondents: Vec<String> = all
        .hits
        .iter()
        .filter_map(|h| h.respondent.clone())
        .take(10)
        .collect();
    let texts: Vec<String> = ids
        .iter()
        .step_by(9)
        .filter_map(|id| engine.get(id).ok().flatten())
        .map(|l| l.text.chars().take(600).collect())
        .collect();
    println!(
        "indexed {} documents in {:.1} s; RSS {} MiB",
        engine.num_docs(),
        built.elapsed().as_secs_f64(),
        rss_kib() / 1024
    );
    let mix = Arc::new(request_mix(&ids, &respondents, &texts));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let state = Shared::new(engine, ServerOptions::default());
    let server = tokio::spawn(serve(listener, app(state), async {
        let _ = server_stopped.await;
    }));

    let running = Arc::new(AtomicBool::new(true));
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for c in 0..o.concurrency {
        let (mix, running, requests, errors) = (
            mix.clone(),
            running.clone(),
            requests.clone(),
            errors.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut client = Client { addr, conn: None };
            let mut latencies: Vec<u32> = Vec::new();
            let mut statuses: std::collections::BTreeMap<u16, u64> = Default::default();
            let mut i = c * 7919;
            while running.load(Ordering::Relaxed) {
                let (method, path, body) = &mix[i % mix.len()];
                i += 1;
                let t = Instant::now();
                let status = client
                    .send(method, path, body.as_deref())
                    .await
                    .unwrap_or(0);
                latencies.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                requests.fetch_add(1, Ordering::Relaxed);
                *statuses.entry(status).or_default() += 1;
                if !(200..300).contains(&status) {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            (latencies, statuses)
        }));
    }

    let mut samples = vec![(0u64, rss_kib())];
    println!("t=  0 s  RSS {:>4} MiB", samples[0].1 / 1024);
    let mut last = 0;
    while started.elapsed() < Duration::from_secs(o.seconds) {
        tokio::time::sleep(
            Duration::from_secs(5)
                .min(Duration::from_secs(o.seconds).saturating_sub(started.elapsed())),
        )
        .await;
        let t = started.elapsed().as_secs();
        let n = requests.load(Ordering::Relaxed);
        let rss = rss_kib();
        println!(
            "t={t:>3} s  RSS {:>4} MiB  requests {n:>7}  ({:.0} req/s in the last interval)  errors {}",
            rss / 1024,
            (n - last) as f64 / 5.0,
            errors.load(Ordering::Relaxed)
        );
        last = n;
        samples.push((t, rss));
    }
    running.store(false, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut statuses: std::collections::BTreeMap<u16, u64> = Default::default();
    for c in clients {
        let (l, s) = c.await.unwrap();
        latencies.extend(l);
        for (k, v) in s {
            *statuses.entry(k).or_default() += v;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let n = latencies.len();
    let _ = stop_server.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    let rss: Vec<u64> = samples.iter().map(|s| s.1).collect();
    let after_warmup = &rss[rss.len().min(2) - 1..];
    println!(
        "\n{} s at concurrency {}, {} kinds of request",
        o.seconds,
        o.concurrency,
        mix.len()
    );
    println!("requests   {n}");
    println!(
        "non-2xx    {} {:?}",
        errors.load(Ordering::Relaxed),
        statuses
    );
    println!("req/s      {:.0}", n as f64 / elapsed);
    println!(
        "latency    p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    println!(
        "RSS        before indexing {} MiB; during the run {}..{} MiB (after the first 5 s: {}..{} MiB)",
        rss_start / 1024,
        rss.iter().min().unwrap() / 1024,
        rss.iter().max().unwrap() / 1024,
        after_warmup.iter().min().unwrap() / 1024,
        after_warmup.iter().max().unwrap() / 1024
    );
}
