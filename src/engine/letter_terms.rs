//! A letter's terms for the semantic space, from its text (`semantic_bag`, for a letter
//! being written or a pasted text) or from the index's postings (`read_archive`, for
//! training): both give the same terms, so a letter folded in later is embedded as the
//! letters the space was trained on.

use std::collections::HashMap;

use tantivy::DocSet;
use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;

use super::Engine;
use super::columns::str_column;
use crate::analysis;
use crate::error::Error;
use crate::ingest::Letter;
use crate::semantic::{Archive, Bag};
use crate::text::normalize;

/// A title word counts as this many words of the text.
const TITLE_WEIGHT: f32 = 2.0;

impl Engine {
    /// A letter's terms for the semantic space: the search-mode words of its titles (each
    /// counted twice) and text that can say what it is about (`Analyzer::is_content_word`),
    /// counted as jieba's precise mode gives them (`analysis::whole_word_counts`). Training
    /// reads the same terms from the index (`read_archive`), so a letter folded in later is
    /// embedded as the letters the space was trained on.
    pub fn semantic_bag(&self, titles: &[&str], text: &str) -> Bag {
        let mut counts: HashMap<String, f32> = HashMap::new();
        let parts = titles.iter().map(|t| (*t, TITLE_WEIGHT));
        for (part, weight) in parts.chain([(text, 1.0)]) {
            let norm = normalize(part);
            for t in self.analyzer.words(&norm) {
                if self.analyzer.is_content_word(t.word) {
                    *counts.entry(t.word.to_string()).or_default() += weight;
                }
            }
        }
        let mut words: Vec<(&str, f32)> = counts.iter().map(|(w, c)| (w.as_str(), *c)).collect();
        analysis::whole_word_counts(&mut words);
        words
            .into_iter()
            .filter(|(_, c)| *c > 0.0)
            .map(|(w, c)| (w.to_string(), c))
            .collect()
    }

    /// A letter's bag: its title and proposal title (the `title` field), and its text.
    pub(super) fn letter_bag(&self, letter: &Letter) -> Bag {
        let titles: Vec<&str> = std::iter::once(letter.title.as_str())
            .chain(letter.proposal_title.as_deref())
            .collect();
        self.semantic_bag(&titles, &letter.text)
    }

    /// Every live letter's (id, content hash), in the order `read_archive` gives them.
    pub(super) fn live_letters(
        &self,
        searcher: &tantivy::Searcher,
    ) -> Result<Vec<(String, u64)>, Error> {
        let mut letters = Vec::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let ids = str_column(segment, "id")?;
            let hashes = segment.fast_fields().u64("hash")?;
            for doc in segment.doc_ids_alive() {
                letters.push((ids.first(doc).to_string(), hashes.first(doc).unwrap_or(0)));
            }
        }
        Ok(letters)
    }

    /// The live letters' terms as `semantic_bag` gives them, in the order of `live_letters`,
    /// read from the postings of the word fields (`title` holds both titles, `body` the
    /// text): no letter is read or cut into words again (that took longer than training).
    /// `chunk` letters of a segment at a time: `archive` holds their terms when `each` is
    /// called (the reader `Space::train_from` expects).
    pub(super) fn read_archive(
        &self,
        searcher: &tantivy::Searcher,
        chunk: usize,
        archive: &mut Archive,
        each: &mut dyn FnMut(&mut Archive),
    ) -> Result<(), Error> {
        let fields = [(self.fields.title, TITLE_WEIGHT), (self.fields.body, 1.0)];
        for segment in searcher.segment_readers() {
            // Each field's content words, with where their postings are and their number in
            // the archive, listed once for all the segment's chunks.
            let mut words = Vec::new();
            for (field, weight) in fields {
                let index = segment.inverted_index(field)?;
                let mut listed = Vec::new();
                let mut terms = index.terms().stream()?;
                while terms.advance() {
                    let Ok(word) = std::str::from_utf8(terms.key()) else {
                        continue;
                    };
                    if self.analyzer.is_content_word(word) {
                        listed.push((archive.term(word), terms.value().clone()));
                    }
                }
                words.push((index, weight, listed));
            }
            let alive: Vec<u32> = segment.doc_ids_alive().collect();
            for docs in alive.chunks(chunk) {
                let (low, high) = (docs[0], docs[docs.len() - 1] + 1);
                // Document → its letter in the chunk.
                let mut place = vec![u32::MAX; (high - low) as usize];
                for (i, &doc) in docs.iter().enumerate() {
                    place[(doc - low) as usize] = i as u32;
                }
                archive.next_chunk(docs.len());
                for (index, weight, listed) in &words {
                    for (term, info) in listed {
                        let mut postings = index
                            .read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
                        let mut doc = postings.doc();
                        if doc < low {
                            doc = postings.seek(low);
                        }
                        while doc < high {
                            let letter = place[(doc - low) as usize];
                            if letter != u32::MAX {
                                let count = weight * postings.term_freq() as f32;
                                archive.add(letter as usize, *term, count);
                            }
                            doc = postings.advance();
                        }
                    }
                }
                archive.adjust(analysis::whole_word_counts);
                each(archive);
            }
        }
        Ok(())
    }
}
