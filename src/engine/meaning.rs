//! Every letter's place in the archive's semantic space (`crate::semantic`): the space, one
//! vector per letter, kept current as letters are written, and on disk beside the index.
//!
//! * A letter written through a sync or the API is folded into the existing space.
//! * The space is retrained when the archive has grown by `RETRAIN_GROWTH` since it was
//!   trained, when there is none yet, and on `index --rebuild`. Only a writing process
//!   trains or saves (every sync brings the vectors in line with the index).
//! * On disk: `semantic.space` (the space) and `semantic.vectors` (id, content hash and
//!   vector of every letter, naming the space they are in), each replaced atomically after
//!   the index commit; a single `PUT` or `DELETE` appends to `semantic.vectors.log`
//!   instead, folded into the vectors file once it holds `log_limit` writes. After a crash
//!   between the index commit and these files, the next sync (every start of the server runs
//!   one) embeds the letters whose vector is missing or stale (by content hash) and drops
//!   the vectors of letters gone: the vectors follow the committed index, never the other
//!   way round.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::Engine;
use crate::error::Error;
use crate::ingest::Letter;
use crate::semantic::{self, Space, Trained};

const SPACE_FILE: &str = "semantic.space";
const VECTORS_FILE: &str = "semantic.vectors";
const VECTORS_LOG: &str = "semantic.vectors.log";
/// Retrain when the archive has this many times the letters the space was trained on.
const RETRAIN_GROWTH: f64 = 1.2;
/// Letters whose terms training holds at a time (`read_archive`): about 100 MB of terms.
const ARCHIVE_CHUNK: usize = 16_384;
/// The scan's shortlist, in multiples of the letters asked for, rescored exactly.
const RERANK: usize = 4;
/// Letters from which the nearest-vector scan runs on every core.
const PARALLEL_SCAN_FROM: usize = 20_000;
/// Fewest letters worth training a space on.
const MIN_LETTERS: usize = 20;

/// The space and the letters' vectors.
pub(super) struct Meaning {
    pub(super) space: Space,
    /// Checksum of the space's file (0 until saved): its vectors file names it.
    space_sum: u64,
    /// Checksum of the vectors file on disk, which the log extends (None: not saved yet).
    saved: Option<u64>,
    /// Writes in the log since the vectors file was written.
    logged: usize,
    /// Letter id → (content hash, row in `vectors`).
    rows: HashMap<String, (u64, usize)>,
    /// Row → id ("" for a freed row).
    ids: Vec<String>,
    /// `ids.len() × dim` unit vectors, row-major.
    vectors: Vec<f32>,
    /// The same vectors in 8 bits (`codes[i] × scales[row]`), for the scan: a quarter of
    /// the memory to read per request.
    codes: Vec<i8>,
    scales: Vec<f32>,
    /// Rows freed by deletes, reused first.
    free: Vec<usize>,
}

impl Meaning {
    fn new(space: Space) -> Self {
        Meaning {
            space,
            space_sum: 0,
            saved: None,
            logged: 0,
            rows: HashMap::new(),
            ids: Vec::new(),
            vectors: Vec::new(),
            codes: Vec::new(),
            scales: Vec::new(),
            free: Vec::new(),
        }
    }

    fn dim(&self) -> usize {
        self.space.dim()
    }

    fn set(&mut self, id: &str, hash: u64, vector: &[f32]) {
        let dim = self.dim();
        let row = match self.rows.get(id) {
            Some(&(_, row)) => row,
            None => match self.free.pop() {
                Some(free) => free,
                None => {
                    self.ids.push(String::new());
                    self.vectors.resize(self.ids.len() * dim, 0.0);
                    self.codes.resize(self.ids.len() * dim, 0);
                    self.scales.push(0.0);
                    self.ids.len() - 1
                }
            },
        };
        self.ids[row] = id.to_string();
        self.vectors[row * dim..(row + 1) * dim].copy_from_slice(vector);
        self.scales[row] = semantic::quantise(vector, &mut self.codes[row * dim..(row + 1) * dim]);
        self.rows.insert(id.to_string(), (hash, row));
    }

    fn remove(&mut self, id: &str) {
        if let Some((_, row)) = self.rows.remove(id) {
            let dim = self.dim();
            self.ids[row].clear();
            self.vectors[row * dim..(row + 1) * dim].fill(0.0);
            self.codes[row * dim..(row + 1) * dim].fill(0);
            self.scales[row] = 0.0;
            self.free.push(row);
        }
    }

