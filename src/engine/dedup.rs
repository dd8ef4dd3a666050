//! Near-duplicate detection: letters that repeat the same proposal or the same reply text,
//! across years and sessions. Each document's character 5-shingles are summarised by a
//! 64-value MinHash signature, stored in the index as 16 locality-sensitive band terms, so
//! finding candidates is one term query and adding a document needs no recomputation of
//! the others. Candidates are then measured exactly (shingle Jaccard and containment), and
//! the longest shared passages are extracted as evidence.

use std::collections::HashMap;

use serde::Serialize;

use crate::text::normalize;

/// Characters per shingle: long enough that common phrases (现答复如下) rarely decide alone.
pub const SHINGLE: usize = 5;
const HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = HASHES / BANDS;
/// Jaccard at or above which two letters are called near-duplicates; or containment (the
/// share of the shorter letter found in the longer) at or above `CONTAINMENT`, which catches
/// an excerpt of a longer letter.
pub const JACCARD: f32 = 0.5;
pub const CONTAINMENT: f32 = 0.7;

/// The exact overlap between two documents and the passages they share.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct NearDuplicate {
    /// Shingle Jaccard similarity, 0–1.
    pub similarity: f32,
    /// Share of the shorter text's shingles found in the longer one, 0–1.
    pub containment: f32,
    /// The longest passages both texts contain (normalised, longest first).
    pub passages: Vec<String>,
}

