//! Web page furniture in the head of letters saved from portal pages.
//!
//! A letter copied from a government portal often carries the page's metadata and controls
//! above the letter: `来源:金平县民政局 发布日期:2025-12-24 浏览次数:`, `字号:[ ]`,
//! `【字体:大 中 小】`, `索引号 | … | 主题分类 | 教育 |`, label lines whose value stands on
//! the next line (`来源:` / `湘阴县人民政府`). None of it is the letter, so it is removed.
//!
//! The rule is narrow on purpose: only lines before the salutation or the first body
//! sentence, and only lines made entirely of known portal labels with short values (no
//! sentence punctuation, no heading words). Headings, document numbers (晋教体复〔2019〕26号),
//! salutations and 签发人/类别 lines are letter text and stay. Decisions are taken on the
//! width-folded form of each line.

use std::sync::LazyLock;

use regex::Regex;

use super::lines::{is_body_start, is_org_like, salutation_addressee};
use crate::text::fold_width_str;

/// Lines looked at for furniture when no salutation or body sentence comes earlier.
const HEAD_LINES: usize = 30;
/// Longest value (in chars) a furniture label may carry.
const MAX_VALUE_CHARS: usize = 40;

/// What a label's value is, which decides what a value on the next line may look like.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// An organisation or a category (来源, 发布机构, 主题分类).
    Text,
    /// A date and time (发布时间, 日期).
    Date,
    /// A view counter (浏览次数, 点击).
    Count,
    /// An index code (索引号).
    Code,
    /// A document number (文号): its value is letter text and never taken from the next line.
    DocNo,
    /// Font size or colour controls (字体, 字号, 背景色).
    Font,
    /// A page action without value (打印, 关闭, 分享到).
    Action,
}

/// Portal labels. Strong labels are unambiguous and may run straight into their value
/// (`发布机构弥勒市工商信局`); weak ones are ordinary words and count as labels only before a
/// colon (`办日期:2024年01月10日`: cleaning removes the spaces between Chinese text) or
/// between separators (`点击 [] 打印`).
const LABELS: &[(&str, Kind, bool)] = &[
    ("信息来源", Kind::Text, true),
    ("文章来源", Kind::Text, true),
    ("来源于", Kind::Text, true),
    ("来源", Kind::Text, false),
    ("来自", Kind::Text, false),
    ("发布机构", Kind::Text, true),
    ("发布单位", Kind::Text, true),
    ("发布人", Kind::Text, true),
    ("发文机构", Kind::Text, true),
    ("发文机关", Kind::Text, true),
    ("作者", Kind::Text, false),
    ("体裁分类", Kind::Text, true),
    ("主题分类", Kind::Text, true),
    ("组配分类", Kind::Text, true),
    ("公开目录", Kind::Text, true),
    ("公开方式", Kind::Text, true),
    ("公开范围", Kind::Text, true),
    ("公文时效", Kind::Text, true),
    ("责任编辑", Kind::Text, true),
    ("有效性", Kind::Text, true),
    ("主题词", Kind::Text, true),
    ("发布时间", Kind::Date, true),
    ("发布日期", Kind::Date, true),
    ("发表时间", Kind::Date, true),
    ("更新时间", Kind::Date, true),
    ("编稿时间", Kind::Date, true),
    ("创建时间", Kind::Date, true),
    ("发文日期", Kind::Date, true),
    ("成文日期", Kind::Date, true),
    ("生成日期", Kind::Date, true),
    ("公开日期", Kind::Date, true),
    ("著录日期", Kind::Date, true),
    ("废止日期", Kind::Date, true),
    ("时间", Kind::Date, false),
    ("日期", Kind::Date, false),
    ("浏览次数", Kind::Count, true),
    ("浏览量", Kind::Count, true),
    ("浏览", Kind::Count, false),
    ("访问次数", Kind::Count, true),
    ("访问量", Kind::Count, true),
    ("阅读次数", Kind::Count, true),
    ("阅读量", Kind::Count, true),
    ("阅读", Kind::Count, false),
    ("点击次数", Kind::Count, true),
    ("点击量", Kind::Count, true),
    ("点击率", Kind::Count, true),
    ("点击数", Kind::Count, true),
    ("点击", Kind::Count, false),
    ("索引号", Kind::Code, true),
    ("发文字号", Kind::DocNo, true),
    ("文号", Kind::DocNo, false),
    ("字体大小", Kind::Font, true),
    ("文字大小", Kind::Font, true),
    ("背景色", Kind::Font, true),
    ("字体", Kind::Font, false),
    ("字号", Kind::Font, false),
    ("打印本页", Kind::Action, true),
    ("关闭本页", Kind::Action, true),
    ("关闭窗口", Kind::Action, true),
    ("分享到", Kind::Action, true),
    ("打印", Kind::Action, false),
    ("关闭", Kind::Action, false),
    ("分享", Kind::Action, false),
    ("收藏", Kind::Action, false),
];

