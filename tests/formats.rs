//! PDF, DOCX and saved-web-page ingestion, on the fixtures made by
//! scripts/make_fixtures.py (committed; the script is not run here).

use reply_search::ingest::{IngestError, Letter, letter_from_bytes, letter_from_text, scan_corpus};

use crate::util::{self, fixture, futian_text as futian_txt};

const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Character error rate of `got` against `want`: Levenshtein distance over the chars of
/// both texts with all whitespace removed, divided by the length of `want`.
fn cer(want: &str, got: &str) -> f64 {
    let a: Vec<char> = want.chars().filter(|c| !c.is_whitespace()).collect();
    let b: Vec<char> = got.chars().filter(|c| !c.is_whitespace()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()] as f64 / a.len().max(1) as f64
}

#[test]
fn cer_is_edit_distance_per_char() {
    assert_eq!(cer("abcd", "a b c d"), 0.0);
    assert_eq!(cer("abcd", "abxd"), 0.25);
    assert_eq!(cer("abcd", "abd"), 0.25);
    assert_eq!(cer("ab", "abcd"), 1.0);
}

fn assert_futian_fields(l: &Letter, what: &str) {
    assert_eq!(l.kind, "建议", "{what}");
    assert_eq!(l.proposal_no.as_deref(), Some("20240294"), "{what}");
    assert_eq!(
        l.session.as_deref(),
        Some("深圳市福田区第八届人民代表大会第四次会议"),
        "{what}"
    );
    assert_eq!(
        l.proposal_title.as_deref(),
        Some("关于致力形成福田区优势生产力的建议"),
        "{what}"
    );
    assert_eq!(
        l.respondent.as_deref(),
        Some("福田区发展和改革局"),
        "{what}"
    );
    assert_eq!(l.addressee.as_deref(), Some("周常委"), "{what}");
    assert_eq!(l.date.as_deref(), Some("2024-06-12"), "{what}");
}

/// The letter read from `bytes` has the .txt's fields and nearly its text; returns the CER.
fn round_trip(name: &str, content_type: &str) -> f64 {
    let txt = letter_from_text("futian-txt", &futian_txt(), None).unwrap();
    assert_futian_fields(&txt, "txt");
    let got = letter_from_bytes("futian", &fixture(name), content_type, None).unwrap();
    assert_futian_fields(&got, name);
    assert_eq!(got.title, txt.title, "{name}");
    // Running header and page numbers are gone.
    assert!(!got.text.contains("福田区人大代表建议答复"), "{}", got.text);
    assert!(!got.text.lines().any(|l| l.contains("— ")), "{}", got.text);
    let rate = cer(&txt.text, &got.text);
    println!(
        "CER {name}: {:.4} % ({} chars)",
        rate * 100.0,
        txt.text.chars().count()
    );
    assert!(rate < 0.05, "CER {rate} for {name}:\n{}", got.text);
    rate
}

#[test]
fn pdf_round_trip() {
    round_trip("futian-20240294.pdf", PDF);
}

#[test]
fn docx_round_trip() {
    round_trip("futian-20240294.docx", DOCX);
}

