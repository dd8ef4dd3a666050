//! The index schema: one field per way a letter is searched, filtered, sorted or shown.

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{NGRAMS, WORDS};

/// Bump when the schema or the analysis changes incompatibly: an index with another version
/// is rebuilt from the corpus instead of being read wrongly.
pub const SCHEMA_VERSION: u32 = 6;

pub(super) const META_FILE: &str = "reply-search.json";

/// Where a document came from: the corpus folder (removed when its file goes) or the API.
pub const ORIGIN_CORPUS: &str = "corpus";

pub const ORIGIN_API: &str = "api";

/// Handles to the schema's fields.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub hash: Field,
    pub origin: Field,
    /// The whole `Letter` as JSON, for display.
    pub stored: Field,
    pub title: Field,
    pub title_ng: Field,
    pub body: Field,
    pub body_ng: Field,
    pub respondent_ng: Field,
    pub session_ng: Field,
    pub kind: Field,
    pub respondent: Field,
    pub session: Field,
    pub year: Field,
    /// Date as the number yyyymmdd (0 when unknown): sortable and range-filterable.
    pub date: Field,
    /// Near-duplicate band terms of the text (see `dedup`).
    pub lsh: Field,
    /// The title as a fast-field column: the suggester lists every title, and reading them
    /// from stored documents would decompress the whole store.
    pub title_raw: Field,
}

/// A text field. Word fields are indexed without positions: they only rank (term queries),
/// while phrases and adjacency are answered by the n-gram fields, whose positions are kept.
/// Dropping word positions saves about a third of the postings.
fn text_field(schema: &mut tantivy::schema::SchemaBuilder, name: &str, tokenizer: &str) -> Field {
    let record = if tokenizer == NGRAMS {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(record);
    schema.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

pub fn build_schema() -> (Schema, Fields) {
    let mut s = Schema::builder();
    let fields = Fields {
        id: s.add_text_field("id", STRING | STORED | FAST),
        hash: s.add_u64_field("hash", FAST),
        origin: s.add_text_field("origin", STRING | FAST),
        stored: s.add_text_field("stored", STORED),
        title: text_field(&mut s, "title", WORDS),
        title_ng: text_field(&mut s, "title_ng", NGRAMS),
        body: text_field(&mut s, "body", WORDS),
        body_ng: text_field(&mut s, "body_ng", NGRAMS),
        respondent_ng: text_field(&mut s, "respondent_ng", NGRAMS),
        session_ng: text_field(&mut s, "session_ng", NGRAMS),
        kind: s.add_text_field("kind", STRING | FAST),
        respondent: s.add_text_field("respondent", STRING | FAST),
        session: s.add_text_field("session", STRING | FAST),
        year: s.add_u64_field("year", INDEXED | FAST),
        date: s.add_i64_field("date", INDEXED | FAST),
        lsh: s.add_text_field("lsh", STRING),
        title_raw: s.add_text_field("title_raw", FAST),
    };
    (s.build(), fields)
}

/// Stored letters are compressed with lz4 in 16 KB blocks: every hit decompresses its
/// block, and with zstd in 32 KB blocks that was two thirds of a one-word search at 100k
/// letters. The store is 1.4× zstd's size (86 instead of 61 MB for 120 MB of text); one-word
/// searches at 10k went from p50 1.45 to 1.01 ms. An index keeps the settings it was
/// created with.
pub(super) fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::Lz4,
        docstore_blocksize: 16 * 1024,
        ..Default::default()
    }
}

#[derive(Serialize, Deserialize, PartialEq)]
pub(super) struct IndexMeta {
    pub schema_version: u32,
    pub analysis_fingerprint: u64,
}
