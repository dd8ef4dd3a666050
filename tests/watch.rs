//! `serve --watch`: a letter dropped into the corpus folder becomes searchable without a
//! restart, an edited one is re-indexed, a removed one disappears, and a broken file does
//! not stop the server.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{self, ServerProcess, enc, http_get};

/// The body of a GET.
fn get(addr: &SocketAddr, path: &str) -> Option<String> {
    http_get(*addr, path).map(|(_, body)| body)
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

fn total(addr: &SocketAddr, q: &str) -> Option<u64> {
    let body = get(addr, &format!("/api/search?q={}&facets=", enc(q)))?;
    serde_json::from_str::<serde_json::Value>(&body).ok()?["total"].as_u64()
}

#[test]
fn files_dropped_into_the_corpus_become_searchable() {
    let corpus = tempfile::tempdir().unwrap();
    let index = tempfile::tempdir().unwrap();
    std::fs::write(
        corpus.path().join("a.txt"),
        "关于修缮紫石古桥的建议的答复\n王代表：您的建议收悉。\n某县文化和旅游局\n2023年5月6日",
    )
    .unwrap();
    let server = ServerProcess::start(
        |cmd| {
            cmd.args(["--watch", "--corpus"])
                .arg(corpus.path())
                .arg("--index")
                .arg(index.path());
        },
        None,
    );
    let addr = server.addr;
    wait_for("the server", || {
        get(&addr, "/health").is_some_and(|r| r.contains("\"docs\":1"))
    });

    let write =
        |name: &str, text: &str| std::fs::write(Path::new(corpus.path()).join(name), text).unwrap();
    write(
        "b.txt",
        "关于增设城北公交站台的建议的答复\n李代表：您提出的增设城北公交站台的建议收悉。\n某市交通运输局\n2024年3月1日",
    );
    wait_for("the new letter", || total(&addr, "城北公交站台") == Some(1));

    // A letter as departments publish it: the 福田区 reply as a PDF.
    let pdf = util::fixture_path("futian-20240294.pdf");
    std::fs::copy(pdf, corpus.path().join("futian.pdf")).unwrap();
    wait_for("the dropped PDF", || total(&addr, "免申即享") == Some(1));

    write("broken.txt", "");
    std::fs::write(corpus.path().join("bad.jsonl"), b"{not json\n\xff\xfe").unwrap();
    write(
        "a.txt",
        "关于修缮紫石古桥和石拱桥的建议的答复\n王代表：您的建议收悉。\n某县文化和旅游局\n2023年5月6日",
    );
    wait_for("the edited letter", || total(&addr, "石拱桥") == Some(1));

    std::fs::remove_file(corpus.path().join("b.txt")).unwrap();
    wait_for("the removed letter to go", || {
        total(&addr, "城北公交站台") == Some(0)
    });
    assert!(get(&addr, "/health").unwrap().contains("\"docs\":2"));
}