/// splitmix64's finaliser: a cheap, well-mixing bijection on u64.
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of one shingle, from its char codes (no UTF-8 encoding or byte hashing: this runs
/// once per char of every indexed letter).
fn hash_chars(chars: &[char]) -> u64 {
    let mut h = 0u64;
    for &c in chars {
        // Char codes fit in 21 bits; the multiply spreads each over the word.
        h = (h ^ c as u64)
            .wrapping_mul(0x0000_0100_0000_01B3)
            .rotate_left(21);
    }
    mix64(h)
}

/// Sorted, distinct hashes of the 5-char shingles of a compacted text.
pub fn shingles(compacted: &str) -> Vec<u64> {
    let chars: Vec<char> = compacted.chars().collect();
    if chars.len() < SHINGLE {
        return Vec::new();
    }
    let mut out: Vec<u64> = chars.windows(SHINGLE).map(hash_chars).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Multipliers (odd) and offsets of the 64 permutations, fixed at compile time.
const PERMUTATIONS: ([u32; HASHES], [u32; HASHES]) = {
    let (mut a, mut b) = ([0u32; HASHES], [0u32; HASHES]);
    let mut i = 0;
    while i < HASHES {
        let r = mix64(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1));
        a[i] = (r as u32) | 1;
        b[i] = (r >> 32) as u32;
        i += 1;
    }
    (a, b)
};

/// MinHash signature: for each of 64 permutations of the 32-bit shingle hashes (odd
/// multiply, add, xor-shift: each step a bijection), the minimum over the shingles. 32-bit
/// lanes let the compiler vectorise the inner loop, which runs 64 times per shingle.
fn minhash(shingles: &[u64]) -> [u32; HASHES] {
    let (a, b) = PERMUTATIONS;
    let mut sig = [u32::MAX; HASHES];
    for &h in shingles {
        let x = (h ^ (h >> 32)) as u32;
        for i in 0..HASHES {
            let v = x.wrapping_mul(a[i]).wrapping_add(b[i]);
            sig[i] = sig[i].min(v ^ (v >> 15));
        }
    }
    sig
}

/// The band terms of a text (empty for texts shorter than a shingle): documents sharing
/// a band term are near-duplicate candidates.
pub fn band_terms(text: &str) -> Vec<String> {
    band_terms_normalized(&normalize(text))
}

/// `band_terms` of a text already normalised (as the index has it).
pub fn band_terms_normalized(normalized: &str) -> Vec<String> {
    bands(&shingles(&without_whitespace(normalized)))
}

/// The compacted form of normalised text (see `analysis::compact`).
fn without_whitespace(normalized: &str) -> String {
    normalized.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The band terms of a shingle set: MinHash signature rows, hashed per band.
fn bands(shingles: &[u64]) -> Vec<String> {
    if shingles.is_empty() {
        return Vec::new();
    }
    let sig = minhash(shingles);
    (0..BANDS)
        .map(|b| {
            let mut bytes = Vec::with_capacity(ROWS * 4);
            for v in &sig[b * ROWS..(b + 1) * ROWS] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            format!("{b:02}:{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
        })
        .collect()
}

/// (Jaccard, containment) of two sorted shingle sets.
pub fn overlap(a: &[u64], b: &[u64]) -> (f32, f32) {
    if a.is_empty() || b.is_empty() {
        return (0.0, 0.0);
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    (
        common as f32 / union as f32,
        common as f32 / a.len().min(b.len()) as f32,
    )
}

/// The longest passages (at least `min_chars`) that both compacted texts contain, longest
/// first, at most `max`. Anchored on 8-char windows, extended greedily.
pub fn shared_passages(a: &str, b: &str, min_chars: usize, max: usize) -> Vec<String> {
    const ANCHOR: usize = 8;
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() < ANCHOR || b.len() < ANCHOR {
        return Vec::new();
    }
    let mut index: HashMap<&[char], Vec<usize>> = HashMap::new();
    for (j, w) in b.windows(ANCHOR).enumerate() {
        let positions = index.entry(w).or_default();
        if positions.len() < 8 {
            positions.push(j);
        }
    }
    let mut found: Vec<(usize, usize)> = Vec::new(); // (start in a, length)
    let mut i = 0;
    while i + ANCHOR <= a.len() {
        let best = index.get(&a[i..i + ANCHOR]).and_then(|starts| {
            starts
                .iter()
                .map(|&j| {
                    (0..)
                        .take_while(|k| i + k < a.len() && j + k < b.len() && a[i + k] == b[j + k])
                        .count()
                })
                .max()
        });
        match best {
            Some(len) if len >= min_chars => {
                found.push((i, len));
                i += len;
            }
            _ => i += 1,
        }
    }
    found.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    found
        .into_iter()
        .take(max)
        .map(|(s, len)| a[s..s + len].iter().collect())
        .collect()
}

/// A text prepared for exact comparison with many candidates.
pub struct Shingled {
    compacted: String,
    shingles: Vec<u64>,
}

impl Shingled {
    pub fn new(text: &str) -> Self {
        Self::from_normalized(&normalize(text))
    }

    /// For text already normalised, so a caller that has the normalised form does not
    /// normalise again.
    pub fn from_normalized(normalized: &str) -> Self {
        let compacted = without_whitespace(normalized);
        let shingles = shingles(&compacted);
        Shingled {
            compacted,
            shingles,
        }
    }

    /// The text's near-duplicate band terms (as `band_terms` gives them).
    pub fn band_terms(&self) -> Vec<String> {
        bands(&self.shingles)
    }

    /// Compares with another text exactly; `None` when they are not near-duplicates.
    pub fn compare(&self, other: &str) -> Option<NearDuplicate> {
        let other = Shingled::new(other);
        let (similarity, containment) = overlap(&self.shingles, &other.shingles);
        if similarity < JACCARD && containment < CONTAINMENT {
            return None;
        }
        Some(NearDuplicate {
            similarity: (similarity * 1000.0).round() / 1000.0,
            containment: (containment * 1000.0).round() / 1000.0,
            passages: shared_passages(&self.compacted, &other.compacted, 12, 3),
        })
    }
}

/// Compares two texts exactly; `None` when they are not near-duplicates.
pub fn compare(source: &str, other: &str) -> Option<NearDuplicate> {
    Shingled::new(source).compare(other)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTER: &str = "您提出的关于加快老旧小区加装电梯的建议收悉。现答复如下：我局高度重视老旧小区加装电梯工作，\
        已出台财政补贴办法，对符合条件的加装项目每台补贴二十万元，并简化规划审批流程。下一步将加大宣传力度，推动更多小区加装电梯。";

    #[test]
    fn light_edits_stay_near_duplicates_and_bands_collide() {
        let edited = LETTER
            .replace("二十万元", "十五万元")
            .replace("我局", "市住建局");
        let d = compare(LETTER, &edited).expect("a near-duplicate");
        assert!(d.similarity > 0.7, "{d:?}");
        assert!(d.passages[0].chars().count() >= 20, "{d:?}");
        let (a, b) = (band_terms(LETTER), band_terms(&edited));
        assert!(a.iter().any(|t| b.contains(t)), "no shared band");
    }

    #[test]
    fn different_letters_are_not() {
        assert!(
            compare(
                LETTER,
                "关于修缮紫石古桥的提案答复：古桥属县级文物保护单位，修缮方案已报省文物局审批。"
            )
            .is_none()
        );
        assert!(band_terms("短").is_empty());
    }

    #[test]
    fn an_excerpt_is_contained() {
        let excerpt: String = LETTER.chars().take(60).collect();
        let d = compare(&excerpt, LETTER).expect("contained");
        assert!(d.containment > 0.95 && d.similarity < 0.7, "{d:?}");
    }
}
