//! Text extraction from PDF letters (the text layer; scans without OCR are refused).
//!
//! `pdf-extract` (pure Rust, on `lopdf`) lays out characters by position, decodes CJK
//! fonts through their ToUnicode maps, and emits line breaks where the baseline moves.
//! Page texts are joined with line breaks so that `clean::clean_text` sees running
//! headers and page numbers as lines of their own and drops them.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use super::IngestError;
use crate::text::is_han;

/// Below this many Han or alphanumeric characters per page (on average) a PDF is taken to
/// have no text layer: a scan, or only stray marks such as a page number.
pub const MIN_CHARS_PER_PAGE: usize = 20;

/// Extracts the text layer of a PDF, one line break at least between pages.
pub fn pdf_to_text(bytes: &[u8]) -> Result<String, IngestError> {
    // The header may follow some junk, but must be near the start (as readers allow).
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(IngestError::BadPdf("not a PDF (no %PDF- header)".into()));
    }
    // pdf-extract panics on some malformed files (unwraps, index errors); a bad upload
    // must never take the indexer or the server down.
    let pages = quietly(|| catch_unwind(AssertUnwindSafe(|| extract_pages(bytes)))).map_err(
        |panic| IngestError::BadPdf(format!("the PDF reader failed: {}", panic_message(&panic))),
    )??;
    check_text_layer(&pages)?;
    Ok(pages.join("\n"))
}

/// Per-page texts. A page whose content cannot be read contributes an empty text; a
/// document none of whose pages can be read is an error.
fn extract_pages(bytes: &[u8]) -> Result<Vec<String>, IngestError> {
    let mut doc =
        pdf_extract::Document::load_mem(bytes).map_err(|e| IngestError::BadPdf(e.to_string()))?;
    if doc.is_encrypted() {
        // Many official PDFs are "encrypted" with an empty user password only to forbid
        // editing; those open. A real password cannot be supplied here.
        doc.decrypt("")
            .map_err(|e| IngestError::BadPdf(format!("encrypted with a password ({e})")))?;
    }
    let page_count = doc.get_pages().len();
    if page_count == 0 {
        return Err(IngestError::BadPdf("the document has no pages".into()));
    }
    let mut pages = Vec::with_capacity(page_count);
    let mut first_error = None;
    for n in 1..=page_count as u32 {
        let mut text = String::new();
        let result = {
            let mut out = pdf_extract::PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&doc, &mut out, n)
        };
        if let Err(e) = result {
            first_error.get_or_insert_with(|| format!("page {n}: {e:?}"));
            text.clear();
        }
        pages.push(text);
    }
    if let Some(e) = first_error
        && pages.iter().all(String::is_empty)
    {
        return Err(IngestError::BadPdf(e));
    }
    Ok(pages)
}

/// Refuses documents whose text is too thin to be the letter: scans, or PDFs whose fonts
/// map glyphs to nothing readable.
fn check_text_layer(pages: &[String]) -> Result<(), IngestError> {
    let chars: usize = pages
        .iter()
        .flat_map(|p| p.chars())
        .filter(|&c| is_han(c) || c.is_alphanumeric())
        .count();
    if chars < MIN_CHARS_PER_PAGE * pages.len().max(1) {
        return Err(IngestError::NoTextLayer {
            pages: pages.len(),
            chars,
        });
    }
    Ok(())
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with panic messages of this thread silenced: a caught reader panic is reported
/// as the file's error, and the default hook's message and backtrace would only flood the
/// indexer's output. Other threads' panics, and panics outside `f`, print as before.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let out = f();
    QUIET.with(|q| q.set(was));
    out
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_pdf() {
        let e = pdf_to_text(b"hello").unwrap_err();
        assert!(e.to_string().contains("not a PDF"), "{e}");
        let e = pdf_to_text(b"%PDF-1.4\n garbage").unwrap_err();
        assert!(matches!(e, IngestError::BadPdf(_)), "{e}");
    }

    #[test]
    fn thin_text_is_no_text_layer() {
        let pages = vec!["- 1 -".to_string(), "".to_string()];
        let e = check_text_layer(&pages).unwrap_err();
        assert!(
            e.to_string().contains("no text layer (scanned PDF?)"),
            "{e}"
        );
        let ok = vec!["福田区发展和改革局对福田区八届人大四次会议第建议的答复函".to_string()];
        assert!(check_text_layer(&ok).is_ok());
    }
}
