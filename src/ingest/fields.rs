//! Extraction of structured fields (number, session, addressee, date, ...) from a
//! cleaned reply letter.
//!
//! Every rule looks only where the value is normally stated (heading, salutation, first
//! sentence, signature) and gives up rather than guess: a wrong value is worse than None.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::lines::{
    is_body_start, is_date_line, is_org_like, parse_date_line, salutation_addressee,
};
use crate::text::date::parse_cn_date;
use crate::text::fold_width_str;

/// Fields found in a letter's text; None where the letter does not clearly state them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExtractedFields {
    pub kind: Option<String>,
    pub proposal_no: Option<String>,
    pub session: Option<String>,
    pub proposal_title: Option<String>,
    pub respondent: Option<String>,
    pub addressee: Option<String>,
    pub date: Option<String>,
    pub title: Option<String>,
    /// The lines the title was read from (indices among the text's non-empty lines), when
    /// it comes from the letter's heading; more than one when the heading was wrapped.
    pub title_lines: Option<Range<usize>>,
}

/// Extracts fields from text already passed through `clean::clean_text`.
///
/// The rules read a width-folded view of the text (`：` as `:`, `（` as `(`); the values
/// people read (title, proposal title, respondent, addressee, session) are then taken as
/// written from the text itself (see `AsWritten`). Date, number and kind are normalised.
pub fn extract_fields(cleaned: &str) -> ExtractedFields {
    let folded = fold_width_str(cleaned);
    let mut f = extract_folded(&folded);
    if folded != cleaned {
        let original = AsWritten::new(&folded, cleaned);
        for slot in [
            &mut f.title,
            &mut f.proposal_title,
            &mut f.respondent,
            &mut f.addressee,
            &mut f.session,
        ] {
            if let Some(v) = slot.as_mut()
                && let Some(w) = original.of(v)
            {
                *v = w;
            }
        }
    }
    f
}

/// Maps values read from a width-folded text back to the characters as written.
///
/// Folding maps one char to one char and keeps line breaks, so a value found at some chars
/// of the folded text was read from the same chars of the original. A value built by
/// joining lines (a wrapped heading) is found in both texts with line breaks removed.
struct AsWritten<'a> {
    folded: &'a str,
    original: &'a str,
}

impl<'a> AsWritten<'a> {
    /// `folded` must be `original` folded char by char (`fold_width_str`).
    fn new(folded: &'a str, original: &'a str) -> Self {
        debug_assert_eq!(folded.chars().count(), original.chars().count());
        AsWritten { folded, original }
    }

    /// The original chars of the first occurrence of `value` in the folded text (within a
    /// line, else across line breaks), or None if it does not occur.
    fn of(&self, value: &str) -> Option<String> {
        if value.is_empty() {
            return None;
        }
        if let Some(at) = self.folded.find(value) {
            return Some(same_chars(
                self.original,
                self.folded[..at].chars().count(),
                value,
            ));
        }
        let unbroken = |s: &str| s.chars().filter(|&c| c != '\n').collect::<String>();
        let folded = unbroken(self.folded);
        let at = folded.find(value)?;
        Some(same_chars(
            &unbroken(self.original),
            folded[..at].chars().count(),
            value,
        ))
    }
}

/// The chars of `text` from char index `start`, as many as `value` has.
fn same_chars(text: &str, start: usize, value: &str) -> String {
    text.chars()
        .skip(start)
        .take(value.chars().count())
        .collect()
}

/// `extract_fields` on width-folded text.
fn extract_folded(cleaned: &str) -> ExtractedFields {
    let lines: Vec<&str> = cleaned
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let layout = Layout::of(&lines);
    let head = &lines[..layout.head_end];
    let intro = lines[layout.head_end..layout.intro_end].join("\n");
    let head_text = head.join("\n");
    let region = format!("{head_text}\n{intro}");

    let (title, title_lines) = find_title(head).unzip();
    let (date, date_line) = find_date(&lines);
    // A signature can sit above an unreadable date ("202398"), so such lines still anchor it.
    let date_line = date_line.or_else(|| {
        let start = lines.len().saturating_sub(8);
        (start..lines.len())
            .rev()
            .find(|&i| DATE_LIKE.is_match(lines[i]))
    });
    let respondent = find_respondent(&lines, date_line, title.as_deref());
    let addressee = layout
        .salutation
        .and_then(|i| salutation_addressee(lines[i]));
    // Headings are often wrapped inside the session name, so lines are joined for it.
    let session = find_session(&format!("{}\n{intro}", head.concat()));
    ExtractedFields {
        kind: find_kind(&head_text, &intro, addressee.as_deref(), session.as_deref()),
        proposal_no: find_proposal_no(&region),
        proposal_title: find_proposal_title(&intro).or_else(|| find_proposal_title(&head_text)),
        session,
        respondent,
        addressee,
        date,
        title,
        title_lines,
    }
}

/// Where the heading, salutation and first body sentences are.
struct Layout {
    salutation: Option<usize>,
    /// Lines before this index are the heading area.
    head_end: usize,
    /// Lines from `head_end` to this index are the salutation and opening sentences.
    intro_end: usize,
}

