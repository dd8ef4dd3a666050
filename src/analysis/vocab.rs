//! The government vocabulary: jieba user words, query-time synonyms and abbreviations, and
//! stopwords. Shipped in `assets/` (embedded in the binary) and replaceable at run time by a
//! directory holding files of the same names (`--vocab DIR`), so a department can edit them.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::text::normalize;

const USER_DICT: &str = include_str!("../../assets/dict/user.dict");
const SYNONYMS: &str = include_str!("../../assets/synonyms.txt");
const STOPWORDS: &str = include_str!("../../assets/stopwords.txt");

/// All vocabulary tables, normalised (simplified, half-width, lowercase).
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    /// Words jieba must keep whole, with their dictionary frequency.
    pub user_words: Vec<(String, usize)>,
    pub synonyms: Synonyms,
    /// Function words a natural-language query need not contain.
    pub stopwords: BTreeSet<String>,
    /// Hash of the tables that change how documents are indexed (the user dictionary); stored
    /// with the index so a changed dictionary triggers a rebuild.
    pub index_fingerprint: u64,
}

impl Vocab {
    /// The vocabulary shipped with the binary.
    pub fn embedded() -> Self {
        Self::parse(USER_DICT, SYNONYMS, STOPWORDS)
    }

    /// Reads `user.dict`, `synonyms.txt` and `stopwords.txt` from `dir`; a missing file falls
    /// back to the shipped one.
    pub fn from_dir(dir: &Path) -> std::io::Result<Self> {
        let read = |name: &str, fallback: &str| -> std::io::Result<String> {
            match std::fs::read_to_string(dir.join(name)) {
                Ok(s) => Ok(s),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(fallback.to_string()),
                Err(e) => Err(e),
            }
        };
        Ok(Self::parse(
            &read("user.dict", USER_DICT)?,
            &read("synonyms.txt", SYNONYMS)?,
            &read("stopwords.txt", STOPWORDS)?,
        ))
    }

    pub fn parse(user_dict: &str, synonyms: &str, stopwords: &str) -> Self {
        let user_words = user_dict
            .lines()
            .filter_map(|line| {
                let mut parts = line.split_whitespace();
                let word = normalize(parts.next()?);
                let freq = parts.next().and_then(|f| f.parse().ok()).unwrap_or(3000);
                (word.chars().count() > 1).then_some((word, freq))
            })
            .collect();
        let stopwords = content_lines(stopwords).map(normalize).collect();
        Vocab {
            user_words,
            synonyms: Synonyms::parse(synonyms),
            stopwords,
            index_fingerprint: xxhash_rust::xxh3::xxh3_64(user_dict.as_bytes()),
        }
    }
}

/// Lines that are neither blank nor `#` comments, trimmed.
fn content_lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Query-time expansions. `a, b, c` makes each term expand to all three; `a => b, c` makes
/// `a` expand to `b` and `c` only.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    expansions: HashMap<String, Vec<String>>,
    /// Keys by descending char length, for substring replacement in query chunks.
    keys_longest_first: Vec<String>,
}

impl Synonyms {
    pub fn parse(s: &str) -> Self {
        let mut expansions: HashMap<String, Vec<String>> = HashMap::new();
        let mut add = |from: &str, to: &str| {
            if from != to {
                let list = expansions.entry(from.to_string()).or_default();
                if !list.iter().any(|t| t == to) {
                    list.push(to.to_string());
                }
            }
        };
        for line in content_lines(s) {
            let terms = |part: &str| -> Vec<String> {
                part.split([',', '，', '、'])
                    .map(normalize)
                    .map(|t| t.trim().to_string())
                    .filter(|t| t.chars().count() > 1)
                    .collect()
            };
            if let Some((left, right)) = line.split_once("=>") {
                for from in terms(left) {
                    for to in terms(right) {
                        add(&from, &to);
                    }
                }
            } else {
                let group = terms(line);
                for from in &group {
                    for to in &group {
                        add(from, to);
                    }
                }
            }
        }
        let mut keys_longest_first: Vec<String> = expansions.keys().cloned().collect();
        keys_longest_first.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        Synonyms {
            expansions,
            keys_longest_first,
        }
    }

    /// Number of terms that expand to something.
    pub fn len(&self) -> usize {
        self.expansions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expansions.is_empty()
    }

    pub fn all_terms(&self) -> impl Iterator<Item = &String> {
        self.expansions.keys()
    }

    /// Alternatives of a normalised string: itself first, then forms with one known term
    /// replaced by each of its expansions (the longest term found wins; at most `max` forms).
    pub fn variants(&self, s: &str, max: usize) -> Vec<String> {
        let mut out = vec![s.to_string()];
        if let Some(alts) = self.expansions.get(s) {
            out.extend(alts.iter().cloned());
        } else if let Some(key) = self
            .keys_longest_first
            .iter()
            .find(|k| s.contains(k.as_str()))
        {
            // An alternative the string already holds (养老 => 养老服务 inside 养老服务)
            // would only produce a doubled form.
            for alt in self.expansions[key]
                .iter()
                .filter(|a| !s.contains(a.as_str()))
            {
                out.push(s.replacen(key.as_str(), alt, 1));
            }
        }
        out.truncate(max.max(1));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_one_way_rules() {
        let syn = Synonyms::parse("# c\n发改局, 发展和改革局\n养老 => 养老服务, 敬老院\n");
        // Regression: the one-way rule must not turn 养老服务 into 养老服务服务.
        assert_eq!(syn.variants("发改局", 8), vec!["发改局", "发展和改革局"]);
        assert_eq!(
            syn.variants("发展和改革局", 8),
            vec!["发展和改革局", "发改局"]
        );
        assert_eq!(syn.variants("养老服务", 8), vec!["养老服务", "敬老院服务"]);
        assert_eq!(syn.variants("养老", 8), vec!["养老", "养老服务", "敬老院"]);
        // Inside a longer query chunk the term is replaced in place.
        assert_eq!(
            syn.variants("福田区发改局", 8),
            vec!["福田区发改局", "福田区发展和改革局"]
        );
    }

    #[test]
    fn shipped_tables_load() {
        let v = Vocab::embedded();
        assert!(
            v.synonyms.len() >= 150,
            "{} synonym terms",
            v.synonyms.len()
        );
        assert!(v.user_words.iter().any(|(w, _)| w == "新质生产力"));
        assert!(v.stopwords.contains("的"));
    }
}
