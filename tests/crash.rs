//! Crash safety: `reply-search index` killed with SIGKILL at random points leaves an index
//! that opens, answers searches and holds exactly a prefix of the committed batches; the next
//! run completes it to the same documents as an uninterrupted run.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;
use reply_search::engine::SearchRequest;

use crate::util;

const BATCH: usize = 25;

fn index_cmd(corpus: &Path, index: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reply-search"));
    cmd.args(["index", "--corpus"])
        .arg(corpus)
        .arg("--index")
        .arg(index);
    cmd.env("REPLY_SEARCH_COMMIT_EVERY", BATCH.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn doc_ids(index: &Path) -> BTreeSet<String> {
    let engine =
        Engine::open(index, Analyzer::shared_default()).expect("index reopens after a crash");
    let mut ids = BTreeSet::new();
    let mut offset = 0;
    loop {
        let r = engine
            .search(&SearchRequest {
                limit: Some(100),
                offset,
                facets: Some(vec![]),
                ..Default::default()
            })
            .expect("index answers searches");
        ids.extend(r.hits.into_iter().map(|h| h.id));
        offset += 100;
        if offset >= r.total {
            return ids;
        }
    }
}

#[test]
fn killed_indexing_keeps_a_committed_prefix_and_resumes() {
    let corpus = util::corpus_dir();
    let order: Vec<String> = reply_search::ingest::scan_corpus(&corpus)
        .unwrap()
        .docs
        .into_iter()
        .map(|d| d.letter.id)
        .collect();

    let reference = tempfile::tempdir().unwrap();
    assert!(
        index_cmd(&corpus, reference.path())
            .status()
            .unwrap()
            .success()
    );
    let complete = doc_ids(reference.path());
    assert_eq!(complete.len(), order.len());

    // Delays spread over the run, from before the first commit to near the end.
    let started = std::time::Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    assert!(
        index_cmd(&corpus, scratch.path())
            .status()
            .unwrap()
            .success()
    );
    let full_run = started.elapsed();

    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut partial_seen = 0;
    for round in 0..6 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let dir = tempfile::tempdir().unwrap();
        let delay = full_run.mul_f64((seed % 1000) as f64 / 1000.0);
        let mut child = index_cmd(&corpus, dir.path()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on unix
        let _ = child.wait();

        if dir.path().join("meta.json").exists() {
            let ids = doc_ids(dir.path());
            // Whole batches, or everything when the kill came after the final commit.
            assert!(
                ids.len().is_multiple_of(BATCH) || ids.len() == order.len(),
                "round {round}: {} documents is not whole batches",
                ids.len()
            );
            let prefix: BTreeSet<String> = order[..ids.len()].iter().cloned().collect();
            assert_eq!(
                ids, prefix,
                "round {round}: the index is not a prefix of the committed work"
            );
            if !ids.is_empty() && ids.len() < order.len() {
                partial_seen += 1;
            }
        }
        assert!(
            index_cmd(&corpus, dir.path()).status().unwrap().success(),
            "round {round}: re-run failed"
        );
        assert_eq!(
            doc_ids(dir.path()),
            complete,
            "round {round}: re-run did not complete the index"
        );
    }
    eprintln!("{partial_seen} of 6 kills left a partial index (full run {full_run:?})");
}
