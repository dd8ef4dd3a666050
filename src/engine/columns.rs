//! String fast-field columns read with their dictionaries decoded once.

use crate::error::Error;

/// A string fast-field column of one segment with its values decoded once, in ord order:
/// looking values up one document at a time would decode a dictionary block per call.
pub struct StrValues {
    column: tantivy::columnar::StrColumn,
    values: Vec<String>,
}

impl StrValues {
    /// The (first) value of a document, "" when it has none.
    pub fn first(&self, doc: tantivy::DocId) -> &str {
        self.column
            .term_ords(doc)
            .next()
            .and_then(|ord| self.values.get(ord as usize))
            .map_or("", String::as_str)
    }
}

/// Reads a string fast-field column of a segment (see `StrValues`).
pub fn str_column(segment: &tantivy::SegmentReader, name: &str) -> Result<StrValues, Error> {
    let column = segment
        .fast_fields()
        .str(name)?
        .ok_or_else(|| Error::Internal(format!("{name} column missing")))?;
    let values = dictionary_values(&column)?;
    Ok(StrValues { column, values })
}

/// Every value of a string column, decoded in one pass over its dictionary (ord order).
pub(super) fn dictionary_values(
    column: &tantivy::columnar::StrColumn,
) -> std::io::Result<Vec<String>> {
    let mut values = Vec::with_capacity(column.num_terms());
    let mut stream = column.dictionary().stream()?;
    while stream.advance() {
        values.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(values)
}
