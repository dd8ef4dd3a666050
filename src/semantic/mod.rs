//! A semantic space trained on the archive itself: latent semantic analysis (LSA). Letters
//! become sparse tf-idf vectors over their terms; a randomized truncated SVD finds the
//! `dim` directions that explain most of how terms co-occur across letters; a letter's
//! vector is its tf-idf vector projected onto them. Two letters about the same problem in
//! other words (自来水 / 饮水 / 供水管网) end up close, because those words keep the same
//! company across the archive.
//!
//! Offline, nothing downloaded: the space is computed from the letters at index time with
//! faer (QR, SVD) and a row-wise sparse × dense product. A new letter is folded into the
//! existing space (`Space::embed`) without retraining.
//!
//! The module knows nothing of letters or tokenizers: callers give each letter's terms with
//! their counts (`Bag` for one letter, `Archive` for all those a space is trained on).

mod store;

use std::collections::HashMap;

use faer::{Mat, MatMut, MatRef};

pub use store::{
    LogEntry, append_vector_log, read_space, read_vector_log, read_vectors, write_space,
    write_vectors,
};

/// A letter's terms with their (weighted) counts.
pub type Bag = HashMap<String, f32>;

/// Dimensions of the space.
pub const DIM: usize = 160;
/// Extra random directions for the randomized SVD (accuracy of the leading `DIM`).
const OVERSAMPLE: usize = 16;
/// Power iterations of the randomized SVD (sharpen the spectrum for text matrices). One
/// ranked the judged similar pairs as well as two or three (within ±0.01 MRR, see
/// `eval/SIMILAR.md`) at a third of the products of three.
const POWER_ITERATIONS: usize = 1;
/// A letter's terms kept, heaviest (tf-idf) first: the lightest add little to its
/// direction and most of the cost of training.
const MAX_LETTER_TERMS: usize = 256;
/// Terms kept in the space, most frequent first (rarer terms cannot relate letters).
const MAX_TERMS: usize = 60_000;

/// The trained space: each known term's idf and its coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Space {
    pub(crate) terms: HashMap<String, u32>,
    pub(crate) idf: Vec<f32>,
    /// `terms.len() × dim`, row-major: term `t`'s coordinates are `basis[t*dim..(t+1)*dim]`.
    pub(crate) basis: Vec<f32>,
    pub(crate) dim: usize,
    /// Letters the space was trained on (to decide when to retrain).
    pub trained_on: usize,
}

/// The letters a space is trained on: each letter's terms with their counts, the terms
/// interned once (training touches every term of every letter several times; a string
/// hash per touch cost more than the SVD).
#[derive(Debug, Default, Clone)]
pub struct Archive {
    words: Vec<String>,
    ids: HashMap<String, u32, foldhash::fast::RandomState>,
    /// Per letter, (term, count); a term may come more than once (the counts add up).
    letters: Vec<Vec<(u32, f32)>>,
}

impl Archive {
    /// Starts the next chunk of `letters` letters with no terms yet: the letters held so far
    /// are dropped, the terms' numbers are kept.
    pub fn next_chunk(&mut self, letters: usize) {
        self.letters.clear();
        self.letters.resize(letters, Vec::new());
    }

    /// The archive's number for `word`.
    pub fn term(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(word.to_string());
        self.ids.insert(word.to_string(), id);
        id
    }

    /// Adds `count` of `term` to the `letter`-th letter.
    pub fn add(&mut self, letter: usize, term: u32, count: f32) {
        self.letters[letter].push((term, count));
    }

    /// Adds a letter with its bag.
    pub fn push(&mut self, bag: &Bag) {
        self.letters.push(Vec::new());
        for (word, &count) in bag {
            let t = self.term(word);
            self.add(self.letters.len() - 1, t, count);
        }
    }

