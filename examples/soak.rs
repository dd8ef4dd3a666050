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

#[path = "support/http_client.rs"]
mod http_client;
#[path = "support/procfs.rs"]
mod procfs;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use http_client::Client;
use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;
use reply_search::engine::SearchRequest;
use reply_search::server::pages::url_encode as enc;
use reply_search::server::{ServerOptions, Shared, app, serve};

/// Soak test: serves the corpus in-process on 127.0.0.1:0 and runs a mix of requests from
/// keep-alive clients for a while, printing throughput, latency and RSS.
#[derive(Parser)]
#[command(name = "soak")]
struct Options {
    /// How long to run
    #[arg(long, value_name = "N", default_value_t = 60)]
    seconds: u64,
    /// Keep-alive clients at once
    #[arg(long, value_name = "N", default_value_t = 32)]
    concurrency: usize,
    /// The corpus folder to index
    #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))]
    corpus: PathBuf,
}

fn rss_kib() -> u64 {
    procfs::status_kb("self", "VmRSS:").unwrap_or(0)
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

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let o = Options::parse();
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
            let mut client = Client::new(addr);
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