impl Layout {
    fn of(lines: &[&str]) -> Layout {
        let salutation = lines
            .iter()
            .take(20)
            .position(|l| salutation_addressee(l).is_some());
        let (head_end, intro_end) = match salutation {
            Some(i) => (i, (i + 3).min(lines.len())),
            None => {
                let body = lines
                    .iter()
                    .take(12)
                    .position(|l| is_body_start(l))
                    .unwrap_or(0);
                (body, (body + 2).min(lines.len()))
            }
        };
        Layout {
            salutation,
            head_end,
            intro_end,
        }
    }
}

static HEADING_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"答复|复函|回复|的函|续复|会办意见|办理意见|办理情况").expect("valid regex")
});
static DEBRIS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"来源|发布|时间|日期|索引号|浏览|字号|字体|点击|类别|签发|〔|\[|文号|公开|作者|编稿|分享|打印",
        r"|位置|首页|\||欢迎|责任编辑"
    ))
    .expect("valid regex")
});
static ORG_THEN_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?P<org>\p{Han}{2,30}?(?:局|厅|委|委员会|政府|办公室|办事处|街道|中心|大队|分局|管委会|院|所",
        r"|站|处|室|队|馆|公司|乡|镇))(?:关于|对)"
    ))
    .expect("valid regex")
});

/// The letter's own heading: the last heading-like line before the salutation, joined
/// with the lines it was wrapped from, and the range of `head` lines it was read from.
fn find_title(head: &[&str]) -> Option<(String, Range<usize>)> {
    let is_heading = |l: &str| {
        let Some(m) = HEADING_WORD.find(l) else {
            return false;
        };
        let before = &l[..m.start()];
        !l.contains('。')
            && !l.contains('|')
            && !before.contains(':')
            && !is_body_start(l)
            && !l.starts_with(['您', '你'])
            && l.chars().count() <= 120
    };
    let h = head.iter().rposition(|l| is_heading(l))?;
    let mut title = head[h].to_string();
    let proper =
        |t: &str| t.starts_with("对") || t.contains("关于") || ORG_THEN_SUBJECT.is_match(t);
    let mut j = h;
    while j > 0 && h - j < 3 {
        let prev = head[j - 1];
        if DEBRIS.is_match(prev)
            || prev.ends_with(['。', ':', '!', '?', ';'])
            || prev.chars().count() > 60
            || (is_heading(prev) && proper(prev))
            || is_date_line(prev)
        {
            break;
        }
        let org_before =
            is_org_like(prev) && (title.starts_with("关于") || title.starts_with('对'));
        if proper(&title) && !org_before {
            break;
        }
        title = format!("{prev}{title}");
        j -= 1;
        if org_before {
            break;
        }
    }
    Some((title, j..h + 1))
}

const NUM: &str = r"[一二三四五六七八九十]{1,3}";

static SESSION: LazyLock<Regex> = LazyLock::new(|| {
    let n = NUM;
    let pattern = [
        format!(r"中国人民政治协商会议\p{{Han}}{{1,12}}?第?{n}届委员会第?{n}次会议"),
        format!(r"政协\p{{Han}}{{0,12}}?第?{n}届(?:委员会)?第?{n}次会议"),
        format!(r"第?{n}届(?:政治协商会议|政协)(?:委员会)?第?{n}次会议"),
        format!(r"第?{n}届(?:全国)?人民代表大会(?:常务委员会)?第?{n}次会议"),
        format!(r"第?{n}届(?:全国)?人大(?:常委会)?第?{n}次会议"),
        format!(r"人大(?:常委会)?第?{n}届第?{n}次会议"),
    ]
    .join("|");
    Regex::new(&pattern).expect("valid regex")
});
static PLACE_CUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r".*(?:关于|对|在|向|的|于|是|将|年|们|您|你|上|了|出|由|交|局|府|厅|委)")
        .expect("valid regex")
});
static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\p{Han}{0,12}(?:省|市|县|区|州|旗|盟|镇|乡)|全国)$").expect("valid regex")
});

/// The fullest statement of the session ("深圳市福田区第八届人民代表大会第四次会议").
fn find_session(region: &str) -> Option<String> {
    let mut best: Option<String> = None;
    for m in SESSION.find_iter(region) {
        // The place name is the run of Han chars right before the match, cut at the last
        // word that cannot belong to a place ("…局关于对市" -> "市").
        let mut pre: Vec<char> = region[..m.start()]
            .chars()
            .rev()
            .take_while(|&c| crate::text::is_han(c))
            .take(14)
            .collect();
        pre.reverse();
        let pre: String = pre.into_iter().collect();
        let place = PLACE_CUT.replace(&pre, "");
        let place = if PLACE.is_match(&place) { &*place } else { "" };
        let s = format!("{place}{}", m.as_str());
        if best
            .as_ref()
            .is_none_or(|b| s.chars().count() > b.chars().count())
        {
            best = Some(s);
        }
    }
    best
}

