//! Rendering results for a terminal: colour when stdout is one, 【】 otherwise. Each function
//! writes to `out` and returns the write's error, so that a reader who closed the pipe ends
//! the output quietly (see `emit` in the parent module).

use std::io::{IsTerminal, Result, Write};

use reply_search::engine::{SearchResponse, SimilarResponse, Stats, SyncReport};

pub fn print_report(out: &mut dyn Write, r: &SyncReport) -> Result<()> {
    writeln!(
        out,
        "{} added, {} updated, {} removed, {} unchanged, {} skipped; {} documents in the index ({:.2} s)",
        r.added,
        r.updated,
        r.removed,
        r.unchanged,
        r.skipped.len(),
        r.docs,
        r.seconds
    )?;
    for s in &r.skipped {
        writeln!(out, "  skipped {}: {}", s.location, s.reason)?;
    }
    Ok(())
}

/// Prints hits with matches in colour on a terminal, in 【】 otherwise.
pub fn print_hits(out: &mut dyn Write, r: &SearchResponse) -> Result<()> {
    let colour = std::io::stdout().is_terminal();
    let (open, close) = if colour {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("【", "】")
    };
    writeln!(
        out,
        "{}{} results for {} ({:.1} ms){}",
        r.total,
        if r.total_is_exact { "" } else { "+" },
        r.expanded_query,
        r.took_ms,
        if r.total == 0 {
            " — try fewer or other words"
        } else {
            ""
        }
    )?;
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    for (i, h) in r.hits.iter().enumerate() {
        writeln!(
            out,
            "\n{}. {}",
            r.offset + i + 1,
            h.title.render(open, close)
        )?;
        let mut meta = vec![h.kind.clone()];
        meta.extend(h.respondent.clone());
        meta.extend(h.date.clone());
        meta.extend(h.proposal_no.as_ref().map(|n| format!("第{n}号")));
        writeln!(out, "   {}  [id {}]", meta.join(" · "), h.id)?;
        writeln!(out, "   {}", h.snippet.render(open, close))?;
    }
    Ok(())
}

/// Prints a value as pretty JSON (what `--json` gives).
pub fn print_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Prints similar letters with the words they share.
pub fn print_similar(out: &mut dyn Write, r: &SimilarResponse) -> Result<()> {
    writeln!(out, "distinctive words: {}", r.terms.join(" "))?;
    for (i, h) in r.hits.iter().enumerate() {
        let meta: Vec<&str> = [
            Some(h.kind.as_str()),
            h.respondent.as_deref(),
            h.date.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let closeness = match &h.near_duplicate {
            Some(_) => format!("near-duplicate, similarity {:.0}%", h.similarity * 100.0),
            None => format!("similarity {:.0}%", h.similarity * 100.0),
        };
        writeln!(
            out,
            "\n{}. {}  ({closeness})\n   {}  [id {}]\n   shared: {}",
            i + 1,
            h.title,
            meta.join(" · "),
            h.id,
            h.shared_terms.join(" ")
        )?;
        if !h.topic_terms.is_empty() {
            writeln!(out, "   similar topic: {}", h.topic_terms.join(" "))?;
        }
    }
    Ok(())
}

/// Prints document counts by facet (every value) and the index size.
pub fn print_stats(out: &mut dyn Write, stats: &Stats) -> Result<()> {
    writeln!(
        out,
        "documents: {}\nindex size: {:.1} MB",
        stats.docs,
        stats.index_bytes as f64 / 1e6
    )?;
    for (facet, counts) in &stats.facets {
        writeln!(out, "\nby {facet} ({} values):", counts.0.len())?;
        for (value, n) in &counts.0 {
            writeln!(out, "  {n:>5}  {value}")?;
        }
    }
    Ok(())
}
