//! `serve --watch`: re-indexes the corpus folder when files are added, changed or removed,
//! so documents dropped into `corpus/` become searchable without a restart. Events are
//! debounced (a copy of many files is one sync) and each sync is the ordinary incremental
//! one (by content hash), so a broken file is reported and skipped like at start-up.
//!
//! The watcher registers every folder of the corpus itself, as the scan sees them (links
//! not followed, hidden folders left out), and registers new folders before each sync: a
//! folder that cannot be read or watched is logged and skipped instead of stopping the
//! server. If the corpus folder disappears, the watcher checks every second for it to come
//! back, then watches it afresh and syncs. What it is doing is published in a
//! `WatchStatus`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::engine::Engine;

/// Quiet time after the last event before syncing.
const DEBOUNCE: Duration = Duration::from_millis(400);
/// How often the watcher checks that the corpus folder is still the one it watches (it may
/// be removed, or replaced by another), or has come back after it disappeared.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// A snapshot of what the watcher is doing, for health reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchState {
    /// The corpus folder exists and is watched (some subfolders may not be: see
    /// `last_error`).
    pub watching: bool,
    /// Syncs completed since the watcher started (not counting the caller's own).
    pub syncs: u64,
    /// When the last of them completed.
    pub last_sync: Option<SystemTime>,
    /// What went wrong in the latest round of watching and syncing (the folder is missing,
    /// a subfolder cannot be watched, the sync failed); None when nothing did.
    pub last_error: Option<String>,
}

/// The state of a running watcher, shared between the watcher and whoever spawned it.
#[derive(Debug, Default)]
pub struct WatchStatus(Mutex<WatchState>);

impl WatchStatus {
    /// A copy of the current state.
    pub fn snapshot(&self) -> WatchState {
        self.lock().clone()
    }

    // A panic while the state was held leaves it consistent (plain fields), so a poisoned
    // lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, WatchState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts watching `corpus` on a background thread for as long as the process runs and
/// returns its status. `engine` is reached through `get` so the caller decides who owns it.
///
/// Fails only if no watcher can be created at all (e.g. no inotify instance is left); a
/// missing corpus folder or a folder that cannot be watched is reported in the status.
pub fn spawn<S: Send + Sync + 'static>(
    corpus: PathBuf,
    owner: Arc<S>,
    get: fn(&S) -> &Engine,
) -> notify::Result<Arc<WatchStatus>> {
    let (tx, rx) = mpsc::channel();
    let mut watch = CorpusWatch {
        corpus,
        status: Arc::new(WatchStatus::default()),
        watcher: None,
        dirs: HashMap::new(),
        tx,
    };
    watch.watcher = Some(watch.new_watcher()?);
    // The caller has just synced, so this first round only watches.
    watch.round(None);
    let status = watch.status.clone();
    std::thread::Builder::new()
        .name("corpus-watch".into())
        .spawn(move || watch.run(get(&owner), &rx))
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(status)
}

/// The identity of a folder, to tell a folder from another created at the same path (device
/// and inode on unix; elsewhere only whether there is one, so a folder replaced between two
/// checks is not noticed there until an event comes).
#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = ();

/// The identity of the folder at `path`; None if there is none.
fn dir_identity(path: &Path) -> Option<DirId> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_dir())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some(())
    }
}

struct CorpusWatch {
    corpus: PathBuf,
    status: Arc<WatchStatus>,
    /// None while the corpus folder is missing (or no watcher could be made).
    watcher: Option<RecommendedWatcher>,
    /// The folders the watcher watches, with the identity they had when registered.
    dirs: HashMap<PathBuf, DirId>,
    /// Kept so that the channel stays open while there is no watcher to send on it.
    tx: mpsc::Sender<()>,
}

