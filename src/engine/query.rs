//! The user query language, parsed leniently: words, `"exact phrase"` (also “…” and 「…」),
//! `-excluded`, `A OR B` (also `A | B`), and `field:value` for title / respondent / kind /
//! year / session. Nothing a user types is a syntax error: unbalanced quotes run to the end,
//! lone operators and parentheses are ignored. Only length is limited.

use crate::text::fold_width;

/// Longest accepted query, in chars.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Most words and phrases considered; further ones are ignored (and reported as such).
pub const MAX_TERMS: usize = 32;

/// A field a `field:value` term may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryField {
    Title,
    Respondent,
    Kind,
    Year,
    Session,
}

impl QueryField {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "title" | "标题" => QueryField::Title,
            "respondent" | "承办单位" | "单位" | "答复单位" => QueryField::Respondent,
            "kind" | "类别" | "类型" => QueryField::Kind,
            "year" | "年份" => QueryField::Year,
            "session" | "届次" | "会议" => QueryField::Session,
            _ => return None,
        })
    }
}

/// One thing to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    pub field: Option<QueryField>,
    pub text: String,
    /// Quoted: the exact string, never split into words.
    pub phrase: bool,
}

/// A parsed query: `groups` are alternatives joined by OR (a group of one is a plain term);
/// `excluded` atoms must not occur.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    pub groups: Vec<Vec<Atom>>,
    pub excluded: Vec<Atom>,
    /// Terms beyond `MAX_TERMS` that were ignored.
    pub dropped: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("query too long: {0} characters, the limit is {MAX_QUERY_CHARS}")]
    TooLong(usize),
}

impl From<QueryError> for crate::error::Error {
    fn from(e: QueryError) -> Self {
        crate::error::Error::bad(crate::error::Code::BadQuery, e.to_string())
    }
}

#[derive(Debug, PartialEq)]
enum Lexeme {
    Atom { negated: bool, atom: Atom },
    Or,
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '「' | '『' | '＂')
}

fn closes(open: char, c: char) -> bool {
    match open {
        '「' => c == '」',
        '『' => c == '』',
        _ => matches!(c, '"' | '“' | '”' | '＂'),
    }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '\u{0}')
}

pub fn parse(input: &str) -> Result<ParsedQuery, QueryError> {
    let chars = input.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong(chars));
    }
    let folded: String = input.chars().map(fold_width).collect();
    let lexemes = lex(&folded);

    let mut query = ParsedQuery::default();
    let mut pending_or = false;
    let mut terms = 0;
    for lexeme in lexemes {
        match lexeme {
            Lexeme::Or => pending_or = !query.groups.is_empty(),
            Lexeme::Atom { negated, atom } => {
                if terms >= MAX_TERMS {
                    query.dropped += 1;
                    continue;
                }
                terms += 1;
                if negated {
                    query.excluded.push(atom);
                    pending_or = false;
                } else if pending_or {
                    query
                        .groups
                        .last_mut()
                        .expect("OR follows a group")
                        .push(atom);
                    pending_or = false;
                } else {
                    query.groups.push(vec![atom]);
                }
            }
        }
    }
    Ok(query)
}

fn lex(s: &str) -> Vec<Lexeme> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_separator(c) {
            i += 1;
            continue;
        }
        let negated = c == '-' && i + 1 < chars.len() && !is_separator(chars[i + 1]);
        if negated {
            i += 1;
        }
        if is_open_quote(chars[i]) {
            let open = chars[i];
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && !closes(open, chars[end]) {
                end += 1;
            }
            let text: String = chars[start..end]
                .iter()
                .collect::<String>()
                .trim()
                .to_string();
            i = end + 1;
            if !text.is_empty() {
                out.push(Lexeme::Atom {
                    negated,
                    atom: Atom {
                        field: None,
                        text,
                        phrase: true,
                    },
                });
            }
            continue;
        }
        let start = i;
        while i < chars.len() && !is_separator(chars[i]) && !is_open_quote(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if !negated && (word == "OR" || word == "|" || word == "||") {
            out.push(Lexeme::Or);
            continue;
        }
        if let Some(atom) = word_atom(&word, &chars, &mut i) {
            out.push(Lexeme::Atom { negated, atom });
        }
    }
    out
}