    /// Lets `f` change each letter's counts in place (a term whose count drops to zero or
    /// below leaves the letter); `f` sees the letter's terms once each, counts summed.
    pub fn adjust(&mut self, f: impl Fn(&mut [(&str, f32)]) + Sync) {
        let threads = threads();
        let chunk = self.letters.len().div_ceil(threads).max(1);
        let (words, f) = (&self.words, &f);
        std::thread::scope(|scope| {
            for part in self.letters.chunks_mut(chunk) {
                scope.spawn(move || {
                    let mut view: Vec<(&str, f32)> = Vec::new();
                    for letter in part {
                        merge_counts(letter);
                        view.clear();
                        view.extend(letter.iter().map(|&(t, c)| (words[t as usize].as_str(), c)));
                        f(&mut view);
                        for (entry, (_, c)) in letter.iter_mut().zip(&view) {
                            entry.1 = *c;
                        }
                        letter.retain(|(_, c)| *c > 0.0);
                    }
                });
            }
        });
    }

    /// The `letter`-th letter's terms with their counts.
    pub fn bag(&self, letter: usize) -> Bag {
        let mut bag = Bag::new();
        for &(t, count) in &self.letters[letter] {
            *bag.entry(self.words[t as usize].clone()).or_default() += count;
        }
        bag
    }

    /// Letters in the archive.
    pub fn len(&self) -> usize {
        self.letters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.letters.is_empty()
    }
}

impl From<&[Bag]> for Archive {
    fn from(bags: &[Bag]) -> Self {
        let mut archive = Archive::default();
        for bag in bags {
            archive.push(bag);
        }
        archive
    }
}

/// Threads for a pass split across the cores (at most 4).
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 4)
}

/// Sorts a letter's (term, count) by term and sums the counts of each term.
fn merge_counts(letter: &mut Vec<(u32, f32)>) {
    letter.sort_unstable_by_key(|(t, _)| *t);
    letter.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
}

/// A trained space and the vectors of the letters it was trained on.
pub struct Trained {
    pub space: Space,
    /// `letters × dim` unit vectors, row-major, in the archive's order.
    pub vectors: Vec<f32>,
}