impl CorpusWatch {
    fn run(mut self, engine: &Engine, rx: &mpsc::Receiver<()>) {
        loop {
            let changed = match rx.recv_timeout(CHECK_EVERY) {
                Ok(()) => {
                    while rx.recv_timeout(DEBOUNCE).is_ok() {}
                    true
                }
                Err(RecvTimeoutError::Timeout) => false,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            // The watches of a corpus folder that was removed, or replaced by another,
            // see nothing any more: they are dropped and the folder is watched afresh.
            let replaced = dir_identity(&self.corpus) != self.dirs.get(&self.corpus).copied();
            if replaced {
                self.watcher = None;
                self.dirs.clear();
            } else if !changed {
                continue;
            }
            self.round(Some(engine));
        }
    }

    /// Watches what is not watched yet, syncs into `engine` if given and the corpus folder
    /// is watched, and publishes the outcome.
    fn round(&mut self, engine: Option<&Engine>) {
        let mut problems = match self.arm() {
            Ok(problems) => problems,
            Err(problem) => {
                let mut state = self.status.lock();
                // Logged once, not at every check while the problem lasts.
                if state.last_error.as_ref() != Some(&problem) {
                    tracing::warn!("{problem}");
                }
                state.watching = false;
                state.last_error = Some(problem);
                return;
            }
        };
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        let synced = engine.map(|engine| sync(engine, &self.corpus));
        let mut state = self.status.lock();
        state.watching = true;
        match synced {
            Some(Ok(())) => {
                state.syncs += 1;
                state.last_sync = Some(SystemTime::now());
            }
            Some(Err(e)) => problems.push(e),
            None => {}
        }
        state.last_error = (!problems.is_empty()).then(|| problems.join("; "));
    }

    fn new_watcher(&self) -> notify::Result<RecommendedWatcher> {
        let tx = self.tx.clone();
        let handler = move |event: notify::Result<notify::Event>| match event {
            // Reads change nothing (and the sync's own reads would loop).
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => {}
            Ok(_) => {
                let _ = tx.send(());
            }
            // E.g. the event queue overflowed: a sync catches up with whatever was missed.
            Err(e) => {
                tracing::warn!(error = %e, "corpus watch error; re-reading the corpus");
                let _ = tx.send(());
            }
        };
        // The folders to watch are registered one by one (see `arm`); links are not
        // followed, as the scan does not follow them.
        let config = notify::Config::default().with_follow_symlinks(false);
        RecommendedWatcher::new(handler, config)
    }

    /// Watches every folder of the corpus that is not watched yet, making the watcher
    /// first if there is none. Returns the folders that could not be watched, or an
    /// error if the corpus folder itself is not watched.
    fn arm(&mut self) -> Result<Vec<String>, String> {
        let missing = || {
            let corpus = self.corpus.display();
            format!("the corpus folder {corpus} does not exist; watching for it to come back")
        };
        if dir_identity(&self.corpus).is_none() {
            return Err(missing());
        }
        if self.watcher.is_none() {
            let watcher = self.new_watcher();
            let corpus = self.corpus.display();
            self.watcher = Some(watcher.map_err(|e| format!("cannot watch {corpus}: {e}"))?);
        }
        let watcher = self.watcher.as_mut().expect("made above");
        let (found, mut problems) = folders(&self.corpus);
        // Folders that went away or were moved: their watches are dropped before new
        // ones are added, since a moved folder keeps its watch under its new name.
        let gone: Vec<PathBuf> = self
            .dirs
            .keys()
            .filter(|dir| found.get(*dir) != self.dirs.get(*dir))
            .cloned()
            .collect();
        for dir in gone {
            // A removed folder's watch is already gone: nothing to report.
            let _ = watcher.unwatch(&dir);
            self.dirs.remove(&dir);
        }
        for (dir, id) in found {
            if self.dirs.contains_key(&dir) {
                continue;
            }
            match watcher.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.dirs.insert(dir, id);
                }
                Err(e) => problems.push(format!(
                    "cannot watch folder {}: {e}; changes in it are not seen",
                    dir.display()
                )),
            }
        }
        if !self.dirs.contains_key(&self.corpus) {
            return Err(if problems.is_empty() {
                missing()
            } else {
                problems.join("; ")
            });
        }
        Ok(problems)
    }
}

/// The corpus folder and the folders below it that can be listed, with their identities,
/// as the scan sees them: links are not followed and hidden folders are left out. Folders
/// that cannot be listed are reported.
fn folders(root: &Path) -> (HashMap<PathBuf, DirId>, Vec<String>) {
    let mut found = HashMap::new();
    let mut problems = Vec::new();
    let mut visited = HashSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        // A folder that went away meanwhile is not reported: its parent's event brings
        // another round.
        let Some(id) = dir_identity(&dir) else {
            continue;
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(format!(
                    "cannot read folder {}: {e}; changes in it are not seen",
                    dir.display()
                ));
                continue;
            }
        };
        // A folder reached twice (a bind mount of a parent, say) would loop.
        if !visited.insert(id) {
            continue;
        }
        found.insert(dir, id);
        for entry in entries.flatten() {
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            // The entry's own type: a link to a folder is not a folder here.
            if !hidden && entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
    }
    (found, problems)
}

