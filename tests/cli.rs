//! The command line through the built binary: a closed pipe, paths checked before anything is
//! created, exit codes, `stats` listing every value, and the server's start-up banner.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::util;

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reply-search"));
    // The folders come from the flags of each test, never from the caller's environment.
    for var in [
        "REPLY_SEARCH_CORPUS",
        "REPLY_SEARCH_INDEX",
        "REPLY_SEARCH_VOCAB",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An index of the repo's corpus in a fresh folder.
fn built_index() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = run(binary()
        .args(["index", "--corpus"])
        .arg(util::corpus_dir())
        .arg("--index")
        .arg(dir.path()));
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn a_closed_pipe_ends_the_output_quietly_and_successfully() {
    let index = built_index();
    for args in [
        vec!["search", "建议", "--limit", "100"],
        vec!["search", "建议", "--limit", "100", "--json"],
        vec!["stats"],
    ] {
        let mut child = binary()
            .args(&args)
            .arg("--index")
            .arg(index.path())
            .arg("--corpus")
            .arg(util::corpus_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, as `| head -1` does, then close the pipe. The JSON output (about
        // 87 KB) is larger than the pipe's buffer (64 KB), so the program is still writing
        // when the pipe closes.
        let mut first = String::new();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
        drop(reader);
        let out = child.wait_with_output().unwrap();
        assert!(!first.is_empty(), "{args:?}");
        assert!(
            out.status.success(),
            "{args:?}: {:?} {}",
            out.status,
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn paths_are_checked_before_anything_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("letters.txt");
    std::fs::write(&file, "not a folder").unwrap();
    let index = tmp.path().join("new-index");

    // A corpus path that is a file is not "missing"; nothing is created for the index.
    let out = run(binary()
        .args(["index", "--corpus"])
        .arg(&file)
        .arg("--index")
        .arg(&index));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a file, not a folder"),
        "{}",
        stderr(&out)
    );
    assert!(!index.exists());

    // An index path that is a file: a usage error (2), not an OS error (1).
    let out = run(binary()
        .args(["index", "--corpus"])
        .arg(util::corpus_dir())
        .arg("--index")
        .arg(&file));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("index path"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");

    // A missing corpus fails before the index folder is made.
    let out = run(binary()
        .args(["index", "--corpus"])
        .arg(tmp.path().join("no-such-dir"))
        .arg("--index")
        .arg(&index));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    assert!(!index.exists());

    // Searching where there is neither an index nor a corpus says so and creates nothing.
    let empty = tempfile::tempdir().unwrap();
    for args in [
        vec!["search", "停车"],
        vec!["stats"],
        vec!["similar", "--text", "停车"],
    ] {
        let out = run(binary().args(&args).current_dir(empty.path()));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no index at"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_dir(empty.path()).unwrap().count(),
            0,
            "{args:?}"
        );
    }
}

#[test]
fn stats_lists_every_value_with_one_spelling_per_session() {
    let index = built_index();
    let out = run(binary()
        .args(["stats", "--json", "--index"])
        .arg(index.path())
        .arg("--corpus")
        .arg(util::corpus_dir()));
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let docs = stats["docs"].as_u64().unwrap();
    let facet = |name: &str| stats["facets"][name].as_object().unwrap().clone();
    // Every letter has a kind: the kinds add up to the letters.
    assert_eq!(
        facet("kind")
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        docs
    );
    // More than a search's 50 facet values, all listed.
    assert!(
        facet("respondent").len() > 50,
        "{}",
        facet("respondent").len()
    );
    assert!(facet("session").len() > 50);
    // The corpus writes 云南省第十二届人大五次会议 and 云南省第十二届人大第五次会议: one session.
    let sessions = facet("session");
    let yunnan: Vec<&str> = sessions
        .keys()
        .filter(|k| k.starts_with("云南省") && k.contains("十二届人大"))
        .map(|k| k.as_str())
        .collect();
    assert_eq!(yunnan, ["云南省第十二届人大第五次会议"], "{yunnan:?}");

    // The text form says how many values each facet has.
    let out = run(binary()
        .args(["stats", "--index"])
        .arg(index.path())
        .arg("--corpus")
        .arg(util::corpus_dir()));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "by respondent ({} values):",
            facet("respondent").len()
        )),
        "{text}"
    );
}

#[test]
fn the_banner_states_the_cors_policy() {
    let index = built_index();
    let banner = |extra: &[&str]| {
        let mut child = binary()
            .args(["serve", "--addr", "127.0.0.1:0", "--index"])
            .arg(index.path())
            .arg("--corpus")
            .arg(Path::new("no-such-corpus"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let second = lines.next().unwrap().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(first.starts_with("serving "), "{first}");
        second
    };
    let open = banner(&[]);
    assert!(
        open.contains("any origin") && open.contains("writes same-origin only"),
        "{open}"
    );
    let listed = banner(&["--cors-origins", "https://www.example.gov.cn"]);
    assert!(listed.contains("https://www.example.gov.cn"), "{listed}");
    assert!(banner(&["--cors-origins", "none"]).contains("off"));
}