/// Turns a bare word into an atom, reading `field:value` and `field:"a phrase"`.
fn word_atom(word: &str, chars: &[char], i: &mut usize) -> Option<Atom> {
    let word = word.trim_matches(|c: char| c == '-' || c == '|');
    if word.is_empty() {
        return None;
    }
    if let Some((name, value)) = word.split_once(':')
        && let Some(field) = QueryField::from_name(name)
    {
        if value.is_empty() && *i < chars.len() && is_open_quote(chars[*i]) {
            // field:"quoted value"
            let open = chars[*i];
            let start = *i + 1;
            let mut end = start;
            while end < chars.len() && !closes(open, chars[end]) {
                end += 1;
            }
            *i = end + 1;
            let text: String = chars[start..end.min(chars.len())].iter().collect();
            let text = text.trim().to_string();
            return (!text.is_empty()).then_some(Atom {
                field: Some(field),
                text,
                phrase: true,
            });
        }
        if value.is_empty() {
            return None;
        }
        return Some(Atom {
            field: Some(field),
            text: value.to_string(),
            phrase: false,
        });
    }
    Some(Atom {
        field: None,
        text: word.to_string(),
        phrase: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(t: &str) -> Atom {
        Atom {
            field: None,
            text: t.into(),
            phrase: false,
        }
    }
    fn phrase(t: &str) -> Atom {
        Atom {
            field: None,
            text: t.into(),
            phrase: true,
        }
    }

    #[test]
    fn words_phrases_exclusions_and_or() {
        let q = parse("新质生产力 \"深港科技创新\" -福田 停车 OR 泊位").unwrap();
        assert_eq!(
            q.groups,
            vec![
                vec![word("新质生产力")],
                vec![phrase("深港科技创新")],
                vec![word("停车"), word("泊位")]
            ]
        );
        assert_eq!(q.excluded, vec![word("福田")]);
    }

    #[test]
    fn chinese_quotes_and_full_width_operators() {
        let q = parse("“新质生产力”　－福田").unwrap();
        assert_eq!(q.groups, vec![vec![phrase("新质生产力")]]);
        assert_eq!(q.excluded, vec![word("福田")]);
    }

    #[test]
    fn fields() {
        let q = parse("respondent:发改局 kind:建议 title:\"加装 电梯\" 答复:停车").unwrap();
        assert_eq!(q.groups[0][0].field, Some(QueryField::Respondent));
        assert_eq!(
            q.groups[1][0],
            Atom {
                field: Some(QueryField::Kind),
                text: "建议".into(),
                phrase: false
            }
        );
        assert_eq!(
            q.groups[2][0],
            Atom {
                field: Some(QueryField::Title),
                text: "加装 电梯".into(),
                phrase: true
            }
        );
        // An unknown field name is just text.
        assert_eq!(q.groups[3][0], word("答复:停车"));
    }

    #[test]
    fn malformed_input_is_read_leniently() {
        assert_eq!(
            parse("\"深港科技").unwrap().groups,
            vec![vec![phrase("深港科技")]]
        );
        assert_eq!(parse("OR OR -").unwrap(), ParsedQuery::default());
        assert_eq!(parse("((停车").unwrap().groups, vec![vec![word("停车")]]);
        assert_eq!(parse("\"\" - | ").unwrap(), ParsedQuery::default());
        assert_eq!(parse("停车 OR").unwrap().groups, vec![vec![word("停车")]]);
        assert_eq!(
            parse("a\u{0}b").unwrap().groups,
            vec![vec![word("a")], vec![word("b")]]
        );
        assert!(matches!(
            parse(&"字".repeat(1001)),
            Err(QueryError::TooLong(1001))
        ));
        let many = parse(&"词 ".repeat(40)).unwrap();
        assert_eq!((many.groups.len(), many.dropped), (MAX_TERMS, 8));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse(&s);
        }
    }
}
