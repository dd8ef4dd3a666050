//! The evaluation corpus shared by the evaluation examples: exactly these files of the real
//! document collection, so that policy texts or anything else in the folder cannot shift the
//! figures, copied to a temp folder so indexing never writes next to the source.

use std::path::Path;

use anyhow::{Context, Result};

pub const FILES: [&str; 3] = [
    "replies.jsonl",
    "replies-more.jsonl",
    "futian-fgj-reply-20240294.txt",
];

/// Where the evaluations look for the corpus unless given `--corpus DIR`.
pub const DEFAULT_DIR: &str = "../shared/corpus";
/// `--help` for `--corpus`.
pub const DIR_HELP: &str =
    "The folder holding replies.jsonl, replies-more.jsonl and futian-fgj-reply-20240294.txt";

/// A message for the user when `dir` lacks any of the files.
pub fn missing(dir: &Path) -> Option<String> {
    let missing: Vec<&str> = FILES
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "evaluation corpus not found: {} lacks {}.\nPass the folder holding {} with --corpus DIR.",
            dir.display(),
            missing.join(", "),
            FILES.join(", ")
        )
    })
}

/// A copy of the evaluation files in a fresh temp folder, removed when the result drops.
pub fn temp_copy(src: &Path) -> Result<tempfile::TempDir> {
    let tmp = tempfile::tempdir().context("creating a temp folder")?;
    for f in FILES {
        std::fs::copy(src.join(f), tmp.path().join(f))
            .with_context(|| format!("copying {}", src.join(f).display()))?;
    }
    Ok(tmp)
}
