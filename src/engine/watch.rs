//! `serve --watch`: re-indexes the corpus folder when files are added, changed or removed,
//! so documents dropped into `corpus/` become searchable without a restart. Events are
//! debounced (a copy of many files is one sync) and each sync is the ordinary incremental
//! one (by content hash), so a broken file is reported and skipped like at start-up.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::engine::Engine;

/// Quiet time after the last event before syncing.
const DEBOUNCE: Duration = Duration::from_millis(400);

/// Starts watching `corpus` on a background thread for as long as the process runs.
/// `engine` is reached through `get` so the caller decides who owns it.
pub fn spawn<S: Send + Sync + 'static>(
    corpus: PathBuf,
    owner: Arc<S>,
    get: fn(&S) -> &Engine,
) -> notify::Result<()> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event
            && !matches!(e.kind, notify::EventKind::Access(_))
        {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(&corpus, RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("corpus-watch".into())
        .spawn(move || {
            // The watcher lives as long as this thread.
            let _watcher = watcher;
            while rx.recv().is_ok() {
                while rx.recv_timeout(DEBOUNCE).is_ok() {}
                sync(get(&owner), &corpus);
            }
        })
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(())
}

fn sync(engine: &Engine, corpus: &Path) {
    match engine.sync_corpus(corpus, &|_| {}) {
        Ok(r) => {
            if r.added + r.updated + r.removed > 0 || !r.skipped.is_empty() {
                tracing::info!(
                    added = r.added,
                    updated = r.updated,
                    removed = r.removed,
                    skipped = r.skipped.len(),
                    "corpus changed; index updated"
                );
            }
            for s in &r.skipped {
                tracing::warn!(location = %s.location, reason = %s.reason, "skipped");
            }
        }
        Err(e) => tracing::error!(error = %e, "re-indexing after a corpus change failed"),
    }
}
