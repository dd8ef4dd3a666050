//! A semantic space trained on the archive itself: latent semantic analysis (LSA). Letters
//! become sparse tf-idf vectors over their terms; a randomized truncated SVD finds the
//! `dim` directions that explain most of how terms co-occur across letters; a letter's
//! vector is its tf-idf vector projected onto them. Two letters about the same problem in
//! other words (自来水 / 饮水 / 供水管网) end up close, because those words keep the same
//! company across the archive.
//!
//! Offline, nothing downloaded: the space is computed from the letters at index time with
//! faer (QR, SVD, sparse × dense products). A new letter is folded into the existing space
//! (`Space::embed`) without retraining.
//!
//! The module knows nothing of letters or tokenizers: callers give each letter's terms with
//! their counts (`Bag`).

mod store;

use std::collections::HashMap;

use faer::sparse::linalg::matmul::sparse_dense_matmul;
use faer::sparse::{SparseColMat, Triplet};
use faer::{Accum, Mat, Par};

pub use store::{read_checked, read_space, write_checked, write_space};

/// A letter's terms with their (weighted) counts.
pub type Bag = HashMap<String, f32>;

/// Dimensions of the space.
pub const DIM: usize = 160;
/// Extra random directions for the randomized SVD (accuracy of the leading `DIM`).
const OVERSAMPLE: usize = 16;
/// Power iterations of the randomized SVD (sharpen the spectrum for text matrices).
const POWER_ITERATIONS: usize = 3;
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

impl Space {
    /// Trains the space on the letters' bags. Terms in fewer than two letters or in more
    /// than half of them are left out (they cannot relate letters, or relate all of them).
    /// Returns None when the archive is too small to train on.
    pub fn train(bags: &[Bag]) -> Option<Space> {
        Self::train_with_dim(bags, DIM)
    }

    fn train_with_dim(bags: &[Bag], max_dim: usize) -> Option<Space> {
        let n = bags.len();
        if n < 20 {
            return None;
        }
        let mut df: HashMap<&str, u32> = HashMap::new();
        for bag in bags {
            for term in bag.keys() {
                *df.entry(term.as_str()).or_default() += 1;
            }
        }
        let mut kept: Vec<(&str, u32)> = df
            .into_iter()
            .filter(|&(_, d)| d >= 2 && (d as usize) * 2 <= n)
            .collect();
        kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kept.truncate(MAX_TERMS);
        let terms: HashMap<String, u32> = kept
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (t.to_string(), i as u32))
            .collect();
        let idf: Vec<f32> = kept
            .iter()
            .map(|&(_, d)| (n as f32 / d as f32).ln())
            .collect();
        let m = terms.len();
        let dim = max_dim.min(m.saturating_sub(1)).min(n - 1);
        if dim < 2 {
            return None;
        }
        let mut space = Space {
            terms,
            idf,
            basis: Vec::new(),
            dim,
            trained_on: n,
        };
        // Letters × terms, rows normalised: the matrix whose right singular vectors span
        // the space. Its transpose is kept too (both sides are multiplied by dense blocks).
        let mut triplets = Vec::new();
        let mut transposed = Vec::new();
        for (row, bag) in bags.iter().enumerate() {
            for (col, w) in space.weights(bag) {
                triplets.push(Triplet::new(row as u32, col, w));
                transposed.push(Triplet::new(col, row as u32, w));
            }
        }
        let a = SparseColMat::<u32, f32>::try_new_from_triplets(n, m, &triplets).ok()?;
        let at = SparseColMat::<u32, f32>::try_new_from_triplets(m, n, &transposed).ok()?;
        let right = randomized_right_vectors(&a, &at, dim)?;
        let mut basis = vec![0f32; m * dim];
        for t in 0..m {
            for d in 0..dim {
                basis[t * dim + d] = right[(t, d)];
            }
        }
        space.basis = basis;
        Some(space)
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
        for (t, w) in self.weights(bag) {
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
        let names: HashMap<u32, &str> = self
            .terms
            .iter()
            .filter(|(t, _)| bag.contains_key(*t))
            .map(|(t, &i)| (i, t.as_str()))
            .collect();
        let mut scored: Vec<(f32, &str)> = self
            .weights(bag)
            .into_iter()
            .map(|(t, w)| {
                let row = &self.basis[t as usize * self.dim..(t as usize + 1) * self.dim];
                let dot: f32 = row.iter().zip(target).map(|(a, b)| a * b).sum();
                (w * dot, names[&t])
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

    /// The bag's known terms with tf-idf weights (1 + ln tf) × idf, normalised to unit length.
    fn weights(&self, bag: &Bag) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = bag
            .iter()
            .filter(|(_, c)| **c > 0.0)
            .filter_map(|(term, &count)| {
                let &t = self.terms.get(term)?;
                Some((t, (1.0 + count.ln().max(0.0)) * self.idf[t as usize]))
            })
            .collect();
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
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

/// The leading `dim` right singular vectors (terms × dim) of `a` (letters × terms), by the
/// randomized range finder with power iterations (Halko, Martinsson and Tropp 2011): a
/// random block of directions is multiplied through `a` and `aᵀ` and orthonormalised, which
/// captures the dominant subspace; the small projected matrix is then decomposed exactly.
fn randomized_right_vectors(
    a: &SparseColMat<u32, f32>,
    at: &SparseColMat<u32, f32>,
    dim: usize,
) -> Option<Mat<f32>> {
    let (n, m) = (a.nrows(), a.ncols());
    let width = (dim + OVERSAMPLE).min(n).min(m);
    // A fixed pseudo-random ±1 block: the same archive gives the same space.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let omega = Mat::<f32>::from_fn(m, width, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if state & 1 == 0 { 1.0 } else { -1.0 }
    });
    let times = |lhs: &SparseColMat<u32, f32>, rhs: &Mat<f32>| {
        let mut out = Mat::<f32>::zeros(lhs.nrows(), rhs.ncols());
        sparse_dense_matmul(
            out.as_mut(),
            Accum::Replace,
            lhs.as_ref(),
            rhs.as_ref(),
            1.0,
            Par::Seq,
        );
        out
    };
    let orthonormal = |m: &Mat<f32>| m.qr().compute_thin_Q();
    let mut q = orthonormal(&times(a, &omega)); // letters × width
    for _ in 0..POWER_ITERATIONS {
        let z = orthonormal(&times(at, &q)); // terms × width
        q = orthonormal(&times(a, &z));
    }
    // aᵀ q (terms × width) = (qᵀ a)ᵀ: its left singular vectors are a's right ones.
    let bt = times(at, &q);
    let svd = bt.thin_svd().ok()?;
    Some(svd.U().subcols(0, dim).to_owned())
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
        let space = Space::train_with_dim(&archive(), 2).expect("trained");
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
    fn too_small_an_archive_trains_nothing() {
        assert!(Space::train(&archive()[..5]).is_none());
    }
}
