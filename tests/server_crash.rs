//! Crash safety of writes through the API: the real `reply-search serve` is killed with
//! SIGKILL while PUTs are in flight, at random moments, and restarted on the same index each
//! time. It must start, answer /health and searches, and hold every document whose PUT was
//! acknowledged with a 2xx before the kill (acknowledged means durable). A PUT that got no
//! answer may or may not be there, but if it is, it is whole.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{self, ServerProcess, exchange, http_get as get};

const KEY: &str = "crash-test-admin-key";
const ROUNDS: usize = 8;
/// Clients PUTting at once, so that a kill often lands while several writes are in flight.
const WRITERS: usize = 2;
/// A word in every letter this test writes and in no letter of the corpus.
const MARKER: &str = "琥珀蜻蜓";
/// `MARKER`, percent-encoded.
const MARKER_Q: &str = "%E7%90%A5%E7%8F%80%E8%9C%BB%E8%9C%93";

/// The real server on the corpus and index given, writes enabled, its output in `log`.
fn start(corpus: &Path, index: &Path, log: &Path) -> ServerProcess {
    ServerProcess::start(
        |cmd| {
            cmd.arg("--corpus")
                .arg(corpus)
                .arg("--index")
                .arg(index)
                .env("REPLY_SEARCH_ADMIN_KEY", KEY)
                .env("RUST_LOG", "warn");
        },
        Some(log),
    )
}

fn put(addr: SocketAddr, id: &str, text: &str) -> Option<(u16, String)> {
    let body = serde_json::json!({"text": text, "kind": "建议"}).to_string();
    let request = format!(
        "PUT /api/docs/{id} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, request.as_bytes(), Duration::from_secs(20))
}

fn wait_healthy(addr: SocketAddr, child: &mut Child, log: &Path) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some((200, body)) = get(addr, "/health") {
            let health: serde_json::Value = serde_json::from_str(&body).unwrap();
            return health["docs"].as_u64().unwrap();
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the server exited with {status} instead of starting:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the server did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn letter_text(id: &str) -> String {
    format!(
        "尊敬的代表：您提出的关于{id}路段增设公交站台的建议收悉。现答复如下：我局已将该路段列入年度计划（{MARKER}），\
         标记{id}。\n某某市交通运输局\n2024年5月6日"
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn killed_mid_put_keeps_every_acknowledged_write() {
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    let corpus = scratch.path().join("corpus");
    let index = scratch.path().join("index");
    let log = scratch.path().join("server.log");
    copy_dir(&util::corpus_dir(), &corpus);

    // id → acknowledged (true) or sent without an answer (false).
    let mut sent: BTreeMap<String, bool> = BTreeMap::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d ^ u64::from(std::process::id());
    let mut base_docs = None;
    for round in 0..=ROUNDS {
        let mut server = start(&corpus, &index, &log);
        let (addr, child) = (server.addr, &mut server.child);
        let docs = wait_healthy(addr, child, &log);
        let base = *base_docs.get_or_insert(docs);

        // Everything acknowledged so far is there, whole; unanswered PUTs are there whole or
        // not at all.
        let acked = sent.values().filter(|a| **a).count() as u64;
        assert!(
            docs >= base + acked && docs <= base + sent.len() as u64,
            "round {round}: {docs} documents, expected {} + {acked}..={}",
            base,
            sent.len()
        );
        let mut unanswered_present = 0;
        for (id, acknowledged) in &sent {
            let (status, body) = get(addr, &format!("/api/docs/{id}")).expect("document answers");
            match status {
                200 => {
                    unanswered_present += usize::from(!acknowledged);
                    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(doc["id"], id.as_str(), "round {round}");
                    assert!(
                        doc["text"].as_str().unwrap().contains(&format!("标记{id}")),
                        "round {round}: {id} is not whole: {body}"
                    );
                }
                404 => assert!(
                    !acknowledged,
                    "round {round}: acknowledged PUT {id} was lost"
                ),
                other => panic!("round {round}: GET {id} answered {other}: {body}"),
            }
        }
        if round > 0 {
            eprintln!(
                "restart {round}: healthy with {docs} documents; {unanswered_present} unanswered PUTs turned out stored"
            );
        }
        // Every acknowledged document is searchable (the marker word is in no corpus letter).
        let mut hits: Vec<String> = Vec::new();
        for page in 0.. {
            let (status, body) = get(
                addr,
                &format!("/api/search?q={MARKER_Q}&limit=100&offset={}", page * 100),
            )
            .expect("search answers");
            assert_eq!(status, 200, "round {round}: {body}");
            let found: serde_json::Value = serde_json::from_str(&body).unwrap();
            let page_hits = found["hits"].as_array().unwrap();
            hits.extend(
                page_hits
                    .iter()
                    .filter_map(|h| h["id"].as_str().map(str::to_string)),
            );
            if page_hits.len() < 100 {
                break;
            }
        }
        for (id, acknowledged) in &sent {
            if *acknowledged {
                assert!(hits.contains(id), "round {round}: {id} not searchable");
            }
        }
        let (status, _) = get(
            addr,
            "/api/search?q=%E6%96%B0%E8%B4%A8%E7%94%9F%E4%BA%A7%E5%8A%9B",
        )
        .unwrap();
        assert_eq!(status, 200);

        if round == ROUNDS {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }

        // PUTs in a loop until the server dies under them.
        let results: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let results = results.clone();
                let stop = stop.clone();
                std::thread::spawn(move || {
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let id = format!("crash-r{round}-w{w}-{i}");
                        let answer = put(addr, &id, &letter_text(&id));
                        let acknowledged = matches!(answer, Some((200..=299, _)));
                        if let Some((status, body)) = &answer {
                            assert!(
                                (200..=299).contains(status),
                                "PUT {id} answered {status}: {body}"
                            );
                        }
                        results.lock().unwrap().push((id, acknowledged));
                        if answer.is_none() {
                            // The server is gone (or going).
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                })
            })
            .collect();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(100 + seed % 1400);
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer
                .join()
                .expect("the writer threads saw only 2xx answers");
        }
        let round_results = std::mem::take(&mut *results.lock().unwrap());
        let round_acked = round_results.iter().filter(|(_, a)| *a).count();
        eprintln!(
            "round {round}: killed after {delay:?}; {round_acked} PUTs acknowledged, {} unanswered",
            round_results.len() - round_acked
        );
        sent.extend(round_results);
    }
    let acked = sent.values().filter(|a| **a).count();
    eprintln!(
        "{ROUNDS} kills, {acked} acknowledged PUTs all kept, {} unanswered; {:.1} s",
        sent.len() - acked,
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked > 0,
        "no PUT was acknowledged: the kills came too early to test anything"
    );
}
