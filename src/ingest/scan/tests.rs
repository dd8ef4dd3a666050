//! Tests of the corpus scan: what is read, what is skipped and why, and that nothing
//! blocks it or makes it read past a limit.

use super::*;
use std::time::{Duration, Instant};

const LETTER: &str = "关于县十六届人大一次会议第3号建议的答复\n王孝友代表:\n你提出的关于加固河堤的建议收悉。现答复如下:\n已列入规划。\n舒城县水利局\n2012年6月18日\n";

#[test]
fn scan_reports_good_and_bad_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("corpus");
    std::fs::create_dir_all(root.join("nested/deeper")).unwrap();
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    let write = |rel: &str, bytes: &[u8]| std::fs::write(root.join(rel), bytes).unwrap();
    write("a.txt", LETTER.as_bytes());
    write(
        "nested/deeper/b.md",
        "李四委员:\n您的提案收悉。\n".as_bytes(),
    );
    write(
        "c.html",
        "<html><head><title>x</title></head><body><p>张三代表:</p><p>您的建议收悉。</p></body></html>".as_bytes(),
    );
    let jsonl = [
        r#"{"id": "j1", "text": "赵六代表:\n您的建议收悉。", "date": "2024年6月12日", "extra": 1}"#,
        r#"{"id": "j2", "text": "#,
        r#"{"id": "j3", "title": "no text"}"#,
        "",
        r#"{"id": "a", "text": "重复的编号。"}"#,
        r#"{"id": "j1", "text": "again"}"#,
    ]
    .join("\n");
    write("d.jsonl", jsonl.as_bytes());
    write("bad.txt", b"\xE7\xA6\x8F\xFF\xFE bytes");
    write("empty.txt", b"");
    write("blank.md", b"  \n\n ");
    write("README.md", b"# not a letter");
    write("SOURCES-2024.md", b"not a letter");
    write("notes.pdf", b"%PDF ignored");
    write(".hidden/h.txt", LETTER.as_bytes());
    write(".dotfile.txt", LETTER.as_bytes());

    let scan = scan_corpus(&root).unwrap();
    let ids: Vec<&str> = scan.docs.iter().map(|d| d.letter.id.as_str()).collect();
    assert_eq!(ids, ["a", "c", "j1", "nested/deeper/b"]);
    let a = &scan.docs[0].letter;
    assert_eq!(a.kind, "建议");
    assert_eq!(a.proposal_no.as_deref(), Some("3"));
    assert_eq!(a.respondent.as_deref(), Some("舒城县水利局"));
    assert_eq!(a.date.as_deref(), Some("2012-06-18"));
    assert_eq!(a.source.as_deref(), Some("corpus/a.txt"));
    assert_eq!(a.title, "关于县十六届人大一次会议第3号建议的答复");
    assert_eq!(scan.docs[0].hash, content_hash(LETTER.as_bytes()));
    let c = &scan.docs[1].letter;
    assert_eq!(c.text, "张三代表:\n您的建议收悉。");
    assert_eq!(c.addressee.as_deref(), Some("张三代表"));
    let j1 = &scan.docs[2].letter;
    assert_eq!(j1.date.as_deref(), Some("2024-06-12"));
    assert_eq!(j1.title, "赵六代表:");

    let skipped = skipped(&scan);
    let expect = [
        ("corpus/bad.txt", "not valid UTF-8"),
        ("corpus/blank.md", "no text"),
        ("corpus/d.jsonl:2", "invalid JSON"),
        ("corpus/d.jsonl:3", "\"text\""),
        (
            "corpus/d.jsonl:5",
            "duplicate id \"a\" (first seen at corpus/a.txt)",
        ),
        (
            "corpus/d.jsonl:6",
            "duplicate id \"j1\" (first seen at corpus/d.jsonl:1)",
        ),
        ("corpus/empty.txt", "no text"),
        ("corpus/notes.pdf", "unreadable PDF"),
    ];
    assert_eq!(skipped.len(), expect.len(), "{skipped:?}");
    for ((loc, reason), (want_loc, want_reason)) in skipped.iter().zip(expect) {
        assert_eq!(*loc, want_loc);
        assert!(reason.contains(want_reason), "{loc}: {reason}");
    }
}

