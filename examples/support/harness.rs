//! What the evaluation examples share around their measurements: the `main` wrapper with its
//! exit codes, reading a judgement file, and the mean.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::corpus;

/// Runs an evaluation on the corpus in `dir`: exit code 2 (with a message) when the folder
/// lacks an evaluation file, 1 when the run fails, 0 otherwise.
pub fn main(dir: &Path, run: impl FnOnce() -> Result<()>) -> ExitCode {
    if let Some(msg) = corpus::missing(dir) {
        eprintln!("{msg}");
        return ExitCode::from(2);
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Reads a JSON Lines file with `record`, which gets each record (blank lines skipped) and
/// where it stands (`path:line`) for error messages.
pub fn read_jsonl<T>(
    path: &Path,
    mut record: impl FnMut(&str, serde_json::Value) -> Result<T>,
) -> Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), n + 1);
        let v: serde_json::Value = serde_json::from_str(line).with_context(|| at.clone())?;
        out.push(record(&at, v)?);
    }
    Ok(out)
}

pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}