/// Syncs the index with the corpus and logs what changed; the error, if any, is returned
/// (and logged) for the status.
fn sync(engine: &Engine, corpus: &Path) -> Result<(), String> {
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
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "re-indexing after a corpus change failed");
            Err(format!("re-indexing after a corpus change failed: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use std::time::Instant;

    const LETTER: &str = "张三代表:\n您的建议收悉。\n";

    /// Polls `done` every 50 ms until it holds or `secs` seconds have passed.
    fn wait_for(secs: u64, mut done: impl FnMut() -> bool) -> bool {
        let until = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < until {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        done()
    }

    /// A corpus folder with one letter, `a`, indexed in memory.
    fn indexed_corpus() -> (tempfile::TempDir, PathBuf, Arc<Engine>) {
        let tmp = tempfile::tempdir().unwrap();
        let corpus = tmp.path().join("corpus");
        std::fs::create_dir(&corpus).unwrap();
        std::fs::write(corpus.join("a.txt"), LETTER).unwrap();
        let engine = Arc::new(Engine::in_memory(Analyzer::shared_default()).unwrap());
        engine.sync_corpus(&corpus, &|_| {}).unwrap();
        (tmp, corpus, engine)
    }

    fn has(engine: &Engine, id: &str) -> bool {
        engine.get(id).unwrap().is_some()
    }

    #[test]
    fn watcher_survives_the_corpus_folder_being_removed_and_recreated() {
        let (_tmp, corpus, engine) = indexed_corpus();
        let started = Instant::now();
        let status = spawn(corpus.clone(), engine.clone(), |e| e).unwrap();
        assert!(status.snapshot().watching);

        std::fs::remove_dir_all(&corpus).unwrap();
        assert!(
            wait_for(5, || !status.snapshot().watching),
            "the removal was not noticed"
        );
        let error = status.snapshot().last_error.unwrap_or_default();
        assert!(error.contains("does not exist"), "{error}");
        // Nothing is synced while the folder is missing, so its letters stay searchable.
        assert!(has(&engine, "a"));

        std::fs::create_dir(&corpus).unwrap();
        std::fs::write(corpus.join("b.txt"), LETTER).unwrap();
        assert!(
            wait_for(5, || has(&engine, "b")),
            "the recreated folder was not synced"
        );
        assert!(!has(&engine, "a"));
        // The letters are visible at the commit; the status is set when the sync returns.
        assert!(
            wait_for(5, || {
                let state = status.snapshot();
                state.watching && state.last_error.is_none()
            }),
            "{:?}",
            status.snapshot()
        );
        let state = status.snapshot();
        assert!(state.syncs >= 1 && state.last_sync.is_some());

        // The new folder is watched, subfolders included: later changes are seen too.
        std::fs::create_dir(corpus.join("sub")).unwrap();
        std::fs::write(corpus.join("sub/c.txt"), LETTER).unwrap();
        assert!(
            wait_for(5, || has(&engine, "sub/c")),
            "a later file was missed"
        );
        std::fs::write(corpus.join("sub/d.txt"), LETTER).unwrap();
        assert!(
            wait_for(5, || has(&engine, "sub/d")),
            "a file in a new subfolder was missed"
        );
        println!(
            "removed, recreated and re-synced in {:?}",
            started.elapsed()
        );
    }

    /// Unix permissions do not stop root, so the test only means something for other users.
    #[cfg(unix)]
    #[test]
    fn unreadable_subfolder_is_reported_and_the_rest_is_watched() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, corpus, engine) = indexed_corpus();
        let locked = corpus.join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read_dir(&locked).is_ok() {
            println!("permissions are not enforced for this user (root?): nothing to test");
            return;
        }

        let status = spawn(corpus.clone(), engine.clone(), |e| e).unwrap();
        let state = status.snapshot();
        assert!(state.watching, "{state:?}");
        assert!(state.last_error.unwrap_or_default().contains("locked"));
        std::fs::write(corpus.join("b.txt"), LETTER).unwrap();
        assert!(wait_for(5, || has(&engine, "b")));
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Links are not followed: a link to a folder outside is neither scanned nor watched.
    #[cfg(unix)]
    #[test]
    fn linked_folders_are_not_watched() {
        let (tmp, corpus, _engine) = indexed_corpus();
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(outside.join("deep")).unwrap();
        std::os::unix::fs::symlink(&outside, corpus.join("linked")).unwrap();
        std::fs::create_dir(corpus.join("sub")).unwrap();
        let (found, problems) = folders(&corpus);
        let mut found: Vec<_> = found.into_keys().collect();
        found.sort();
        assert_eq!(found, [corpus.clone(), corpus.join("sub")]);
        assert!(problems.is_empty());
    }
}