#[test]
fn scan_of_missing_dir_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(scan_corpus(&tmp.path().join("nope")).is_err());
}

#[test]
fn streamed_scan_stops_when_the_consumer_does() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    if !dir.is_dir() {
        return;
    }
    let mut seen = 0;
    scan_corpus_each(&dir, &mut |_| {
        seen += 1;
        seen < 3
    })
    .unwrap();
    assert_eq!(seen, 3);
}

#[test]
fn scan_real_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    if !dir.is_dir() {
        return;
    }
    let scan = scan_corpus(&dir).unwrap();
    assert_eq!(scan.docs.len(), 254);
    assert!(scan.skipped.is_empty());
    for d in &scan.docs {
        let l = &d.letter;
        assert!(!l.title.is_empty() && !l.text.is_empty(), "{}", l.id);
        assert!(["建议", "提案", "议案", "留言", "other"].contains(&l.kind.as_str()));
    }
}

/// A short letter whose text carries `marker`, to tell where a letter's text came from.
fn marked_letter(marker: &str) -> String {
    format!("张三代表:\n您的建议收悉。{marker}\n")
}

/// A folder `corpus` holding one ordinary letter, `a.txt`, and a folder `outside`
/// beside it.
fn corpus_and_outside() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("corpus");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("a.txt"), LETTER).unwrap();
    (tmp, root, outside)
}

/// Scans on another thread and fails the test if the scan takes more than 5 s, so a
/// scan that blocks fails the test instead of hanging the test run.
fn scan_in_time(root: &Path, limits: ScanLimits) -> (CorpusScan, Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    let root = root.to_path_buf();
    let started = Instant::now();
    std::thread::spawn(move || {
        let mut docs = Vec::new();
        let skipped = scan_with_limits(&root, &limits, &mut |doc| {
            docs.push(doc);
            true
        })
        .unwrap();
        let _ = tx.send(CorpusScan { docs, skipped });
    });
    let scan = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the scan did not finish within 5 s");
    (scan, started.elapsed())
}

fn ids(scan: &CorpusScan) -> Vec<&str> {
    scan.docs.iter().map(|d| d.letter.id.as_str()).collect()
}