impl Space {
    /// Trains the space on the archive's letters and embeds them. Terms in fewer than two
    /// letters or in more than half of them are left out (they cannot relate letters, or
    /// relate all of them). Returns None when the archive is too small to train on.
    pub fn train(archive: Archive) -> Option<Trained> {
        Self::train_from(|chunk, each| {
            *chunk = archive.clone();
            each(chunk);
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {})
    }

    /// As `train`, on letters given a chunk at a time, so that only one chunk's terms are
    /// held (at 100k letters all their terms took more memory than the rest of indexing).
    /// `read(archive, each)` fills `archive` with one chunk after another
    /// (`Archive::next_chunk`, then `term`, `add`, `adjust`) and calls `each(archive)` after
    /// every chunk. It is called twice (to count the letters each term is in, then to weigh
    /// the terms) and must give the same letters in the same order both times; training
    /// gives up (None) if the second reading has a different number of letters.
    pub fn train_from<E>(
        read: impl FnMut(&mut Archive, &mut dyn FnMut(&mut Archive)) -> Result<(), E>,
    ) -> Result<Option<Trained>, E> {
        Self::train_with_dim(read, DIM)
    }

    fn train_with_dim<E>(
        mut read: impl FnMut(&mut Archive, &mut dyn FnMut(&mut Archive)) -> Result<(), E>,
        max_dim: usize,
    ) -> Result<Option<Trained>, E> {
        let mut archive = Archive::default();
        // First reading: in how many letters each term is.
        let mut df: Vec<u32> = Vec::new();
        let mut n = 0usize;
        read(&mut archive, &mut |chunk| {
            df.resize(chunk.words.len(), 0);
            for letter in &mut chunk.letters {
                merge_counts(letter);
                for &(t, _) in letter.iter() {
                    df[t as usize] += 1;
                }
            }
            n += chunk.letters.len();
        })?;
        if n < 20 {
            return Ok(None);
        }
        let mut kept: Vec<(u32, u32)> = df
            .iter()
            .enumerate()
            .filter(|&(_, &d)| d >= 2 && (d as usize) * 2 <= n)
            .map(|(t, &d)| (t as u32, d))
            .collect();
        kept.sort_unstable_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| archive.words[a.0 as usize].cmp(&archive.words[b.0 as usize]))
        });
        kept.truncate(MAX_TERMS);
        // Archive term → space term.
        let mut place = vec![u32::MAX; archive.words.len()];
        for (i, &(t, _)) in kept.iter().enumerate() {
            place[t as usize] = i as u32;
        }
        let terms: HashMap<String, u32> = kept
            .iter()
            .enumerate()
            .map(|(i, &(t, _))| (archive.words[t as usize].clone(), i as u32))
            .collect();
        let idf: Vec<f32> = kept
            .iter()
            .map(|&(_, d)| (n as f32 / d as f32).ln())
            .collect();
        let m = terms.len();
        let dim = max_dim.min(m.saturating_sub(1)).min(n - 1);
        if dim < 2 {
            return Ok(None);
        }
        let mut space = Space {
            terms,
            idf,
            basis: Vec::new(),
            dim,
            trained_on: n,
        };
        // Second reading: letters × terms, rows normalised, the matrix whose right singular
        // vectors span the space.
        let mut a = Compressed::new(m, n, MAX_LETTER_TERMS);
        read(&mut archive, &mut |chunk| {
            for letter in &mut chunk.letters {
                merge_counts(letter);
                a.push_row(space.weights(letter.iter().filter_map(|&(t, c)| {
                    let p = *place.get(t as usize)?;
                    (p != u32::MAX).then_some((p, c))
                })));
            }
        })?;
        drop(archive);
        if a.nrows() != n {
            return Ok(None);
        }
        let Some(right) = randomized_right_vectors(&a, dim) else {
            return Ok(None);
        };
        space.basis = from_mat(&right);
        // Each letter's vector is its row of `a` projected on the basis: what `embed` gives.
        let mut vectors = a.times(&space.basis, dim);
        for v in vectors.chunks_exact_mut(dim) {
            normalise(v);
        }
        Ok(Some(Trained { space, vectors }))
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of terms the space knows.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// A letter's unit vector in the space (all zeros when it has no known term): its tf-idf
    /// vector (sublinear tf) projected onto the space. Works for letters the space was not
    /// trained on (fold-in).
    pub fn embed(&self, bag: &Bag) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        for (t, w) in self.bag_weights(bag) {
            let row = &self.basis[t as usize * self.dim..(t as usize + 1) * self.dim];
            for (x, b) in v.iter_mut().zip(row) {
                *x += w * b;
            }
        }
        normalise(&mut v);
        v
    }

    /// The terms of `bag` that lie closest to `target` in the space, best first: what a
    /// letter holds of the topic `target` stands for ("similar topic: 供水, 管网").
    pub fn nearest_terms(&self, bag: &Bag, target: &[f32], count: usize) -> Vec<String> {
        let mut scored: Vec<(f32, &str)> = bag
            .iter()
            .filter(|(_, c)| **c > 0.0)
            .filter_map(|(term, &c)| {
                let &t = self.terms.get(term)?;
                let row = &self.basis[t as usize * self.dim..(t as usize + 1) * self.dim];
                Some((self.tf_idf(t, c) * cosine(target, row), term.as_str()))
            })
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(count)
            .map(|(_, t)| t.to_string())
            .collect()
    }

    /// A term's weight for `count` occurrences: (1 + ln tf) × idf.
    fn tf_idf(&self, t: u32, count: f32) -> f32 {
        (1.0 + count.ln().max(0.0)) * self.idf[t as usize]
    }

    /// The bag's known terms with tf-idf weights.
    fn bag_weights(&self, bag: &Bag) -> Vec<(u32, f32)> {
        self.weights(
            bag.iter()
                .filter_map(|(term, &count)| Some((*self.terms.get(term)?, count))),
        )
    }

    /// Known terms with their counts → tf-idf weights (`tf_idf`), the heaviest
    /// `MAX_LETTER_TERMS`, normalised to unit length, sorted by term.
    fn weights(&self, counts: impl Iterator<Item = (u32, f32)>) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = counts
            .filter(|(_, c)| *c > 0.0)
            .map(|(t, count)| (t, self.tf_idf(t, count)))
            .collect();
        if out.len() > MAX_LETTER_TERMS {
            out.select_nth_unstable_by(MAX_LETTER_TERMS - 1, |a, b| {
                b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
            });
            out.truncate(MAX_LETTER_TERMS);
        }
        let norm = out.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut out {
                *w /= norm;
            }
        }
        out.sort_unstable_by_key(|(t, _)| *t);
        out
    }
}