#[test]
fn scanned_pdf_has_no_text_layer() {
    let e = letter_from_bytes("scan", &fixture("scanned.pdf"), "pdf", None).unwrap_err();
    assert!(
        matches!(e, IngestError::NoTextLayer { pages: 2, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().starts_with("no text layer (scanned PDF?)"),
        "{e}"
    );
}

#[test]
fn broken_files_are_errors() {
    let e = letter_from_bytes("b", &fixture("broken.pdf"), PDF, None).unwrap_err();
    assert!(matches!(e, IngestError::BadPdf(_)), "{e:?}");
    let e = letter_from_bytes("b", &fixture("broken.docx"), DOCX, None).unwrap_err();
    assert!(matches!(e, IngestError::BadDocx(_)), "{e:?}");
    assert!(e.to_string().contains("not a ZIP archive"), "{e}");
    // A PDF under a .docx name and the reverse.
    assert!(letter_from_bytes("b", &fixture("futian-20240294.pdf"), "docx", None).is_err());
    assert!(letter_from_bytes("b", &fixture("futian-20240294.docx"), "pdf", None).is_err());
}

/// Truncated and corrupted copies of the fixtures: every one is an error or a letter,
/// never a panic.
#[test]
fn corrupted_files_never_panic() {
    for (name, ty) in [("futian-20240294.pdf", PDF), ("futian-20240294.docx", DOCX)] {
        let good = fixture(name);
        let mut seed = 0x9E37_79B9_u32;
        for k in 0..24 {
            let mut bytes = good.clone();
            if k % 3 == 0 {
                bytes.truncate(good.len() * (k + 1) / 25);
            } else {
                for _ in 0..(k * 4) {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let at = seed as usize % bytes.len();
                    bytes[at] = (seed >> 8) as u8;
                }
            }
            let _ = letter_from_bytes("c", &bytes, ty, None);
        }
    }
}

#[test]
fn by_content_type() {
    let txt = futian_txt();
    let html = format!(
        "<html><body><div class=\"nav\"><a>首页</a></div><div id=\"zoom\"><p>{}</p></div></body></html>",
        txt.replace("\n\n", "</p><p>")
    );
    let json = serde_json::json!({"text": txt, "title": "给定标题"}).to_string();
    let cases: [(&[u8], &str); 7] = [
        (&fixture("futian-20240294.pdf"), PDF),
        (&fixture("futian-20240294.docx"), DOCX),
        (html.as_bytes(), "text/html; charset=utf-8"),
        (txt.as_bytes(), "text/plain"),
        (json.as_bytes(), "application/json"),
        (&fixture("futian-20240294.pdf"), "application/octet-stream"),
        (&fixture("futian-20240294.docx"), ".DOCX"),
    ];
    for (bytes, ty) in cases {
        let l = letter_from_bytes("x", bytes, ty, Some("upload".into()))
            .unwrap_or_else(|e| panic!("{ty}: {e}"));
        assert_futian_fields(&l, ty);
        assert_eq!(l.id, "x");
        assert_eq!(l.source.as_deref(), Some("upload"));
    }
    let j = letter_from_bytes("x", json.as_bytes(), "application/json", None).unwrap();
    assert_eq!(j.title, "给定标题");
    let e = letter_from_bytes("x", b"\x89PNG", "image/png", None).unwrap_err();
    assert!(matches!(e, IngestError::Unsupported(_)), "{e:?}");
}

/// Saved portal pages: the letter comes out exactly as from its plain text, with none of
/// the page chrome.
#[test]
fn saved_portal_pages() {
    let records: Vec<serde_json::Value> =
        std::fs::read_to_string(util::corpus_dir().join("replies-more.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let chrome = [
        "您当前的位置",
        "当前位置",
        "索引号",
        "发布机构",
        "版权所有",
        "ICP备",
        "联系我们",
        "网站地图",
        "分享到",
        "微信",
        "首页",
        "打印",
        "关闭",
        "浏览次数",
        "相关文章",
        "统计代码",
        "无障碍",
        "搜索",
        "English",
        "Copyright",
        "网站标识码",
        "字号",
        "信息公开",
        "门户网站",
    ];
    for (file, id) in [
        ("portal-trs.html", "pages-508c4dee3524"),
        ("portal-form.html", "pages-d9bef5f7ac3f"),
        ("portal-html5.html", "pages-7ece37193a31"),
    ] {
        let rec = records.iter().find(|r| r["id"] == id).unwrap();
        let want = letter_from_text(id, rec["text"].as_str().unwrap(), None).unwrap();
        let got = letter_from_bytes(id, &fixture(file), "html", None).unwrap();
        for c in chrome {
            assert!(
                !got.text.contains(c),
                "{file}: chrome {c:?} in\n{}",
                got.text
            );
        }
        assert_eq!(got.text, want.text, "{file}");
        assert_eq!(got.title, want.title, "{file}");
        assert_eq!(got.respondent, want.respondent, "{file}");
    }
}

/// A folder of mixed formats, good and bad, indexed by scan_corpus.
#[test]
fn mixed_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inbox");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let copy = |from: &str, to: &str| {
        std::fs::write(dir.join(to), fixture(from)).unwrap();
    };
    copy("futian-20240294.pdf", "futian.pdf");
    copy("futian-20240294.docx", "sub/futian-word.DOCX");
    copy("scanned.pdf", "scanned.pdf");
    copy("broken.pdf", "broken.pdf");
    copy("broken.docx", "broken.docx");
    copy("portal-trs.html", "portal.html");
    std::fs::write(dir.join("futian-text.txt"), futian_txt()).unwrap();
    let jsonl: String = std::fs::read_to_string(util::corpus_dir().join("replies-more.jsonl"))
        .unwrap()
        .lines()
        .skip(10)
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("more.jsonl"), jsonl).unwrap();

    let scan = scan_corpus(&dir).unwrap();
    let ids: Vec<&str> = scan.docs.iter().map(|d| d.letter.id.as_str()).collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    for want in ["futian", "futian-text", "portal", "sub/futian-word"] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    for d in &scan.docs {
        let l = &d.letter;
        assert!(!l.text.is_empty() && !l.title.is_empty(), "{}", l.id);
        if l.id.starts_with("futian") || l.id == "sub/futian-word" {
            assert_futian_fields(l, &l.id);
        }
        if l.id == "portal" {
            assert_eq!(l.respondent.as_deref(), Some("云南省工业和信息化委"));
        }
    }
    let pdf = scan.docs.iter().find(|d| d.letter.id == "futian").unwrap();
    assert_eq!(pdf.letter.source.as_deref(), Some("inbox/futian.pdf"));

    let skipped: Vec<(&str, &str)> = scan
        .skipped
        .iter()
        .map(|s| (s.location.as_str(), s.reason.as_str()))
        .collect();
    let expect = [
        (
            "inbox/broken.docx",
            "unreadable DOCX: not a DOCX (not a ZIP archive",
        ),
        ("inbox/broken.pdf", "unreadable PDF"),
        ("inbox/scanned.pdf", "no text layer (scanned PDF?)"),
    ];
    assert_eq!(skipped.len(), expect.len(), "{skipped:?}");
    for ((loc, reason), (want_loc, want_reason)) in skipped.iter().zip(expect) {
        assert_eq!(*loc, want_loc);
        assert!(reason.starts_with(want_reason), "{loc}: {reason}");
    }
}