    /// The vector of a letter.
    pub(super) fn vector(&self, id: &str) -> Option<&[f32]> {
        let &(_, row) = self.rows.get(id)?;
        let dim = self.dim();
        Some(&self.vectors[row * dim..(row + 1) * dim])
    }

    /// The `k` letters closest to `target` (cosine, best first), `exclude` left out.
    pub(super) fn nearest(
        &self,
        target: &[f32],
        k: usize,
        exclude: Option<&str>,
    ) -> Vec<(f32, &str)> {
        let dim = self.dim();
        // Freed rows are all zeros and score 0: only the source's own row is skipped.
        let skip = exclude
            .and_then(|id| self.rows.get(id))
            .map(|&(_, row)| row);
        // The scan scores the 8-bit codes against the target in 8 bits; the best
        // `RERANK × k` are then scored exactly.
        let mut coded = vec![0i8; dim];
        let target_scale = semantic::quantise(target, &mut coded);
        let coded = &coded;
        let shortlist = k * RERANK;
        // Each part keeps its best `shortlist` rows as it goes, not a score for every row.
        let score = |first: usize, block: &[i8]| -> Vec<(f32, usize)> {
            let mut best = Shortlist::new(shortlist);
            for (i, v) in block.chunks_exact(dim).enumerate() {
                let row = first + i;
                if Some(row) == skip {
                    continue;
                }
                let dot = semantic::dot_coded(coded, v) as f32;
                best.offer(dot * target_scale * self.scales[row], row);
            }
            best.into_vec()
        };
        // From 20,000 letters on the scan is split across the cores.
        let rows = self.ids.len();
        let threads = if rows >= PARALLEL_SCAN_FROM {
            semantic::threads()
        } else {
            1
        };
        let chunk = rows.div_ceil(threads).max(1);
        let mut scored: Vec<(f32, usize)> = if threads == 1 {
            score(0, &self.codes)
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = self
                    .codes
                    .chunks(chunk * dim)
                    .enumerate()
                    .map(|(part, block)| scope.spawn(move || score(part * chunk, block)))
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("vector scan thread panicked"))
                    .collect()
            })
        };
        let shortlist = shortlist.min(scored.len());
        if shortlist > 0 {
            scored.select_nth_unstable_by(shortlist - 1, |a, b| b.0.total_cmp(&a.0));
            scored.truncate(shortlist);
        }
        for (s, row) in &mut scored {
            *s = semantic::cosine(target, &self.vectors[*row * dim..(*row + 1) * dim]);
        }
        scored.retain(|(s, _)| *s > 0.0);
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(k);
        scored
            .into_iter()
            .map(|(s, row)| (s, self.ids[row].as_str()))
            .collect()
    }

    /// Writes every vector to `dir` and starts the log afresh.
    fn write_vectors(&mut self, dir: &Path) -> std::io::Result<()> {
        let dim = self.dim();
        let mut entries: Vec<(&str, u64, &[f32])> = self
            .rows
            .iter()
            .map(|(id, &(hash, row))| {
                (id.as_str(), hash, &self.vectors[row * dim..(row + 1) * dim])
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let sum = semantic::write_vectors(&dir.join(VECTORS_FILE), self.space_sum, dim, &entries)?;
        // An old log names the old file's checksum and would be ignored; removed for tidiness.
        let _ = std::fs::remove_file(dir.join(VECTORS_LOG));
        self.saved = Some(sum);
        self.logged = 0;
        Ok(())
    }

    /// Writes in the log before it is folded into the vectors file: an eighth of the
    /// letters (so a replay costs little beside reading the file), at least 1,024.
    fn log_limit(&self) -> usize {
        (self.rows.len() / 8).max(1024)
    }

    /// Records one write of `id` (its vector, or its removal) in the log, or rewrites the
    /// vectors file when the log is full or there is no file yet.
    fn save_write(&mut self, dir: &Path, id: &str) -> std::io::Result<()> {
        match self.saved {
            Some(base) if self.logged < self.log_limit() => {
                let hash = self.rows.get(id).map_or(0, |&(hash, _)| hash);
                let path = dir.join(VECTORS_LOG);
                semantic::append_vector_log(&path, base, id, hash, self.vector(id))?;
                self.logged += 1;
                Ok(())
            }
            _ => self.write_vectors(dir),
        }
    }

    /// Reads the vectors written for the space, then the writes logged since; empty when
    /// missing, damaged or of another space (the letters are then embedded again).
    fn read_vectors(&mut self, dir: &Path) {
        let path = dir.join(VECTORS_FILE);
        if !path.exists() {
            return;
        }
        let Some((entries, sum)) = semantic::read_vectors(&path, self.space_sum, self.dim()) else {
            tracing::warn!(path = %path.display(), "semantic vectors unreadable; re-embedding");
            return;
        };
        for (id, hash, vector) in entries {
            self.set(&id, hash, &vector);
        }
        self.saved = Some(sum);
        for (id, hash, vector) in semantic::read_vector_log(&dir.join(VECTORS_LOG), sum, self.dim())
        {
            match vector {
                Some(v) => self.set(&id, hash, &v),
                None => self.remove(&id),
            }
            self.logged += 1;
        }
    }
}

impl Engine {
    /// Runs `f` on the semantic index, when there is one.
    pub(super) fn with_meaning<T>(&self, f: impl FnOnce(&Meaning) -> T) -> Option<T> {
        let guard = self.meaning.read();
        guard.as_ref().map(f)
    }

    /// Starts loading the space and vectors saved beside the index (if any) on a thread of
    /// its own: at 100k letters that reads 100 MB and takes most of a second, and searches
    /// need none of it. Whatever uses the space waits until it is loaded (`MeaningSlot`).
    /// Only writes bring it in line with the index (`refresh_meaning`, run by every sync): a
    /// process that only reads never trains or writes the files. Until then a letter without
    /// a vector is embedded when it is the source of a request, and scores 0 as a hit.
    pub(super) fn load_meaning(&self) {
        let Some(dir) = self.dir.clone() else {
            self.meaning.loaded();
            return;
        };
        let slot = self.meaning.clone();
        let started = std::thread::Builder::new()
            .name("load-meaning".into())
            .spawn(move || {
                // Marks the slot loaded however this ends, a panic included.
                let _done = Loaded(&slot);
                if let Some((space, sum)) = semantic::read_space(&dir.join(SPACE_FILE)) {
                    let mut meaning = Meaning::new(space);
                    meaning.space_sum = sum;
                    meaning.read_vectors(&dir);
                    *slot.lock.write().unwrap_or_else(|p| p.into_inner()) = Some(meaning);
                }
            });
        if let Err(e) = started {
            tracing::warn!(error = %e, "could not start loading the semantic space");
            self.meaning.loaded();
        }
    }

    /// Brings the vectors in line with the committed index: embeds new and changed letters,
    /// drops those gone, retrains the space when there is none or the archive has grown
    /// enough (or `retrain`). Saves what changed.
    pub(super) fn refresh_meaning(&self, retrain: bool) -> Result<(), Error> {
        let mut guard = self.meaning.write();
        let searcher = self.reader.searcher();
        let letters = searcher.num_docs() as usize;
        if retrain || self.due_for_training(guard.as_ref(), letters) {
            self.meaning_attempt.store(letters, Ordering::SeqCst);
            let started = std::time::Instant::now();
            let ids = self.live_letters(&searcher)?;
            let trained = Space::train_from(|archive, each| {
                self.read_archive(&searcher, ARCHIVE_CHUNK, archive, each)
            })?;
            match trained {
                Some(Trained { space, vectors }) => {
                    let dim = space.dim();
                    let mut meaning = Meaning::new(space);
                    for ((id, hash), v) in ids.iter().zip(vectors.chunks_exact(dim)) {
                        meaning.set(id, *hash, v);
                    }
                    tracing::info!(
                        letters = ids.len(),
                        terms = meaning.space.term_count(),
                        seconds = started.elapsed().as_secs_f64(),
                        "semantic space trained"
                    );
                    self.save_meaning(&mut meaning, true);
                    *guard = Some(meaning);
                    super::release_free_heap();
                }
                None => {
                    // Too few letters or words for a space: similar letters are lexical only.
                    tracing::info!(
                        letters = ids.len(),
                        "no semantic space: too few letters or words"
                    );
                    *guard = None;
                }
            }
            return Ok(());
        }
        let Some(meaning) = guard.as_mut() else {
            return Ok(());
        };
        // Training reads ids and hashes with the terms (`read_archive`): only an update
        // needs them on their own.
        let existing = self.existing()?;
        let mut changed = false;
        let gone: Vec<String> = meaning
            .rows
            .keys()
            .filter(|id| !existing.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            meaning.remove(&id);
            changed = true;
        }
        for (id, (hash, _)) in &existing {
            if meaning.rows.get(id).is_some_and(|(h, _)| h == hash) {
                continue;
            }
            if let Some(address) = self.address_of(&searcher, id)? {
                let letter = self.letter_at(&searcher, address)?;
                let v = meaning.space.embed(&self.letter_bag(&letter));
                meaning.set(id, *hash, &v);
                changed = true;
            }
        }
        if changed {
            self.save_meaning(meaning, false);
        }
        Ok(())
    }

    /// Trains the semantic space anew on every letter of the index and saves it (what a
    /// rebuild does; also for measuring).
    pub fn retrain_semantic_space(&self) -> Result<(), Error> {
        self.refresh_meaning(true)
    }

    /// Whether the archive (of `letters`) should get a new space: none yet, or grown by
    /// `RETRAIN_GROWTH` since the last training (or failed attempt).
    fn due_for_training(&self, meaning: Option<&Meaning>, letters: usize) -> bool {
        let last = meaning
            .map_or(0, |m| m.space.trained_on)
            .max(self.meaning_attempt.load(Ordering::SeqCst));
        letters >= MIN_LETTERS && letters as f64 >= RETRAIN_GROWTH * last as f64
    }

    /// Folds one written letter into the space (or drops it, for a delete) and saves; with
    /// no space yet, or an archive grown enough, trains one instead.
    pub(super) fn meaning_write(
        &self,
        id: &str,
        written: Option<(&Letter, u64)>,
    ) -> Result<(), Error> {
        let mut guard = self.meaning.write();
        let letters = self.reader.searcher().num_docs() as usize;
        if self.due_for_training(guard.as_ref(), letters) {
            drop(guard);
            return self.refresh_meaning(false);
        }
        let Some(meaning) = guard.as_mut() else {
            return Ok(());
        };
        match written {
            Some((letter, hash)) => {
                let v = meaning.space.embed(&self.letter_bag(letter));
                meaning.set(id, hash, &v);
            }
            None => meaning.remove(id),
        }
        if let Some(dir) = &self.dir
            && let Err(e) = meaning.save_write(dir, id)
        {
            tracing::warn!(error = %e, "could not save the semantic vectors");
        }
        Ok(())
    }

    /// Forgets the space (for `index --rebuild`), on disk too.
    pub(super) fn clear_meaning(&self) {
        *self.meaning.write() = None;
        self.meaning_attempt.store(0, Ordering::SeqCst);
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_file(dir.join(SPACE_FILE));
            let _ = std::fs::remove_file(dir.join(VECTORS_FILE));
            let _ = std::fs::remove_file(dir.join(VECTORS_LOG));
        }
    }

    /// Writes the vectors (and the space when `with_space`) beside the index. A failed
    /// write is logged, not fatal: the next open re-embeds what is missing.
    fn save_meaning(&self, meaning: &mut Meaning, with_space: bool) {
        let Some(dir) = &self.dir else {
            return;
        };
        if with_space {
            match semantic::write_space(&meaning.space, &dir.join(SPACE_FILE)) {
                Ok(sum) => meaning.space_sum = sum,
                Err(e) => {
                    tracing::warn!(error = %e, "could not save the semantic space");
                    return;
                }
            }
        }
        if let Err(e) = meaning.write_vectors(dir) {
            tracing::warn!(error = %e, "could not save the semantic vectors");
        }
    }
}

