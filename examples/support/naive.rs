//! The naive reference build that the measurement examples compare against: one tantivy text
//! field tokenized by jieba's default `cut` (precise mode + HMM, default dictionary),
//! lowercased, tokens without a letter or digit dropped, positions by token ordinal — what a
//! first tantivy + jieba integration looks like.

use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use reply_search::analysis::BufferedStream;
use tantivy::Index;
use tantivy::schema::{Field, IndexRecordOption, SchemaBuilder, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{Token, Tokenizer};

pub const TOKENIZER: &str = "naive_jieba";

#[derive(Clone)]
pub struct NaiveJieba {
    jieba: Arc<Jieba>,
    tokens: Vec<Token>,
}

impl Tokenizer for NaiveJieba {
    type TokenStream<'a> = BufferedStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufferedStream<'a> {
        self.tokens.clear();
        for t in self.jieba.cut(text, true) {
            if !t.word.chars().any(char::is_alphanumeric) {
                continue;
            }
            self.tokens.push(Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position: self.tokens.len(),
                text: t.word.to_lowercase(),
                position_length: 1,
            });
        }
        BufferedStream::new(&mut self.tokens)
    }
}

/// Adds the one text field of the naive build to a schema.
pub fn text_field(schema: &mut SchemaBuilder, name: &str) -> Field {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    schema.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

/// Registers the tokenizer (jieba's default dictionary, loaded once) on an index.
pub fn register(index: &Index) {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    let jieba = JIEBA.get_or_init(|| Arc::new(Jieba::new())).clone();
    index.tokenizers().register(
        TOKENIZER,
        NaiveJieba {
            jieba,
            tokens: Vec::new(),
        },
    );
}