/// Any label, longest alternatives first; spaces may sit between a label's chars
/// (`索 引 号`, `文      号`).
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    let mut labels: Vec<&str> = LABELS.iter().map(|(l, _, _)| *l).collect();
    labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
    let alternatives: Vec<String> = labels
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| regex::escape(&c.to_string()))
                .collect::<Vec<_>>()
                .join(r"\s*")
        })
        .collect();
    Regex::new(&format!("(?:{})", alternatives.join("|"))).expect("valid regex")
});

/// Chars that separate furniture items and carry nothing themselves.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '|' | '•' | '·' | '-' | '*' | '>' | '[' | ']' | '【' | '】' | '(' | ')' | ':'
        )
}

/// A date and time at the start of a line (`2017-12-16 00:00:00`).
static DATE_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{1,2}(?::\d{1,2})?)?",
    )
    .expect("valid regex")
});
/// A date value, possibly cut (`2019-11-29 08:22`, `2021年09月30日 17:08:57`).
static DATE_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\d\s:/.\-年月日]*\d[\d\s:/.\-年月日]*$").expect("valid regex"));
static COUNT_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d+\s*次?$").expect("valid regex"));
static CODE_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9A-Za-z][0-9A-Za-z\-/.]*$").expect("valid regex"));
/// Font size, colour and layout controls left as lines of their own (`大`, `A+ A A-`, `]`).
static CONTROLS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[\s|\-\[\]【】()]|大|中|小|默认|A\+|A-|A)+$").expect("valid regex")
});
/// Controls that cannot be anything else, wherever they stand in the head.
static SURE_CONTROLS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"A\+|A-|大\s*中\s*小").expect("valid regex"));
/// A document number: 晋教体复〔2019〕26号, 建议字[2019]3号.
static DOC_NO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[〔\[【(﹝]\s*\d{4}\s*[〕\]】)﹞]\s*[\dA-Za-z]*\s*号").expect("valid regex")
});
/// Words of a heading, a salutation or a body sentence: never in a furniture value.
static LETTER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"答复|复函|回复|的函|关于|尊敬|收悉|如下|[。,;!?《》“”]").expect("valid regex")
});
/// An unknown label inside a value (`名称:`): the line is some other table.
static OTHER_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{Han}\s*:").expect("valid regex"));

/// One label found in a line, with its value.
struct Item<'a> {
    kind: Kind,
    value: &'a str,
}