/// The semantic space and vectors of an engine, loaded in the background when the engine
/// opens: reading or writing them waits until the load has finished, so no request sees an
/// engine without the space it has on disk.
#[derive(Default)]
pub(super) struct MeaningSlot {
    lock: RwLock<Option<Meaning>>,
    done: Mutex<bool>,
    ready: Condvar,
}

impl MeaningSlot {
    fn wait(&self) {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            done = self.ready.wait(done).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Marks the load finished (also when there was nothing to load).
    pub(super) fn loaded(&self) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.ready.notify_all();
    }

    fn read(&self) -> RwLockReadGuard<'_, Option<Meaning>> {
        self.wait();
        self.lock.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Option<Meaning>> {
        self.wait();
        self.lock.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Marks a slot loaded when dropped.
struct Loaded<'a>(&'a MeaningSlot);

impl Drop for Loaded<'_> {
    fn drop(&mut self) {
        self.0.loaded();
    }
}

/// The best `keep` of a stream of positive scores with their rows, in no order: offers
/// gather up to twice `keep`, then the lower half is dropped and its best score becomes the
/// bar a later offer must pass. A similar request offers every letter (100k at 100k letters)
/// and keeps 80.
struct Shortlist {
    keep: usize,
    bar: f32,
    items: Vec<(f32, usize)>,
}

