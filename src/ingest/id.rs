//! Document ids: one definition of what an id may be, checked once where an id comes in
//! (a corpus file name, a JSONL record, an API path).

/// Longest id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 200;

/// A valid document id: 1–200 bytes, no control characters, no invisible format characters
/// (zero-width spaces, bidirectional overrides such as U+202E), and no leading or trailing
/// whitespace. Ids are never trimmed or otherwise changed here: an id that would need it is
/// refused, so two spellings can never name one document (`%20lead` is not `lead`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocId(String);

impl DocId {
    /// Checks `id`; the error says what is wrong with it.
    pub fn parse(id: &str) -> Result<DocId, &'static str> {
        if id.is_empty() {
            return Err("empty");
        }
        if id.len() > MAX_ID_BYTES {
            return Err("longer than 200 bytes");
        }
        if id.starts_with(char::is_whitespace) || id.ends_with(char::is_whitespace) {
            return Err("starts or ends with whitespace");
        }
        if id.chars().any(char::is_control) {
            return Err("contains control characters");
        }
        if id.chars().any(is_invisible_format) {
            return Err("contains invisible formatting characters");
        }
        Ok(DocId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for DocId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Unicode format characters (category Cf) that render as nothing or reorder text: an id
/// holding one looks like another id.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids_unchanged() {
        for id in [
            "futian-fgj-reply-20240294",
            "a/b c",
            "福田区/2024 建议",
            "x",
        ] {
            assert_eq!(DocId::parse(id).unwrap().as_str(), id);
        }
        assert!(DocId::parse(&"字".repeat(66)).is_ok());
    }

    #[test]
    fn refuses_ids_that_could_pass_for_others() {
        for id in [
            "",
            " lead",
            "lead ",
            "\tx",
            "a\nb",
            "a\u{0}b",
            "ab\u{200B}",
            "\u{202E}txt.exe",
            "\u{FEFF}x",
        ] {
            assert!(DocId::parse(id).is_err(), "{id:?}");
        }
        assert!(DocId::parse(&"字".repeat(67)).is_err());
    }
}