/// A session as its parts: the place, the body (人大, 人大常委会, 政协, with 全国), the term
/// (届) and the meeting (次会议), each number with or without 第, in either order of place
/// and 政协, with the long names (人民代表大会, 政治协商会议, 常务委员会) already shortened.
static SESSION_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    let n = NUM;
    let body = r"(?:全国)?(?:人大常委会|人大|政协)";
    Regex::new(&format!(
        r"^(?P<lead>政协)?(?P<place>\p{{Han}}*?)(?P<before>{body})?第?(?P<term>{n})届(?:委员会)?(?P<after>{body})?(?:委员会)?第?(?P<meeting>{n})次会议(?P<rest>.*)$"
    ))
    .expect("valid regex")
});

/// One spelling for each session, for the session facet and filter: "…七届人大五次会议",
/// "…第七届人大第五次会议" and "…第七届人民代表大会第五次会议" are one session. 人大 sessions
/// read "{place}第{term}届{body}第{meeting}次会议", 政协 ones "{place}政协第{term}届第{meeting}次会议"
/// (the most common forms). A name that does not read as a session is returned as it is.
/// The letter keeps the session as written; only the facet value is this key.
pub fn session_key(session: &str) -> String {
    let short = session
        .trim()
        .replace("中国人民政治协商会议", "政协")
        .replace("政治协商会议", "政协")
        .replace("人民代表大会", "人大")
        .replace("常务委员会", "常委会");
    let Some(c) = SESSION_PARTS.captures(&short) else {
        return session.trim().to_string();
    };
    let place = c.name("place").map_or("", |m| m.as_str());
    let body = c
        .name("before")
        .or(c.name("after"))
        .or(c.name("lead"))
        .map_or("", |m| m.as_str());
    let (term, meeting) = (&c["term"], &c["meeting"]);
    let rest = &c["rest"];
    if body.is_empty() {
        return session.trim().to_string();
    }
    if body.ends_with("政协") {
        format!("{place}{body}第{term}届第{meeting}次会议{rest}")
    } else {
        format!("{place}第{term}届{body}第{meeting}次会议{rest}")
    }
}

static PROPOSAL_NO: LazyLock<Regex> = LazyLock::new(|| {
    let no = r"[A-Za-z]{0,4}\d{1,14}";
    let pattern = [
        // 第20240294号建议, 第123号代表建议, 第10号议事原案
        format!(r"第\s*(?P<a>{no})\s*号(?:代表)?(?:建议|提案|议案|议事原案|建设)"),
        // 代表建议第0043号, 提案第21号, 建议号:201号
        format!(r"(?:建议|提案|议案)(?:号\s*:)?\s*第?\s*(?P<b>{no})\s*号"),
        // (第26号), (第240号提案)
        format!(r"[(（]第\s*(?P<c>{no})\s*号(?:建议|提案|议案)?[)）]"),
        // 第2024087号《关于...的建议》, 第16号“关于...的建议”
        format!(r#"第\s*(?P<d>{no})\s*号\s*[《“"][^》”"]{{1,150}}(?:建议|提案|议案)[》”"]"#),
        // 会议56号代表建议, 会议温36号建议
        format!(
            r"会议(?:上提出的)?(?P<e>[^\s第议的上中会期届次号\d]?{no})\s*号(?:代表)?(?:建议|提案)"
        ),
        // 《...》(10号)
        format!(r"》\s*[(（]第?\s*(?P<f>{no})\s*号[)）]"),
    ]
    .join("|");
    Regex::new(&pattern).expect("valid regex")
});

/// The number the letter answers, as written ("20240294", "088", "温36").
fn find_proposal_no(region: &str) -> Option<String> {
    PROPOSAL_NO.captures_iter(region).find_map(|c| {
        ["a", "b", "c", "d", "e", "f"]
            .iter()
            .find_map(|g| c.name(g))
            .map(|m| m.as_str().to_string())
            .filter(|s| !s.chars().next().is_some_and(crate::text::is_han) || s.chars().count() > 1)
    })
}

static BRACKET_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"《(?P<t>[^《》\n]{2,150}?(?:建议|提案|议案))》").expect("valid regex")
});
static PLAIN_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:提出|所提|提)(?:了|的)?[“"]?(?P<t>关于[^。;:《》\n]{2,100}?的(?:建议|提案|议案))"#,
    )
    .expect("valid regex")
});

/// The title of the suggestion or proposal answered, without 《》.
fn find_proposal_title(text: &str) -> Option<String> {
    if let Some(c) = BRACKET_TITLE.captures(text) {
        return Some(c["t"].to_string());
    }
    let c = PLAIN_TITLE.captures(text)?;
    let t = c["t"].trim_end_matches(['”', '"']).to_string();
    // An unbalanced quote means the match ran across a quoted fragment.
    (t.matches('“').count() == t.matches('”').count()).then_some(t)
}