impl Shortlist {
    fn new(keep: usize) -> Self {
        Shortlist {
            keep,
            bar: 0.0,
            items: Vec::with_capacity(2 * keep),
        }
    }

    fn offer(&mut self, score: f32, row: usize) {
        if score <= self.bar || self.keep == 0 {
            return;
        }
        self.items.push((score, row));
        if self.items.len() == 2 * self.keep {
            self.prune();
        }
    }

    /// Keeps the best `keep` (ties by lower row, so the result does not depend on the order
    /// of the offers) and raises the bar to the lowest kept.
    fn prune(&mut self) {
        let order = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if self.items.len() > self.keep {
            self.items.select_nth_unstable_by(self.keep - 1, order);
            self.items.truncate(self.keep);
        }
        if self.items.len() == self.keep {
            self.bar = self.items.iter().map(|x| x.0).fold(f32::INFINITY, f32::min);
        }
    }

    fn into_vec(mut self) -> Vec<(f32, usize)> {
        self.prune();
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use crate::semantic::{Archive, Bag};

    /// The terms training reads from the index (postings of the word fields, compounds'
    /// parts taken back) are those a letter folded in later gets from `semantic_bag`.
    #[test]
    fn the_space_is_read_only_once_loaded() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;
        let slot = Arc::new(MeaningSlot::default());
        let stored = Arc::new(AtomicBool::new(false));
        let (loader, flag) = (slot.clone(), stored.clone());
        let load = std::thread::spawn(move || {
            let _done = Loaded(&loader);
            std::thread::sleep(std::time::Duration::from_millis(50));
            flag.store(true, Ordering::SeqCst);
        });
        assert!(slot.read().is_none());
        assert!(
            stored.load(Ordering::SeqCst),
            "read before the load finished"
        );
        load.join().unwrap();
        // A load that panics still lets readers through.
        let slot = Arc::new(MeaningSlot::default());
        let loader = slot.clone();
        let _ = std::thread::spawn(move || {
            let _done = Loaded(&loader);
            panic!("unreadable space");
        })
        .join();
        assert!(slot.write().is_none());
    }