/// (location, reason) of each skipped file or line.
fn skipped(scan: &CorpusScan) -> Vec<(&str, &str)> {
    let pairs = scan.skipped.iter();
    pairs
        .map(|s| (s.location.as_str(), s.reason.as_str()))
        .collect()
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call.
    let rc = unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

const LINK_SKIPPED: &str = "symbolic link: not followed";

#[cfg(unix)]
#[test]
fn symlink_to_a_file_outside_is_skipped_and_never_read() {
    let (_tmp, root, outside) = corpus_and_outside();
    std::fs::write(outside.join("secret.txt"), marked_letter("SECRET")).unwrap();
    let record = serde_json::json!({"id": "s", "text": marked_letter("SECRET")});
    std::fs::write(outside.join("secret.jsonl"), record.to_string()).unwrap();
    symlink(outside.join("secret.jsonl"), root.join("env.jsonl"));
    symlink(outside.join("secret.txt"), root.join("env.txt"));
    symlink("/proc/self/environ", root.join("environ.txt"));

    let (scan, _) = scan_in_time(&root, ScanLimits::default());
    assert_eq!(ids(&scan), ["a"]);
    assert_eq!(
        skipped(&scan),
        [
            ("corpus/env.jsonl", LINK_SKIPPED),
            ("corpus/env.txt", LINK_SKIPPED),
            ("corpus/environ.txt", LINK_SKIPPED),
        ]
    );
    assert!(scan.docs.iter().all(|d| !d.letter.text.contains("SECRET")));
}

#[cfg(unix)]
#[test]
fn symlink_to_a_directory_is_not_followed() {
    let (_tmp, root, outside) = corpus_and_outside();
    std::fs::write(outside.join("b.txt"), marked_letter("OUTSIDE")).unwrap();
    symlink(&outside, root.join("linked"));
    // A link back to the corpus folder itself would loop if it were followed.
    symlink(&root, root.join("loop"));

    let (scan, _) = scan_in_time(&root, ScanLimits::default());
    assert_eq!(ids(&scan), ["a"]);
    assert_eq!(
        skipped(&scan),
        [
            ("corpus/linked", LINK_SKIPPED),
            ("corpus/loop", LINK_SKIPPED)
        ]
    );
}

#[cfg(unix)]
#[test]
fn fifo_is_skipped_and_the_scan_finishes_promptly() {
    let (_tmp, root, _) = corpus_and_outside();
    mkfifo(&root.join("pipe.jsonl"));
    mkfifo(&root.join("pipe.txt"));

    let (scan, took) = scan_in_time(&root, ScanLimits::default());
    println!("scan with two named pipes took {took:?}");
    assert_eq!(ids(&scan), ["a"]);
    let reason = "named pipe (FIFO): only regular files are read";
    assert_eq!(
        skipped(&scan),
        [("corpus/pipe.jsonl", reason), ("corpus/pipe.txt", reason)]
    );
}

#[cfg(unix)]
#[test]
fn symlink_to_dev_zero_is_skipped() {
    let (_tmp, root, _) = corpus_and_outside();
    symlink("/dev/zero", root.join("zero.jsonl"));
    symlink("/dev/zero", root.join("zero.txt"));

    let (scan, took) = scan_in_time(&root, ScanLimits::default());
    println!("scan with two links to /dev/zero took {took:?}");
    assert_eq!(ids(&scan), ["a"]);
    assert_eq!(
        skipped(&scan),
        [
            ("corpus/zero.jsonl", LINK_SKIPPED),
            ("corpus/zero.txt", LINK_SKIPPED)
        ]
    );
}

/// The entry was listed as a regular file but replaced before it is opened: the open
/// itself refuses what must not be read, without blocking.
#[cfg(unix)]
#[test]
fn open_refuses_what_replaced_a_listed_file() {
    let (_tmp, root, outside) = corpus_and_outside();
    std::fs::write(outside.join("secret.txt"), "SECRET").unwrap();
    symlink(outside.join("secret.txt"), root.join("link.txt"));
    mkfifo(&root.join("pipe.txt"));
    std::fs::create_dir(root.join("dir.txt")).unwrap();

    let started = Instant::now();
    let open = |name: &str| open_regular(&root.join(name), 1000).map(|_| ());
    assert!(matches!(open("link.txt"), Err(IngestError::Symlink)));
    assert!(matches!(
        open("pipe.txt"),
        Err(IngestError::NotRegularFile("named pipe (FIFO)"))
    ));
    assert!(matches!(
        open("dir.txt"),
        Err(IngestError::NotRegularFile("directory"))
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(open("a.txt").is_ok());
    assert!(matches!(
        open_regular(&root.join("a.txt"), 10).map(|_| ()),
        Err(IngestError::TooLarge { limit: 10, .. })
    ));
}

/// A source that never ends (like /dev/zero, or a file that keeps growing) is read
/// only up to its limit.
#[test]
fn reads_stop_at_the_limit_whatever_the_source_holds() {
    let started = Instant::now();
    assert!(matches!(
        read_to_limit(std::io::repeat(0), 1000),
        Err(IngestError::GrewPastLimit { limit: 1000 })
    ));
    assert_eq!(read_to_limit(&b"abc"[..], 3).unwrap(), b"abc");

    let limits = ScanLimits {
        jsonl_file: 10_000,
        jsonl_line: 100,
        ..ScanLimits::default()
    };
    let mut docs = 0;
    let mut out = Output {
        seen: HashMap::new(),
        skipped: Vec::new(),
        on_doc: &mut |_| {
            docs += 1;
            true
        },
        stopped: false,
    };
    read_jsonl(std::io::repeat(b'x'), &limits, "corpus/x.jsonl", &mut out);
    let skipped: Vec<_> = out.skipped.iter().map(|s| s.location.as_str()).collect();
    assert_eq!(skipped, ["corpus/x.jsonl"]);
    assert_eq!(
        out.skipped[0].reason,
        "file grew past the limit of 10000 bytes while being read"
    );
    assert_eq!(docs, 0);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn oversized_files_are_refused_before_they_are_read() {
    let (_tmp, root, _) = corpus_and_outside();
    let record = serde_json::json!({"id": "j", "text": marked_letter("")}).to_string();
    let jsonl = format!("{record}\n").repeat(20);
    std::fs::write(root.join("big.jsonl"), &jsonl).unwrap();
    std::fs::write(root.join("big.txt"), marked_letter(&"长".repeat(400))).unwrap();
    let limits = ScanLimits {
        text_file: 1000,
        jsonl_file: 1000,
        ..ScanLimits::default()
    };

    let (scan, _) = scan_in_time(&root, limits);
    // Not even the first record is read: the file is refused by its size.
    assert_eq!(ids(&scan), ["a"]);
    let jsonl_reason = format!(
        "text is too large ({} bytes; the limit is 1000 bytes)",
        jsonl.len()
    );
    let got = skipped(&scan);
    assert_eq!(got[0], ("corpus/big.jsonl", jsonl_reason.as_str()));
    assert_eq!(got[1].0, "corpus/big.txt");
    assert!(got[1].1.starts_with("text is too large"), "{got:?}");
    assert_eq!(got.len(), 2);
}

/// A sparse file takes no disk space but claims 1 GiB + 1 byte: refused at once with
/// the default limits (the old scan read it whole into memory).
#[test]
fn jsonl_over_the_default_limit_is_refused_at_once() {
    let (_tmp, root, _) = corpus_and_outside();
    let file = File::create(root.join("huge.jsonl")).unwrap();
    file.set_len(MAX_JSONL_BYTES + 1).unwrap();

    let (scan, took) = scan_in_time(&root, ScanLimits::default());
    println!("scan with a 1 GiB + 1 byte .jsonl took {took:?}");
    assert_eq!(ids(&scan), ["a"]);
    let got = skipped(&scan);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "corpus/huge.jsonl");
    assert!(
        got[0].1.contains("the limit is 1073741824 bytes"),
        "{got:?}"
    );
}

#[test]
fn overlong_jsonl_line_is_skipped_and_later_lines_load() {
    let (_tmp, root, _) = corpus_and_outside();
    const LIMIT: usize = 200;
    let record = |id: &str, text: &str| serde_json::json!({"id": id, "text": text});
    let long = record("j2", &marked_letter(&"长".repeat(LIMIT))).to_string();
    // The text of j4 is padded so that its line is exactly at the limit.
    let unpadded = record("j4", &marked_letter("")).to_string();
    let pad = "x".repeat(LIMIT - unpadded.len());
    let exact = record("j4", &marked_letter(&pad)).to_string();
    assert_eq!(exact.len(), LIMIT);
    // The last line is too long too and has no line break after it.
    let lines = [
        record("j1", &marked_letter("1")).to_string(),
        long.clone(),
        record("j3", &marked_letter("3")).to_string(),
        exact,
        long.replace("j2", "j5"),
    ];
    std::fs::write(root.join("d.jsonl"), lines.join("\n")).unwrap();
    let limits = ScanLimits {
        jsonl_line: LIMIT as u64,
        ..ScanLimits::default()
    };

    let (scan, _) = scan_in_time(&root, limits);
    assert_eq!(ids(&scan), ["a", "j1", "j3", "j4"]);
    assert_eq!(
        skipped(&scan),
        [
            ("corpus/d.jsonl:2", "line is too long (over 200 bytes)"),
            ("corpus/d.jsonl:5", "line is too long (over 200 bytes)"),
        ]
    );
}