/// Cosine of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut sums = [0f32; LANES];
    let body = a.len().min(b.len()) / LANES * LANES;
    // Eight running sums: a float sum in one order cannot be vectorised.
    for (x, y) in a[..body]
        .chunks_exact(LANES)
        .zip(b[..body].chunks_exact(LANES))
    {
        for i in 0..LANES {
            sums[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a[body..].iter().zip(&b[body..]).map(|(x, y)| x * y).sum();
    sums.iter().sum::<f32>() + tail
}

/// Writes `v` as 8-bit codes into `codes` and returns the scale: `v[i] ≈ codes[i] × scale`.
pub fn quantise(v: &[f32], codes: &mut [i8]) -> f32 {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        codes.fill(0);
        return 0.0;
    }
    let scale = max / 127.0;
    for (c, x) in codes.iter_mut().zip(v) {
        *c = (x / scale).round().clamp(-127.0, 127.0) as i8;
    }
    scale
}

/// The dot product of two 8-bit code vectors (multiply by both scales for the cosine).
/// Integer products in 16 lanes of i32: the compiler turns this into widening multiply-adds,
/// where a float product would first convert every code (a similar request scans 16M codes
/// at 100k letters).
pub fn dot_coded(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 16;
    let mut sums = [0i32; LANES];
    let body = a.len().min(b.len()) / LANES * LANES;
    for (x, y) in a[..body]
        .chunks_exact(LANES)
        .zip(b[..body].chunks_exact(LANES))
    {
        for i in 0..LANES {
            sums[i] += i32::from(x[i] as i16 * y[i] as i16);
        }
    }
    let tail: i32 = a[body..]
        .iter()
        .zip(&b[body..])
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    sums.iter().sum::<i32>() + tail
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

/// A sparse matrix by rows (compressed sparse rows): row `r`'s entries are
/// `cols[ptr[r]..ptr[r + 1]]` with values `vals[..]`.
struct Compressed {
    ptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f32>,
    ncols: usize,
}

impl Compressed {
    /// An empty matrix of `ncols` columns with room for `rows` rows of at most `per_row`
    /// entries. The room is only reserved: pages never written are never resident, and the
    /// matrix never moves while it grows.
    fn new(ncols: usize, rows: usize, per_row: usize) -> Self {
        let mut ptr = Vec::with_capacity(rows + 1);
        ptr.push(0);
        Compressed {
            ptr,
            cols: Vec::with_capacity(rows * per_row),
            vals: Vec::with_capacity(rows * per_row),
            ncols,
        }
    }

    fn push_row(&mut self, row: Vec<(u32, f32)>) {
        for (c, v) in row {
            self.cols.push(c);
            self.vals.push(v);
        }
        self.ptr.push(self.cols.len());
    }

    fn nrows(&self) -> usize {
        self.ptr.len() - 1
    }

    /// `selfᵀ × dense`, `dense` row-major with `width` columns (one row per row of `self`);
    /// the result row-major, one row per column of `self`. Each thread adds its share of
    /// the rows into a result of its own, and the results are summed: a transposed copy of
    /// the matrix cost 200 MB at 100k letters, a result per thread costs `ncols × width`
    /// floats (at most 42 MB).
    fn transposed_times(&self, dense: &[f32], width: usize) -> Vec<f32> {
        let n = self.nrows();
        let threads = threads();
        let nnz = self.cols.len();
        let bounds: Vec<usize> = (0..=threads)
            .map(|k| self.ptr.partition_point(|&p| p < nnz * k / threads).min(n))
            .collect();
        let parts: Vec<Vec<f32>> = std::thread::scope(|scope| {
            let running: Vec<_> = bounds
                .windows(2)
                .map(|rows| {
                    let (start, end) = (rows[0], rows[1].max(rows[0]));
                    scope.spawn(move || {
                        let mut out = vec![0f32; self.ncols * width];
                        for r in start..end {
                            let x = &dense[r * width..(r + 1) * width];
                            for p in self.ptr[r]..self.ptr[r + 1] {
                                let c = self.cols[p] as usize;
                                let w = self.vals[p];
                                for (o, d) in out[c * width..(c + 1) * width].iter_mut().zip(x) {
                                    *o += w * d;
                                }
                            }
                        }
                        out
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|t| t.join().expect("product thread panicked"))
                .collect()
        });
        let mut parts = parts.into_iter();
        let mut sum = parts
            .next()
            .unwrap_or_else(|| vec![0f32; self.ncols * width]);
        for part in parts {
            for (s, x) in sum.iter_mut().zip(&part) {
                *s += x;
            }
        }
        sum
    }

    /// `self × dense`, `dense` row-major with `width` columns; the result row-major. Each
    /// nonzero adds a scaled contiguous row (vectorisable); the rows are split across
    /// threads into runs of equal nonzeros (letters hold very different numbers of terms:
    /// equal runs of rows can leave one thread most of the work).
    /// (faer's sparse × dense product walks the result column by column, scattering each
    /// write; this order was about 20× faster on letter matrices.)
    fn times(&self, dense: &[f32], width: usize) -> Vec<f32> {
        let n = self.nrows();
        let mut out = vec![0f32; n * width];
        let threads = threads();
        let nnz = self.cols.len();
        let mut bounds: Vec<usize> = (1..threads)
            .map(|k| self.ptr.partition_point(|&p| p < nnz * k / threads).min(n))
            .collect();
        bounds.push(n);
        std::thread::scope(|scope| {
            let mut rest = out.as_mut_slice();
            let mut first = 0;
            for &end in &bounds {
                let end = end.max(first);
                let (block, tail) = rest.split_at_mut((end - first) * width);
                rest = tail;
                let start = first;
                first = end;
                scope.spawn(move || {
                    for (i, row) in block.chunks_exact_mut(width).enumerate() {
                        let r = start + i;
                        for p in self.ptr[r]..self.ptr[r + 1] {
                            let k = self.cols[p] as usize;
                            let w = self.vals[p];
                            for (x, d) in row.iter_mut().zip(&dense[k * width..(k + 1) * width]) {
                                *x += w * d;
                            }
                        }
                    }
                });
            }
        });
        out
    }
}

/// A faer matrix into row-major values.
fn from_mat(m: &Mat<f32>) -> Vec<f32> {
    let (rows, width) = (m.nrows(), m.ncols());
    let mut v = vec![0f32; rows * width];
    MatMut::from_row_major_slice_mut(&mut v, rows, width).copy_from(m);
    v
}

/// Replaces the columns of `v` (row-major, `rows × width`) by an orthonormal basis of the
/// space they span (faer's QR), in place: at 100k letters each copy of the letters' side
/// is 70 MB, and training's peak memory is here.
fn orthonormalise(v: &mut [f32], rows: usize, width: usize) {
    let q = MatRef::from_row_major_slice(v, rows, width)
        .qr()
        .compute_thin_Q();
    MatMut::from_row_major_slice_mut(v, rows, width).copy_from(&q);
}

/// The leading `dim` right singular vectors (terms × dim) of `a` (letters × terms), by the
/// randomized range finder with power iterations (Halko, Martinsson and Tropp 2011): a
/// random block of directions is multiplied through `a` and `aᵀ` and orthonormalised (faer's
/// QR), which captures the dominant subspace; the small projected matrix is then decomposed
/// exactly (faer's thin SVD of its Gram matrix).
fn randomized_right_vectors(a: &Compressed, dim: usize) -> Option<Mat<f32>> {
    let (n, m) = (a.nrows(), a.ncols);
    let width = (dim + OVERSAMPLE).min(n).min(m);
    // A fixed pseudo-random ±1 block: the same archive gives the same space.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let omega: Vec<f32> = (0..m * width)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state & 1 == 0 { 1.0 } else { -1.0 }
        })
        .collect();
    let mut q = a.times(&omega, width); // letters × width
    drop(omega);
    orthonormalise(&mut q, n, width);
    // Each power step multiplies by a aᵀ and orthonormalises the letters' side only: one
    // step squares the spread of the singular values once, well within f32, and a QR of
    // the terms' side cost as much as a product.
    for _ in 0..POWER_ITERATIONS {
        let z = a.transposed_times(&q, width); // terms × width
        drop(std::mem::take(&mut q));
        q = a.times(&z, width);
        orthonormalise(&mut q, n, width);
    }
    // aᵀq (terms × width) = (qᵀa)ᵀ: its left singular vectors are a's right ones. They are
    // those of the small Gram matrix (aᵀq)ᵀ(aᵀq) carried back through aᵀq (each then of
    // length σ): an SVD of a width × width matrix, not of a terms × width one.
    let bt = a.transposed_times(&q, width);
    drop(q);
    let bt = MatRef::from_row_major_slice(&bt, m, width);
    let gram = bt.transpose() * bt;
    let svd = gram.thin_svd().ok()?;
    let mut right = bt * svd.U().subcols(0, dim);
    for d in 0..dim {
        let mut column = right.col_mut(d);
        let norm = column.norm_l2();
        if norm > 0.0 {
            column /= faer::Scale(norm);
        }
    }
    Some(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(words: &[&str]) -> Bag {
        let mut b = Bag::new();
        for w in words {
            *b.entry(w.to_string()).or_default() += 1.0;
        }
        b
    }

    /// Two topics whose letters share no word with letters of the other, and within each
    /// topic two vocabularies that never meet in one letter but share neighbours.
    fn archive() -> Vec<Bag> {
        let mut out = Vec::new();
        for i in 0..30 {
            let water = if i % 2 == 0 {
                ["自来水", "管网", "村民", "饮水"]
            } else {
                ["供水", "管网", "村民", "水压"]
            };
            out.push(bag(&water));
            let school = if i % 2 == 0 {
                ["学校", "食堂", "学生", "营养"]
            } else {
                ["学校", "餐费", "学生", "配餐"]
            };
            out.push(bag(&school));
        }
        out
    }

    #[test]
    fn letters_about_one_problem_in_other_words_are_close() {
        // Two dimensions for two topics: the space must merge each topic's vocabularies.
        let space = Space::train_with_dim(
            |chunk, each| {
                *chunk = Archive::from(&archive()[..]);
                each(chunk);
                Ok::<(), ()>(())
            },
            2,
        )
        .unwrap()
        .expect("trained")
        .space;
        let a = space.embed(&bag(&["自来水", "饮水"]));
        let b = space.embed(&bag(&["供水", "水压"]));
        let c = space.embed(&bag(&["食堂", "营养"]));
        assert!(cosine(&a, &b) > 0.5, "{}", cosine(&a, &b));
        assert!(cosine(&a, &c) < 0.2, "{}", cosine(&a, &c));
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-4);
        // Unknown words give the zero vector, not NaN.
        assert!(space.embed(&bag(&["火星"])).iter().all(|x| *x == 0.0));
        assert_eq!(
            space
                .nearest_terms(&bag(&["供水", "水压", "火星"]), &a, 1)
                .len(),
            1
        );
    }

    #[test]
    fn training_on_chunks_gives_the_space_of_the_whole_archive() {
        let bags = archive();
        let whole = Space::train(Archive::from(&bags[..])).expect("trained");
        let mut readings = 0;
        let chunked = Space::train_from(|archive, each| {
            readings += 1;
            for part in bags.chunks(7) {
                archive.next_chunk(part.len());
                for (i, bag) in part.iter().enumerate() {
                    for (word, &count) in bag {
                        let t = archive.term(word);
                        archive.add(i, t, count);
                    }
                }
                each(archive);
            }
            Ok::<(), ()>(())
        })
        .unwrap()
        .expect("trained");
        assert_eq!(readings, 2);
        assert_eq!(chunked.space.terms, whole.space.terms);
        assert_eq!(chunked.space.idf, whole.space.idf);
        // The same matrix, so the same (seeded) decomposition.
        assert_eq!(chunked.space.basis, whole.space.basis);
        assert_eq!(chunked.vectors, whole.vectors);
        // A second reading that gives other letters is refused, not trained on.
        let mut reading = 0;
        let refused = Space::train_from(|archive, each| {
            reading += 1;
            *archive = Archive::from(&bags[..bags.len() - reading]);
            each(archive);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert!(refused.is_none());
    }

    #[test]
    fn sparse_products_match_the_dense_ones() {
        let rows: Vec<Vec<(u32, f32)>> = (0..37)
            .map(|r| {
                (0..11u32)
                    .filter(|c| (r as u32 * 7 + c * 3) % 5 < 2)
                    .map(|c| (c, (r as f32 * 0.3 + c as f32).sin()))
                    .collect()
            })
            .collect();
        let mut a = Compressed::new(11, rows.len(), 11);
        for row in &rows {
            a.push_row(row.clone());
        }
        let dense = |r: usize, c: usize| {
            rows[r]
                .iter()
                .find(|(k, _)| *k as usize == c)
                .map_or(0.0, |e| e.1)
        };
        let width = 3;
        let x: Vec<f32> = (0..11 * width).map(|i| (i as f32 * 0.7).cos()).collect();
        let ax = a.times(&x, width);
        for r in 0..37 {
            for j in 0..width {
                let expected: f32 = (0..11).map(|c| dense(r, c) * x[c * width + j]).sum();
                assert!((ax[r * width + j] - expected).abs() < 1e-4);
            }
        }
        let y: Vec<f32> = (0..37 * width).map(|i| (i as f32 * 0.3).sin()).collect();
        let aty = a.transposed_times(&y, width);
        assert_eq!(aty.len(), 11 * width);
        for c in 0..11 {
            for j in 0..width {
                let expected: f32 = (0..37).map(|r| dense(r, c) * y[r * width + j]).sum();
                assert!((aty[c * width + j] - expected).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn cosine_is_the_dot_product_at_any_length() {
        for len in [0, 1, 7, 8, 9, 17, 160] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((cosine(&a, &b) - plain).abs() < 1e-4, "{len}");
        }
    }

    #[test]
    fn coded_vectors_keep_the_cosine_within_a_percent() {
        let a: Vec<f32> = (0..160).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..160).map(|i| (i as f32 * 0.11).cos()).collect();
        let mut codes = vec![0i8; 160];
        let scale = quantise(&b, &mut codes);
        let mut target = vec![0i8; 160];
        let target_scale = quantise(&a, &mut target);
        let exact = cosine(&a, &b);
        let coded = dot_coded(&target, &codes) as f32 * scale * target_scale;
        let norm = cosine(&a, &a).sqrt() * cosine(&b, &b).sqrt();
        assert!((exact - coded).abs() < 0.01 * norm, "{exact} {coded}");
        assert_eq!(quantise(&[0.0; 4], &mut [1i8; 4]), 0.0);
        for len in [0, 1, 15, 16, 17, 33] {
            let x: Vec<i8> = (0..len).map(|i| (i * 37 % 255 - 127) as i8).collect();
            let y: Vec<i8> = (0..len).map(|i| (i * 11 % 255 - 127) as i8).collect();
            let plain: i32 = x.iter().zip(&y).map(|(p, q)| *p as i32 * *q as i32).sum();
            assert_eq!(dot_coded(&x, &y), plain, "{len}");
        }
    }

    #[test]
    fn too_small_an_archive_trains_nothing() {
        assert!(Space::train(Archive::from(&archive()[..5])).is_none());
    }
}