fn find_kind(
    head: &str,
    intro: &str,
    addressee: Option<&str>,
    session: Option<&str>,
) -> Option<String> {
    let all = format!("{head}\n{intro}");
    if head.contains("留言") || head.contains("网友") || head.contains("网民") {
        return Some("留言".into());
    }
    let (mut jianyi, mut tian) = (0, 0);
    match session {
        Some(s) if s.contains("政协") || s.contains("政治协商") => tian += 3,
        Some(_) => jianyi += 3,
        None => {}
    }
    if all.contains("政协") {
        tian += 2;
    }
    if all.contains("人大") || all.contains("人民代表大会") {
        jianyi += 2;
    }
    if all.contains("提案") {
        tian += 2;
    }
    if all.contains("建议") {
        jianyi += 1;
    }
    match addressee {
        Some(a) if a.ends_with("委员") || a.ends_with("委员们") => tian += 2,
        Some(a) if a.ends_with("代表") || a.ends_with("代表团") || a.ends_with("常委") => {
            jianyi += 2
        }
        _ => {}
    }
    if head.contains("议案") && !head.contains("建议") && tian == 0 {
        return Some("议案".into());
    }
    match jianyi.cmp(&tian) {
        std::cmp::Ordering::Greater => Some("建议".into()),
        std::cmp::Ordering::Less => Some("提案".into()),
        // No signal, or conflicting ones: the caller decides ("other").
        std::cmp::Ordering::Equal => None,
    }
}

static INLINE_DATE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<d>(?:\d{4}|[〇○零0一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}[日号])",
        r"\s*\|?$"
    ))
    .expect("valid regex")
});

/// The letter's date and, when it stands on its own line, that line's index.
///
/// Only the closing area counts: dates in the body are usually events, not the date of
/// the letter.
fn find_date(lines: &[&str]) -> (Option<String>, Option<usize>) {
    let start = lines.len().saturating_sub(8);
    for i in (start..lines.len()).rev() {
        if let Some(d) = parse_date_line(lines[i]) {
            return (Some(d), Some(i));
        }
    }
    let start = lines.len().saturating_sub(3);
    for i in (start..lines.len()).rev() {
        if let Some(c) = INLINE_DATE_END.captures(lines[i])
            && let Some(d) = parse_cn_date(&c["d"])
        {
            return (Some(d), None);
        }
    }
    (None, None)
}

static DATE_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d{6,8}|[\d〇○零一二三四五六七八九十lIOo]{4}年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{0,3}日?)\s*\|?$")
        .expect("valid regex")
});

static SIGNATURE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:承办单位|办理单位|答复单位|联系单位|单位)\s*:\s*").expect("valid regex")
});

