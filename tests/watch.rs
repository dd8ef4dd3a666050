//! `serve --watch`: a letter dropped into the corpus folder becomes searchable without a
//! restart, an edited one is re-indexed, a removed one disappears, and a broken file does
//! not stop the server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
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

fn total(addr: &str, q: &str) -> Option<u64> {
    let enc: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
    let body = get(addr, &format!("/api/search?q={enc}&facets="))?;
    let json = body.split("\r\n\r\n").nth(1)?;
    serde_json::from_str::<serde_json::Value>(json).ok()?["total"].as_u64()
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_reply-search"))
            .args(["serve", "--watch", "--addr", &addr, "--corpus"])
            .arg(corpus.path())
            .arg("--index")
            .arg(index.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
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
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/futian-20240294.pdf");
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