/// The label:value items a (width-folded) line is made of, or None if the line holds
/// anything else: text before the first label other than a date or a site's name, a value
/// that is too long, contains sentence punctuation or heading words, or another label.
fn furniture_items(line: &str) -> Option<Vec<Item<'_>>> {
    if line.contains(['。', ',', ';', '!', '?']) {
        return None;
    }
    let mut labels: Vec<(usize, usize, Kind)> = Vec::new();
    for m in LABEL.find_iter(line) {
        let compact: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
        let &(_, kind, strong) = LABELS.iter().find(|(l, _, _)| *l == compact)?;
        if !strong {
            let rest = line[m.end()..].trim_start();
            let before = line[..m.start()].chars().next_back();
            let after = line[m.end()..].chars().next();
            let bounded = before.is_none_or(|c| is_separator(c) || c.is_ascii_digit())
                && after.is_none_or(is_separator);
            if !(rest.starts_with(':') || bounded) {
                continue;
            }
        }
        labels.push((m.start(), m.end(), kind));
    }
    let first = labels.first()?;
    let prefix = line[..first.0].trim_matches(is_separator);
    if !prefix.is_empty() && !is_site_prefix(prefix) {
        return None;
    }
    let several = labels.len() >= 2;
    let mut items = Vec::with_capacity(labels.len());
    for (k, &(_, end, kind)) in labels.iter().enumerate() {
        let stop = labels.get(k + 1).map_or(line.len(), |l| l.0);
        let value = line[end..stop].trim_matches(is_separator);
        if !value.is_empty() {
            // A document number is letter text, unless a row of portal metadata names it.
            let doc_no_ok = kind == Kind::DocNo && several;
            if value.chars().count() > MAX_VALUE_CHARS
                || LETTER_WORDS.is_match(value)
                || OTHER_LABEL.is_match(value)
                || (DOC_NO.is_match(value) && !doc_no_ok)
            {
                return None;
            }
        }
        items.push(Item { kind, value });
    }
    Some(items)
}

/// Text allowed before the first label: a date and time, then possibly the site's name
/// (`2017-12-16 00:00:00 行政公署办公室 点击:`), or the site's name alone.
fn is_site_prefix(prefix: &str) -> bool {
    let rest = match DATE_TIME.find(prefix) {
        Some(m) => prefix[m.end()..].trim(),
        None => prefix,
    };
    rest.is_empty() || is_org_like(rest)
}

/// True if `line` can be the value of a label of `kind` that stood alone on the line
/// before (`来源:` / `湘阴县人民政府`, `浏览次数:` / `1`).
fn is_value_of(kind: Kind, line: &str) -> bool {
    // A line ending with a colon is a label or a salutation (`自治区住房和城乡建设厅:`).
    if line.contains(':') && (kind == Kind::Text || line.trim_end().ends_with(':')) {
        return false;
    }
    let line = line.trim_matches(is_separator);
    match kind {
        Kind::Date => DATE_VALUE.is_match(line),
        Kind::Count => COUNT_VALUE.is_match(line),
        Kind::Code => CODE_VALUE.is_match(line),
        Kind::Font => CONTROLS.is_match(line),
        Kind::Text => {
            !line.is_empty()
                && line.chars().count() <= MAX_VALUE_CHARS
                && !LETTER_WORDS.is_match(line)
                && !DOC_NO.is_match(line)
                && salutation_addressee(line).is_none()
        }
        Kind::DocNo | Kind::Action => false,
    }
}

/// Where the head ends: the salutation, or the first line that opens the body.
fn head_end(folded: &[String]) -> usize {
    folded
        .iter()
        .take(HEAD_LINES)
        .position(|l| salutation_addressee(l).is_some() || is_body_start(l) || l.contains('。'))
        .unwrap_or(folded.len().min(HEAD_LINES))
}

/// Which lines of a cleaned letter are page furniture (see the module doc).
fn furniture_lines(lines: &[String]) -> Vec<bool> {
    let folded: Vec<String> = lines.iter().map(|l| fold_width_str(l)).collect();
    let mut drop = vec![false; lines.len()];
    // The kind of a label that ended the previous dropped line without a value.
    let mut pending: Option<Kind> = None;
    let mut previous_dropped = false;
    for (i, line) in folded.iter().enumerate().take(head_end(&folded)) {
        let furniture = if let Some(items) = furniture_items(line) {
            pending = items
                .last()
                .filter(|it| it.value.is_empty())
                .map(|it| it.kind);
            true
        } else if pending.is_some_and(|k| is_value_of(k, line)) {
            pending = None;
            true
        } else if CONTROLS.is_match(line) && (previous_dropped || SURE_CONTROLS.is_match(line)) {
            true
        } else {
            pending = None;
            false
        };
        drop[i] = furniture;
        previous_dropped = furniture;
    }
    drop
}