fn find_respondent(
    lines: &[&str],
    date_line: Option<usize>,
    title: Option<&str>,
) -> Option<String> {
    if let Some(d) = date_line {
        for back in 1..=2 {
            let Some(line) = d.checked_sub(back).map(|i| lines[i]) else {
                break;
            };
            let name = SIGNATURE_PREFIX.replace(line, "");
            if is_org_like(&name) {
                return Some(name.into_owned());
            }
            // One label line ("领导签字:") may sit between the signature and the date.
            if !(line.ends_with(':') && line.chars().count() <= 10) {
                break;
            }
        }
    } else if let Some(last) = lines
        .iter()
        .rev()
        .take(3)
        .find(|l| INLINE_DATE_END.is_match(l))
    {
        let before = INLINE_DATE_END.replace(last, "");
        let tail = before
            .rsplit(['。', '!', '?', ';', ':', ','])
            .next()
            .unwrap_or("")
            .trim();
        if is_org_like(tail) {
            return Some(tail.to_string());
        }
    }
    if let Some(c) = title.and_then(|t| ORG_THEN_SUBJECT.captures(t)) {
        return Some(c["org"].to_string());
    }
    lines.iter().rev().take(6).find_map(|l| {
        l.strip_prefix("承办单位:")
            .map(str::trim)
            .filter(|n| is_org_like(n))
            .map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::super::clean::clean_text;
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn one_key_for_each_spelling_of_a_session() {
        // Spellings seen in the corpus, grouped by the session they name.
        let groups: &[(&str, &[&str])] = &[
            (
                "云南省第十二届人大第五次会议",
                &[
                    "云南省第十二届人大五次会议",
                    "云南省第十二届人大第五次会议",
                    "云南省十二届人民代表大会第五次会议",
                ],
            ),
            (
                "中牟县第十五届人大第三次会议",
                &[
                    "中牟县人大十五届三次会议",
                    "中牟县人大第十五届第三次会议",
                    "中牟县十五届人大三次会议",
                ],
            ),
            (
                "屏边县政协第九届第五次会议",
                &[
                    "政协屏边县九届五次会议",
                    "屏边县政协九届五次会议",
                    "政协屏边县第九届委员会第五次会议",
                    "中国人民政治协商会议屏边县第九届委员会第五次会议",
                ],
            ),
            ("第十届全国人大第四次会议", &["十届全国人大四次会议"]),
            ("全国政协第十届第三次会议", &["全国政协十届三次会议"]),
            ("君山区政协第五届第二次会议", &["君山区五届政协二次会议"]),
            (
                "深圳市第七届人大常委会第五次会议",
                &[
                    "深圳市七届人大常委会五次会议",
                    "深圳市第七届人民代表大会常务委员会第五次会议",
                ],
            ),
            (
                "广州市第十四届人大第三次会议闭会期间",
                &["广州市十四届人大三次会议闭会期间"],
            ),
        ];
        for (key, spellings) in groups {
            for spelling in *spellings {
                assert_eq!(session_key(spelling), *key, "{spelling}");
            }
        }
        // Names that do not read as a session stay as they are.
        for other in ["寻甸县政协第九届委员会", "十堰市", ""] {
            assert_eq!(session_key(other), other);
        }
        // Different sessions stay apart.
        assert_ne!(
            session_key("姚安县十八届人大二次会议"),
            session_key("姚安县十七届人大二次会议")
        );
        assert_ne!(
            session_key("姚安县十八届人大二次会议"),
            session_key("姚安县十八届政协二次会议")
        );
    }

    #[test]
    fn futian_letter_fields() {
        let raw = include_str!("testdata/futian-fgj-reply-20240294.txt");
        let f = extract_fields(&clean_text(raw));
        assert_eq!(
            f,
            ExtractedFields {
                kind: s("建议"),
                proposal_no: s("20240294"),
                session: s("深圳市福田区第八届人民代表大会第四次会议"),
                proposal_title: s("关于致力形成福田区优势生产力的建议"),
                respondent: s("福田区发展和改革局"),
                addressee: s("周常委"),
                date: s("2024-06-12"),
                title: s("福田区发展和改革局对福田区八届人大四次会议第20240294号建议的答复函"),
                title_lines: Some(0..2),
            }
        );
    }

    struct Expect {
        id: &'static str,
        kind: Option<String>,
        proposal_no: Option<String>,
        session: Option<String>,
        proposal_title: Option<String>,
        respondent: Option<String>,
        addressee: Option<String>,
        date: Option<String>,
        title: Option<String>,
    }

    /// Expected values checked by reading each letter. None where the letter does not
    /// state the value (or states it too garbled to read safely), notably:
    /// - pages-75670da02ab0 has no salutation, heading, signature or date;
    /// - pages-cdd45099d930 and pages-7ece37193a31 end with run-together dates
    ///   ("2023526", "2023108") that are ambiguous or lossy, so no date;
    /// - pages-b406baffe9be: the proposal title has an unbalanced quote, and no
    ///   signature; pages-c7e7fc33fdb1 has no signature.
    ///
    /// Values are as written in the letter: e.g. the 新密 letter signs with three bodies
    /// separated by spaces, which cleaning removes between Chinese characters.
    fn expectations() -> Vec<Expect> {
        vec![
            Expect {
                id: "pages-145abd4f9386",
                kind: s("建议"),
                proposal_no: None,
                session: None,
                proposal_title: s("关于新密市老旧小区改造加装电梯的建议"),
                respondent: s("市自然资源和规划局市市场监督管理局市房地产服务中心"),
                addressee: s("张明魁代表"),
                date: s("2020-10-12"),
                title: None,
            },
            Expect {
                id: "pages-75670da02ab0",
                kind: s("提案"),
                proposal_no: None,
                session: None,
                proposal_title: s("关于在步行街南段修建机械式立体停车场,缓解停车压力的建议"),
                respondent: None,
                addressee: None,
                date: None,
                title: None,
            },
            Expect {
                id: "pages-afac0bff63a7",
                kind: s("建议"),
                proposal_no: s("091"),
                session: s("十堰市人大第五届五次会议"),
                proposal_title: s("关于加快小区配套幼儿园移交、投入使用的建议"),
                respondent: s("十堰市茅箭区人民政府"),
                addressee: s("沈培军代表"),
                date: s("2021-07-09"),
                title: s("十堰市茅箭区人民政府关于对市五届人大五次会议第91号建议的答复"),
            },
            Expect {
                id: "pages-b406baffe9be",
                kind: s("提案"),
                proposal_no: s("27"),
                session: s("政协沧县第十四届委员会第一次会议"),
                proposal_title: None,
                respondent: None,
                addressee: s("陈国兴、刘铭、张雯委员"),
                date: s("2017-07-04"),
                title: s("对政协沧县第十四届委员会第一次会议27号提案的答复"),
            },
            Expect {
                id: "pages-c7e7fc33fdb1",
                kind: s("建议"),
                proposal_no: s("69"),
                session: s("华容县十七届人大一次会议"),
                proposal_title: s("关于在高速华容西出口修建公厕的建议"),
                respondent: None,
                addressee: s("袁同炎代表"),
                date: s("2017-05-26"),
                title: s("对华容县十七届人大一次会议第69号建议的回复"),
            },
            Expect {
                id: "pages-1bcf9f787027",
                kind: s("建议"),
                proposal_no: s("0043"),
                session: s("常州市十五届人大四次会议"),
                proposal_title: s("关于加强西林地区公交设施建设的建议"),
                respondent: s("常州市交通运输局"),
                addressee: s("徐亚红代表"),
                date: s("2015-06-02"),
                title: s("关于对常州市十五届人大四次会议代表建议第0043号的答复"),
            },
            Expect {
                id: "pages-1a4d439ce1a1",
                kind: s("建议"),
                proposal_no: None,
                session: None,
                proposal_title: s("关于解决困难群体中“特殊人群”最低保障问题的建议"),
                respondent: s("抚顺市民政局"),
                addressee: s("郭宏杰代表"),
                date: s("2018-04-03"),
                title: None,
            },
            Expect {
                id: "pages-cdd45099d930",
                kind: s("提案"),
                proposal_no: s("178"),
                session: s("区政协三届二次会议"),
                proposal_title: s("关于在郭扶场镇安装路灯的建议"),
                respondent: s("重庆市綦江区郭扶镇人民政府"),
                addressee: s("黎媛委员"),
                date: None,
                title: s("重庆市綦江区郭扶镇人民政府关于区政协三届二次会议第178号提案的复函"),
            },
            Expect {
                id: "pages-e6777df4be86",
                kind: s("建议"),
                proposal_no: s("86"),
                session: s("县十六届人大三次会议"),
                proposal_title: s("关于环保部门加大环境污染整治力度的建议"),
                respondent: s("阜蒙县环境保护局"),
                addressee: s("刘云良代表"),
                date: s("2020-04-27"),
                title: s(
                    "县十六届人大三次会议《关于环保部门加大环境污染整治力度的建议》(第86号)的答复函",
                ),
            },
            Expect {
                id: "pages-7bbd66e925f4",
                kind: s("建议"),
                proposal_no: s("652042"),
                session: s("海南省六届人大五次会议"),
                proposal_title: s("关于加快实施G98环岛高速仙沟互通改造升级的建议"),
                respondent: s("海南省交通运输厅"),
                addressee: s("张国胜代表"),
                date: s("2022-06-29"),
                title: s("关于海南省六届人大五次会议代表建议第652042号办理情况的答复(B)"),
            },
            Expect {
                id: "pages-b4fe4d2d8049",
                kind: s("建议"),
                proposal_no: s("温36"),
                session: s("省十三届人大一次会议"),
                proposal_title: s(
                    "关于要求将文成铜岭山-泰顺司前-百丈-筱村-泗溪-雅阳-福建福鼎管阳的南北旅游大通道增补为规划省道的建议",
                ),
                respondent: s("浙江省交通运输厅"),
                addressee: s("蓝德云代表"),
                date: s("2018-07-11"),
                title: s("关于省十三届人大一次会议温36号建议的答复[浙交建〔2018〕101号]"),
            },
            Expect {
                id: "pages-057005a1929d",
                kind: s("建议"),
                proposal_no: s("1192"),
                session: s("本溪市第十六届人民代表大会第一次会议"),
                proposal_title: s("关于在全市农村集中居住地推广天然气取暖的建议"),
                respondent: s("本溪市住房和城乡建设委员会"),
                addressee: s("孙立国代表"),
                date: s("2018-03-01"),
                title: s(
                    "本溪市住房和城乡建设委员会关于对本溪市第十六届人民代表大会第一次会议第1192号建议办理情况的答复",
                ),
            },
            Expect {
                id: "pages-6252bdb1a6ce",
                kind: s("建议"),
                proposal_no: s("20230158"),
                session: s("深圳市龙华区二届人大三次会议"),
                proposal_title: s("关于解决人员密集区电动车充电问题的建议"),
                respondent: s("深圳市龙华区观澜街道办事处"),
                addressee: s("尚路鹏(等4位)代表"),
                date: s("2023-07-03"),
                title: s(
                    "深圳市龙华区观澜街道关于深圳市龙华区二届人大三次会议第20230158号建议答复的函",
                ),
            },
            Expect {
                id: "pages-6fc8d09bf75c",
                kind: s("建议"),
                proposal_no: s("71"),
                session: s("市七届人大五次会议"),
                proposal_title: s("关于改善神农卫生院就医环境的建议"),
                respondent: s("高平市卫生健康和体育局"),
                addressee: s("王爱珍代表"),
                date: s("2023-06-29"),
                title: s("高平市卫生健康和体育局关于对市七届人大五次会议第71号建议的答复"),
            },
            Expect {
                id: "pages-8268c63d19f3",
                kind: s("建议"),
                proposal_no: s("1"),
                session: s("镇十八届人大七次会议"),
                proposal_title: s("关于继续开放沈荡小学操场的建议"),
                respondent: s("海盐县沈荡镇人民政府"),
                addressee: s("金群霞代表"),
                date: s("2025-07-25"),
                title: None,
            },
            Expect {
                id: "pages-dd4adbc0008f",
                kind: s("提案"),
                proposal_no: None,
                session: None,
                proposal_title: s("关于建设公益性墓地的提案"),
                respondent: s("新郑市民政局"),
                addressee: s("赵舒琪、陈弘毅委员"),
                date: s("2017-06-29"),
                title: s("关于对建设公益性墓地的提案答复的函(编号:B〔2017〕062号)"),
            },
            Expect {
                id: "pages-cbed1e924328",
                kind: s("提案"),
                proposal_no: s("091"),
                session: s("岳阳市政协七届四次会议"),
                proposal_title: s("关于公交候车亭亮化的建议"),
                respondent: s("岳阳经济技术开发区建设交通局"),
                addressee: s("彭岳斌委员"),
                date: s("2016-07-04"),
                title: s("对岳阳市政协七届四次会议第091号提案的答复"),
            },
            Expect {
                id: "govcn-5351598",
                kind: s("提案"),
                proposal_no: s("4626"),
                session: s("全国政协十届四次会议"),
                proposal_title: s("关于设立总理热线电话的提案"),
                respondent: s("国务院办公厅"),
                addressee: s("王超斌委员"),
                date: s("2006-10-18"),
                title: s("国务院办公厅对全国政协十届四次会议第4626号提案的答复"),
            },
            Expect {
                id: "govcn-5351596",
                kind: s("建议"),
                proposal_no: s("7240"),
                session: s("十届全国人大四次会议"),
                proposal_title: s("关于创立免费查询所有法律、法规的政府网站的建议"),
                respondent: s("国务院办公厅"),
                addressee: s("周桂英等代表"),
                date: s("2006-09-07"),
                title: s("国务院办公厅对十届全国人大四次会议第7240号建议的答复"),
            },
            Expect {
                id: "pages-508c4dee3524",
                kind: s("建议"),
                proposal_no: s("JY100012050700"),
                session: s("云南省第十二届人大第五次会议"),
                proposal_title: s("关于加大对砚山承接产业加工区支持力度的建议"),
                respondent: s("云南省工业和信息化委"),
                addressee: s("李红等8名代表"),
                date: s("2017-05-11"),
                title: s("对云南省第十二届人大第五次会议第JY100012050700号建议的答复"),
            },
            Expect {
                id: "pages-1f42711bf684",
                kind: s("提案"),
                proposal_no: s("116"),
                session: s("政协马关县第十届五次会议"),
                proposal_title: s("关于对南捞乡小麻栗坡革命老区旧址进行修缮所需经费的提案"),
                respondent: s("南捞乡人民政府"),
                addressee: s("县政协民族和宗教委、黄洪强委员"),
                date: s("2021-06-28"),
                title: s("南捞乡人民政府关于政协马关县第十届五次会议第116号提案的答复函"),
            },
            Expect {
                id: "pages-7ece37193a31",
                kind: s("建议"),
                proposal_no: s("7"),
                session: s("县十一届人大四次会议"),
                proposal_title: s("关于尽快创办三交镇九年一贯寄宿制学校的建议"),
                respondent: s("柳林县教育科技局"),
                addressee: s("贾银连等16名代表"),
                date: None,
                title: s("柳林县教育科技局关于对县十一届人大四次会议第7号建议的答复"),
            },
            Expect {
                id: "pages-dbff6d04a8aa",
                kind: s("提案"),
                proposal_no: s("49"),
                session: s("政协盐池县第十届委员会五次会议"),
                proposal_title: s("关于更新补充农村中小学适用图书的建议"),
                respondent: s("盐池县教育体育局"),
                addressee: s("贺文国、佟金菊委员"),
                date: s("2021-10-22"),
                title: s("盐池县教育体育局关于对政协盐池县第十届委员会五次会议49号提案的答复函"),
            },
            Expect {
                id: "pages-7e36e71e2a43",
                kind: s("建议"),
                proposal_no: s("110"),
                session: s("县十七届人民代表大会第三次会议"),
                proposal_title: s("关于给予九甲镇“云上九甲、十里栈道”项目建设资金支持的建议"),
                respondent: s("镇沅彝族哈尼族拉祜族自治县文化和旅游局"),
                addressee: s("肖海代表"),
                date: s("2019-08-03"),
                title: s(
                    "镇沅彝族哈尼族拉祜族自治县文化和旅游局关于县十七届人民代表大会第三次会议第110号代表建议办理情况的答复函",
                ),
            },
            Expect {
                id: "pages-e598127a2bd7",
                kind: s("建议"),
                proposal_no: s("台52"),
                session: s("省十三届人大一次会议"),
                proposal_title: s("关于提请协助解决仙居县公路项目部分建设资金的建议"),
                respondent: s("浙江省交通运输厅"),
                addressee: s("王均淼代表"),
                date: s("2018-07-03"),
                title: s("关于省十三届人大一次会议台52号建议的答复[浙交建〔2018〕68号]"),
            },
        ]
    }

    #[test]
    fn real_letters_fields() {
        let data = include_str!("testdata/letters.jsonl");
        let table = expectations();
        assert!(table.len() >= 20);
        let mut checked = 0;
        for line in data.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = v["id"].as_str().unwrap();
            let e = table
                .iter()
                .find(|e| e.id == id)
                .expect("letter has an expectation");
            let f = extract_fields(&clean_text(v["text"].as_str().unwrap()));
            let want = ExtractedFields {
                kind: e.kind.clone(),
                proposal_no: e.proposal_no.clone(),
                session: e.session.clone(),
                proposal_title: e.proposal_title.clone(),
                respondent: e.respondent.clone(),
                addressee: e.addressee.clone(),
                date: e.date.clone(),
                title: e.title.clone(),
                // Checked where it matters: the title reads the same lines.
                title_lines: f.title_lines.clone(),
            };
            assert_eq!(f, want, "letter {id}");
            checked += 1;
        }
        assert_eq!(checked, table.len());
    }

    #[test]
    fn dates() {
        let cases = [
            ("2024年6月12日", s("2024-06-12")),
            ("2024 年 6 月 12 日", s("2024-06-12")),
            ("2024-6-12", s("2024-06-12")),
            ("2024.06.12", s("2024-06-12")),
            ("2024/6/12", s("2024-06-12")),
            ("二〇二四年六月十二日", s("2024-06-12")),
            ("二○二四年六月十二日", s("2024-06-12")),
            ("二〇一七年六月二十九日", s("2017-06-29")),
            ("二〇二〇年十月三十一日", s("2020-10-31")),
            ("2024年2月29日", s("2024-02-29")),
            ("2024年06月", None),
            ("2024年2月30日", None),
            ("2023年2月29日", None),
            ("2024年13月1日", None),
            ("2024年0月1日", None),
            ("2024-04-31", None),
            ("二〇二四年十三月一日", None),
            ("二〇二四年二月三十日", None),
            ("24年6月12日", None),
            ("", None),
            ("2024年6月12日上午", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_cn_date(input), want, "{input:?}");
        }
    }

    #[test]
    fn date_lines() {
        assert_eq!(parse_date_line("2020年4月27"), s("2020-04-27"));
        assert_eq!(parse_date_line("20l6年7月4日"), s("2016-07-04"));
        assert_eq!(parse_date_line("二0一七年五月二十六日"), s("2017-05-26"));
        assert_eq!(parse_date_line("20241018"), s("2024-10-18"));
        assert_eq!(parse_date_line("2023108"), None);
        assert_eq!(parse_date_line("2021年7月15日 |"), s("2021-07-15"));
        assert_eq!(parse_date_line("12"), None);
    }

    #[test]
    fn as_written_maps_folded_values_back() {
        let original = "尊敬的周常委：\n关于（一期）工程\n的答复ＡＢ";
        let folded = fold_width_str(original);
        let w = AsWritten::new(&folded, original);
        assert_eq!(w.of("周常委").as_deref(), Some("周常委"));
        assert_eq!(w.of("尊敬的周常委:").as_deref(), Some("尊敬的周常委："));
        // Joined over a line break, as a wrapped heading is.
        assert_eq!(
            w.of("关于(一期)工程的答复AB").as_deref(),
            Some("关于（一期）工程的答复ＡＢ")
        );
        assert_eq!(w.of("不在其中"), None);
        assert_eq!(w.of(""), None);
    }

    #[test]
    fn values_are_read_on_folded_text_and_kept_as_written() {
        let text = "某某局关于（二期）道路的答复\n尊敬的张三委员：\n您提出的《关于修路（一期）的提案》收悉，现答复如下：\n我们会修。\n某某县交通运输局\n２０２３年５月６日";
        let f = extract_fields(text);
        assert_eq!(f.addressee, s("张三委员"));
        assert_eq!(f.proposal_title, s("关于修路（一期）的提案"));
        assert_eq!(f.title, s("某某局关于（二期）道路的答复"));
        assert_eq!(f.title_lines, Some(0..1));
        assert_eq!(f.respondent, s("某某县交通运输局"));
        assert_eq!(f.date, s("2023-05-06"));
        assert_eq!(f.kind, s("提案"));
        // The same letter in half-width reads the same fields, in half-width.
        let half = extract_fields(&fold_width_str(text));
        assert_eq!(half.title, s("某某局关于(二期)道路的答复"));
        assert_eq!(
            ExtractedFields {
                title: f.title.clone(),
                proposal_title: f.proposal_title.clone(),
                ..half
            },
            f
        );
    }

    #[test]
    fn minimal_letters() {
        let f = extract_fields(
            "尊敬的张三委员:\n您提出的关于修路的提案收悉,现答复如下:\n我们会修。\n某某县交通运输局\n2023年5月6日",
        );
        assert_eq!(f.kind, s("提案"));
        assert_eq!(f.addressee, s("张三委员"));
        assert_eq!(f.proposal_title, s("关于修路的提案"));
        assert_eq!(f.respondent, s("某某县交通运输局"));
        assert_eq!(f.date, s("2023-05-06"));
        assert_eq!(f.proposal_no, None);
        assert_eq!(f.title, None);
        assert_eq!(extract_fields(""), ExtractedFields::default());
        // A 文号 is not a proposal number.
        let f = extract_fields("某局文件〔2024〕12号\n李四代表:\n您的建议收悉。");
        assert_eq!(f.proposal_no, None);
    }
}