    #[test]
    fn a_shortlist_keeps_the_best_scores_of_any_stream() {
        for keep in [1, 3, 80] {
            let scores: Vec<f32> = (0..1000)
                .map(|i| ((i * 7919) % 997) as f32 - 400.0)
                .collect();
            let mut list = Shortlist::new(keep);
            for (row, s) in scores.iter().enumerate() {
                list.offer(*s, row);
            }
            let mut kept: Vec<f32> = list.into_vec().into_iter().map(|x| x.0).collect();
            kept.sort_by(|a, b| b.total_cmp(a));
            let mut all: Vec<f32> = scores.into_iter().filter(|s| *s > 0.0).collect();
            all.sort_by(|a, b| b.total_cmp(a));
            all.truncate(keep);
            assert_eq!(kept, all, "keep {keep}");
        }
        assert!(Shortlist::new(0).into_vec().is_empty());
    }

    #[test]
    fn the_indexed_topic_words_are_the_letters_bags() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), Analyzer::shared_default()).unwrap();
        let texts = [
            "关于校外培训机构监管的建议的答复\n尊敬的周常委：您提出的关于加强校外培训机构监管的建议收悉。区教育局联合市场监管部门开展专项检查，规范培训收费。",
            "关于新质生产力发展的提案的答复\n福田区发展和改革局答复如下：推动新质生产力加快发展，支持人工智能、低空经济等产业，培育新质生产力。",
            "关于停车难问题的建议的答复\n已增设泊位500个，停车难问题得到缓解。",
        ];
        let mut letters = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let letter = crate::ingest::letter_from_text(&format!("l{i}"), text, None).unwrap();
            engine.put(&letter).unwrap();
            letters.push(letter);
        }
        let searcher = engine.reader.searcher();
        let ids = engine.live_letters(&searcher).unwrap();
        assert_eq!(ids.len(), 3);
        let mut bags = Vec::new();
        let mut archive = Archive::default();
        engine
            .read_archive(&searcher, 2, &mut archive, &mut |chunk| {
                assert!(chunk.len() <= 2);
                bags.extend((0..chunk.len()).map(|i| chunk.bag(i)))
            })
            .unwrap();
        assert_eq!(bags.len(), 3);
        for ((id, _), bag) in ids.iter().zip(&bags) {
            let letter = letters.iter().find(|l| &l.id == id).unwrap();
            let expected = engine.letter_bag(letter);
            assert!(!expected.is_empty());
            assert_eq!(bag, &expected, "{id}");
        }
        // A compound counts whole, not with its parts.
        let bag = engine.semantic_bag(&[], "培育新质生产力，新质生产力");
        assert_eq!(bag.get("新质生产力"), Some(&2.0), "{bag:?}");
        assert!(
            !bag.contains_key("生产力") && !bag.contains_key("生产"),
            "{bag:?}"
        );
    }

    #[test]
    fn vectors_round_trip_and_damage_reads_as_none() {
        let bags: Vec<Bag> = (0..30)
            .map(|i| {
                [["水", "管网", "村民"], ["学校", "食堂", "学生"]][i % 2]
                    .iter()
                    .map(|w| (w.to_string(), 1.0 + (i % 3) as f32))
                    .collect()
            })
            .collect();
        let space = Space::train(Archive::from(&bags[..])).unwrap().space;
        let mut m = Meaning::new(space.clone());
        m.set("a", 1, &space.embed(&bags[0]));
        m.set("b", 2, &space.embed(&bags[1]));
        m.set("c", 3, &space.embed(&bags[2]));
        m.remove("b");
        m.space_sum = 7;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VECTORS_FILE);
        m.write_vectors(dir.path()).unwrap();
        let reopen = || {
            let mut back = Meaning::new(space.clone());
            back.space_sum = 7;
            back.read_vectors(dir.path());
            back
        };
        let back = reopen();
        assert_eq!(back.rows.len(), 2);
        assert_eq!(back.vector("a"), m.vector("a"));
        assert_eq!(back.vector("b"), None);
        // The nearest letter to a's vector is c (same topic), then nothing else.
        let near = back.nearest(m.vector("a").unwrap(), 5, Some("a"));
        assert_eq!(
            near.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            vec!["c"]
        );

        // Single writes go to the log and are read back over the file.
        let whole = std::fs::read(&path).unwrap();
        m.set("d", 4, &space.embed(&bags[3]));
        m.save_write(dir.path(), "d").unwrap();
        m.remove("a");
        m.save_write(dir.path(), "a").unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            whole,
            "the file is not rewritten"
        );
        let back = reopen();
        assert_eq!((back.rows.len(), back.logged), (2, 2));
        assert_eq!(back.vector("d"), m.vector("d"));
        assert_eq!(back.vector("a"), None);
        // A torn last record (a crash mid-append) reads as the end of the log.
        let log = dir.path().join(VECTORS_LOG);
        let bytes = std::fs::read(&log).unwrap();
        std::fs::write(&log, &bytes[..bytes.len() - 3]).unwrap();
        let back = reopen();
        assert_eq!(back.vector("d"), m.vector("d"));
        assert!(
            back.vector("a").is_some(),
            "the torn removal is lost, not misread"
        );
        std::fs::write(&log, &bytes).unwrap();
        // Rewriting the file folds the log in; an old log then no longer applies.
        m.write_vectors(dir.path()).unwrap();
        assert!(!log.exists());
        std::fs::write(&log, &bytes).unwrap();
        let back = reopen();
        assert_eq!((back.rows.len(), back.logged), (2, 0));
        assert_eq!(back.vector("a"), None);
        // A full log is folded into the file on the next write.
        m.logged = m.log_limit();
        m.set("e", 5, &space.embed(&bags[4]));
        m.save_write(dir.path(), "e").unwrap();
        assert_eq!(m.logged, 0);
        assert_eq!(reopen().vector("e"), m.vector("e"));

        // Vectors of another space (a crash between writing a new space and its vectors)
        // are not read.
        let mut other = Meaning::new(space.clone());
        other.space_sum = 8;
        other.read_vectors(dir.path());
        assert!(other.rows.is_empty());
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 9;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(reopen().rows.is_empty());
    }
}