/// Removes page furniture from the head of a letter's lines, unless nothing would be left.
/// Runs on raw lines with blank lines among them (before paragraphs are joined, so
/// that furniture cannot sway how the letter's own lines are joined): blank lines are
/// kept, a removed line leaves at most one blank line in its place.
pub fn drop_furniture_items(items: Vec<String>) -> Vec<String> {
    let content: Vec<String> = items.iter().filter(|l| !l.is_empty()).cloned().collect();
    let drop = furniture_lines(&content);
    if !drop.contains(&true) || drop.iter().all(|&d| d) {
        return items;
    }
    let mut flags = drop.into_iter();
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if item.is_empty() {
            if out.last().is_none_or(|l: &String| !l.is_empty()) {
                out.push(item);
            }
        } else if !flags.next().unwrap_or(false) {
            out.push(item);
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(String::new());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(lines: &[&str]) -> Vec<String> {
        drop_furniture_items(lines.iter().map(|s| s.to_string()).collect())
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// The letter after the furniture: what must stay in every case below.
    const LETTER: [&str; 2] = [
        "李俊委员:",
        "你在政协金平县十一届四次会议提出的建议,现答复如下:",
    ];

    fn with_letter(head: &[&str]) -> Vec<String> {
        let mut all: Vec<&str> = head.to_vec();
        all.extend(LETTER);
        cleaned(&all)
    }

    #[test]
    fn real_furniture_lines_go() {
        let heading = "金平县民政局关于对政协金平县十一届四次会议第15号提案的答复";
        let cases: &[&[&str]] = &[
            &["来源:金平县民政局 发布日期:2025-12-24 浏览次数:"],
            &["浏览:301次 字体:【"],
            &["发布时间:2019-11-25 10:53 浏览次数:205", "字号:[ ]"],
            &[
                "来源:",
                "湘阴县人民政府",
                "发布时间:",
                "2019-11-29 08:22",
                "浏览次数:",
                "1",
            ],
            &[
                "浏览次数: 来源:霍邱县市场监管局(知识产权局) 时间:2023-07-19 16:00 文字大小:[ ] 背景色:",
            ],
            &["2022-06-28 17:28 来源:文山州文化和旅游局 【字体: 打印", "A"],
            &["发布日期:2012-06-14 0:0 作者:xksh 来源:人大办公室 阅读:次 字体大小:[大] [中] [小]"],
            &["来源:农业厅办公室 2017-09-09 16:24:21", "【字体:大 中 小】"],
            &["发布时间:2023-02-24 来源:西畴县人民政府办公室 作者: 【字体:"],
            &[
                "发布时间:2019-08-02 发布机构:林业局 字体:[ 大 中 小]",
                "体裁分类:建议提案办理结果 主题分类:农业、林业、水利 文号:建议字[2019]3号 索引号:000357640/2019-96",
            ],
            &[
                "索引号",
                "K26058142/2021-31318",
                "主题分类",
                "教育",
                "发文日期",
                "2021年09月30日 17:08:57",
                "发布机构",
                "区政府办",
            ],
            &[
                "发布时间:2022-12-08 09:37",
                "浏览次数:1",
                "字号:[",
                "大",
                "中",
                "小",
                "]",
            ],
            &[
                "索引号: | 330803-015/2023-70720 | 组配分类: | 人大代表建议 |",
                "---|---|---|---|",
                "发布机构: | 区教育局 | 发文日期: | 2023-12-18 |",
            ],
            &["来源:新平县文化和旅游局 时间:2024-06-28 10:06   点击率:3打印】【关闭"],
            &["来源:濉溪县公安局发布时间:2025-11-04 15:22"],
            &["• 日期:2025-07-29 16:13", "• 来源:区住房和城乡建设局"],
            &["作者: 来自: 时间:2025-06-30"],
            &["发布时间:   字体: 打印本页 关闭本页"],
            &[
                "来源:  发布日期:2017-11-10 08:45:00  点击量:3196",
                "字体:[ | | ] 分享到:",
                "打印本页",
            ],
            &["索 引 号: 11610000435203931Y/2021-00416 发文字号: 陕文物函〔2021〕372号"],
            &["2017-12-16 00:00:00 行政公署办公室 点击:[] 打印", "分享到:"],
            &["- 发布机构弥勒市工商信局", "- 发布日期2020-12-01"],
            &["作者 :佚名来源 :西双版纳州交通运输局访问次数 : 发布时间 :2017-12-27"],
            &["日期: 2020-11-12浏览量:363来源:阜新蒙古族自治县民宗局责任编辑:张景延文字大小:"],
            &["时间:2019年07月26日 来源:兴庆区住房和城乡建设局"],
            // As the cleaner leaves them: no spaces next to Chinese text.
            &["时间:2019年07月26日来源:兴庆区住房和城乡建设局"],
            &["来源:龙华区观澜街道办日期:2024年01月10日"],
            &["发布日期:2020-12-30浏览量:次来源:剑阁县文化旅游和体育局"],
            &["2017-12-16 00:00:00行政公署办公室点击:[] 打印"],
            // Full-width, as a portal page may be saved.
            &["来源：金平县民政局　发布日期：２０２５-１２-２４　浏览次数："],
        ];
        for head in cases {
            let mut all = vec![heading];
            all.extend_from_slice(head);
            all.extend(LETTER);
            let out = cleaned(&all);
            let mut want = vec![heading.to_string()];
            want.extend(LETTER.iter().map(|s| s.to_string()));
            assert_eq!(out, want, "head {head:?}");
        }
    }

    #[test]
    fn letter_lines_stay() {
        let keep: &[&[&str]] = &[
            // Heading, document numbers, 签发人, 类别 and 公开 marks are the letter's.
            &[
                "对县政协九届二次会议第54号提案的复函",
                "类别:B",
                "签发人:周金辉",
                "鹦政函〔2023〕74号",
            ],
            &["晋教体复〔2019〕26号", "类别:(C)", "公开"],
            &["湘交建议复〔2017〕98号    A类"],
            &["- 文号弥工商信函〔2020〕01号"],
            &["文号:鹦政函〔2023〕74号"],
            // Headings that happen to hold a label word, and other tables.
            &["名称: 关于对宣州区第十三届政治协商会议第四次会议第67号提案的答复 文号:"],
            &["标题:关于对县政协十届二次会议第119号提案的答复"],
            &["信息来源管理办法修订情况的答复"],
            &["无障碍浏览 长者模式"],
            &["宣州区民政局"],
        ];
        for head in keep {
            let out = with_letter(head);
            let mut want: Vec<String> = head.iter().map(|s| s.to_string()).collect();
            want.extend(LETTER.iter().map(|s| s.to_string()));
            assert_eq!(out, want, "head {head:?}");
        }
    }

    #[test]
    fn value_lines_must_fit_their_label() {
        // A letterhead after an empty 文号 or a heading after 浏览次数 is no value.
        let out = with_letter(&["文号", "十堰市茅箭区人民政府"]);
        assert_eq!(out[0], "十堰市茅箭区人民政府");
        let out = with_letter(&["浏览次数:", "对县十八届人大二次会议第68号建议的复函"]);
        assert_eq!(out[0], "对县十八届人大二次会议第68号建议的复函");
        let out = with_letter(&["时间:2020-05-28作者: 来源:", "自治区住房和城乡建设厅:"]);
        assert_eq!(out[0], "自治区住房和城乡建设厅:");
        let out = with_letter(&["点击:", "A"]);
        assert_eq!(out[0], "李俊委员:");
        // A lone A stays unless it follows furniture.
        let out = with_letter(&["关于昆明市晋宁区第二届人大一次会议第23号建议答复的函", "A"]);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn only_the_head_is_looked_at() {
        let lines = [
            "李俊委员:",
            "正文。",
            "来源:金平县民政局 发布日期:2025-12-24",
            "分享到:",
        ];
        assert_eq!(cleaned(&lines), lines);
        // Nothing but furniture: kept rather than leaving an empty letter.
        let only = ["来源:金平县民政局", "发布日期:2025-12-24"];
        assert_eq!(cleaned(&only), only);
    }
}
