//! Text extraction from DOCX letters (Word, WPS Office, LibreOffice).
//!
//! Reads only the main document part (`word/document.xml`): headers, footers and page
//! numbers live in other parts and are chrome. Paragraphs become lines, tables become one
//! line per row with cells separated by a tab.

use std::io::{Cursor, Read};

use quick_xml::events::Event;

use super::IngestError;

/// Largest uncompressed part read (zip bomb guard).
pub const MAX_PART_BYTES: u64 = 50 * 1024 * 1024;

const DEFAULT_MAIN_PART: &str = "word/document.xml";

/// Extracts the body text of a DOCX file.
pub fn docx_to_text(bytes: &[u8]) -> Result<String, IngestError> {
    let bad = |m: String| IngestError::BadDocx(m);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a DOCX (not a ZIP archive: {e})")))?;
    let main = main_part_name(&mut zip).unwrap_or_else(|| DEFAULT_MAIN_PART.to_string());
    let xml = read_part(&mut zip, &main)?
        .ok_or_else(|| bad(format!("no {main} in the archive (not a Word document?)")))?;
    let xml = String::from_utf8(xml).map_err(|e| {
        bad(format!(
            "{main} is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    document_xml_to_text(&xml).map_err(|e| bad(format!("{main}: {e}")))
}

/// Reads one part, refusing parts that inflate beyond `MAX_PART_BYTES`. Ok(None) if the
/// archive has no such part.
fn read_part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<Vec<u8>>, IngestError> {
    let entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(IngestError::BadDocx(format!("{name}: {e}"))),
    };
    let too_large = |size: u64| IngestError::TooLarge {
        size,
        limit: MAX_PART_BYTES as usize,
    };
    if entry.size() > MAX_PART_BYTES {
        return Err(too_large(entry.size()));
    }
    // The declared size can lie; the read itself is bounded too.
    let mut out = Vec::with_capacity(entry.size().min(1 << 20) as usize);
    entry
        .take(MAX_PART_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::BadDocx(format!("{name}: {e}")))?;
    if out.len() as u64 > MAX_PART_BYTES {
        return Err(too_large(out.len() as u64));
    }
    Ok(Some(out))
}

/// The main document part named by `_rels/.rels`; some writers do not use the usual
/// `word/document.xml` name.
fn main_part_name(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Option<String> {
    let rels = read_part(zip, "_rels/.rels").ok()??;
    let rels = String::from_utf8(rels).ok()?;
    let mut reader = quick_xml::Reader::from_str(&rels);
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e) | Event::Start(e)) if e.local_name().as_ref() == "Relationship" => {
                let attr = |key: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == key)
                        .map(|a| a.value.to_string())
                };
                if attr("Type").is_some_and(|t| t.ends_with("/officeDocument")) {
                    let target = attr("Target")?;
                    return Some(target.trim_start_matches('/').to_string());
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

/// Converts WordprocessingML to text: `<w:p>` → line, `<w:t>` runs concatenated,
/// `<w:tab/>` → tab, `<w:br/>`/`<w:cr/>` → newline, table rows → one line each.
pub fn document_xml_to_text(xml: &str) -> Result<String, quick_xml::Error> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut in_text = false; // inside <w:t>
    let mut run_depth = 0usize; // inside <w:r>: tabs and breaks count only there
    let mut cell_depth = 0usize; // inside <w:tc>
    let mut skip_depth = 0usize; // inside content to ignore
    loop {
        let event = reader.read_event()?;
        match &event {
            Event::Start(e) if skip_depth > 0 => {
                let _ = e;
                skip_depth += 1;
            }
            Event::End(_) if skip_depth > 0 => skip_depth -= 1,
            _ if skip_depth > 0 => {}
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "r" => run_depth += 1,
                "tc" => cell_depth += 1,
                "tr" => new_line(&mut out),
                // Text boxes come twice: as DrawingML (Choice) and as VML (Fallback);
                // deleted text (tracked changes) and field codes are not content.
                "Fallback" | "del" | "instrText" | "delText" => skip_depth = 1,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" if run_depth > 0 => out.push('\t'),
                "br" | "cr" if run_depth > 0 => out.push('\n'),
                "noBreakHyphen" if run_depth > 0 => out.push('-'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "r" => run_depth = run_depth.saturating_sub(1),
                // Paragraphs inside a table cell stay on the row's line.
                "p" if cell_depth > 0 => push_sep(&mut out, ' '),
                "p" => out.push('\n'),
                "tc" => {
                    cell_depth = cell_depth.saturating_sub(1);
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    push_sep(&mut out, '\t');
                }
                "tr" => {
                    while out.ends_with(['\t', ' ']) {
                        out.pop();
                    }
                    out.push('\n');
                }
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => out.push_str(t.as_ref()),
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else {
                    out.push_str(match r.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn new_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Appends a separator unless the line is empty or already ends in one.
fn push_sep(out: &mut String, sep: char) {
    if !out.is_empty() && !out.ends_with(['\n', '\t', ' ']) {
        out.push(sep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006""#;

    fn doc(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}</w:body></w:document>"#
        )
    }

    #[test]
    fn paragraphs_runs_tabs_breaks() {
        let xml = doc(concat!(
            r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs></w:pPr>"#,
            r#"<w:r><w:t>王义</w:t></w:r><w:r><w:t xml:space="preserve">代表</w:t></w:r><w:r><w:t>:</w:t></w:r></w:p>"#,
            r#"<w:p><w:r><w:tab/><w:t>您的建议收悉 &amp; 已办理&#12290;</w:t><w:br/><w:t>第二行</w:t></w:r></w:p>"#,
            r#"<w:p><w:del><w:r><w:delText>删掉的</w:delText></w:r></w:del><w:ins><w:r><w:t>新增的</w:t></w:r></w:ins>"#,
            r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r></w:p>"#,
        ));
        assert_eq!(
            document_xml_to_text(&xml).unwrap(),
            "王义代表:\n\t您的建议收悉 & 已办理。\n第二行\n新增的\n"
        );
    }

    #[test]
    fn tables_become_rows() {
        let xml = doc(concat!(
            "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>建议号</w:t></w:r></w:p></w:tc>",
            "<w:tc><w:p><w:r><w:t>20240294</w:t></w:r></w:p><w:p><w:r><w:t>(续)</w:t></w:r></w:p></w:tc></w:tr>",
            "<w:tr><w:tc><w:p/></w:tc><w:tc><w:p><w:r><w:t>已办结</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
            "<w:p><w:r><w:t>此复。</w:t></w:r></w:p>",
        ));
        assert_eq!(
            document_xml_to_text(&xml).unwrap(),
            "建议号\t20240294 (续)\n已办结\n此复。\n"
        );
    }

    #[test]
    fn text_boxes_are_read_once() {
        let xml = doc(concat!(
            "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><w:txbxContent>",
            "<w:p><w:r><w:t>框内文字</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>",
            "<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>框内文字</w:t></w:r></w:p>",
            "</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>",
        ));
        assert_eq!(document_xml_to_text(&xml).unwrap(), "框内文字\n\n");
    }

    #[test]
    fn not_a_zip_and_missing_part() {
        let e = docx_to_text(b"plain text").unwrap_err();
        assert!(e.to_string().contains("not a ZIP archive"), "{e}");

        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            w.start_file("hello.txt", opts).unwrap();
            std::io::Write::write_all(&mut w, b"hi").unwrap();
            w.finish().unwrap();
        }
        let e = docx_to_text(buf.get_ref()).unwrap_err();
        assert!(e.to_string().contains("no word/document.xml"), "{e}");
    }

    #[test]
    fn oversized_part_is_refused() {
        // A highly compressible part over the limit: refused by its declared size.
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            w.start_file("word/document.xml", opts).unwrap();
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..=(MAX_PART_BYTES >> 20) {
                std::io::Write::write_all(&mut w, &chunk).unwrap();
            }
            w.finish().unwrap();
        }
        assert!(buf.get_ref().len() < 1 << 20);
        let e = docx_to_text(buf.get_ref()).unwrap_err();
        assert!(matches!(e, IngestError::TooLarge { .. }), "{e}");
    }
}
