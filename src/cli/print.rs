//! Rendering results for a terminal: colour when stdout is one, 【】 otherwise.

use std::io::IsTerminal;

use reply_search::engine::{SearchResponse, SimilarResponse, Stats, SyncReport};

pub fn print_report(r: &SyncReport) {
    println!(
        "{} added, {} updated, {} removed, {} unchanged, {} skipped; {} documents in the index ({:.2} s)",
        r.added,
        r.updated,
        r.removed,
        r.unchanged,
        r.skipped.len(),
        r.docs,
        r.seconds
    );
    for s in &r.skipped {
        println!("  skipped {}: {}", s.location, s.reason);
    }
}

/// Prints hits with matches in colour on a terminal, in 【】 otherwise.
pub fn print_hits(r: &SearchResponse) {
    let colour = std::io::stdout().is_terminal();
    let (open, close) = if colour {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("【", "】")
    };
    println!(
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
    );
    for note in &r.notes {
        println!("note: {note}");
    }
    for (i, h) in r.hits.iter().enumerate() {
        println!("\n{}. {}", r.offset + i + 1, h.title.render(open, close));
        let mut meta = vec![h.kind.clone()];
        meta.extend(h.respondent.clone());
        meta.extend(h.date.clone());
        meta.extend(h.proposal_no.as_ref().map(|n| format!("第{n}号")));
        println!("   {}  [id {}]", meta.join(" · "), h.id);
        println!("   {}", h.snippet.render(open, close));
    }
}

/// Prints a value as pretty JSON (what `--json` gives).
pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("output serialises")
    );
}

/// Prints similar letters with the words they share.
pub fn print_similar(r: &SimilarResponse) {
    println!("distinctive words: {}", r.terms.join(" "));
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
        println!(
            "\n{}. {}  ({closeness})\n   {}  [id {}]\n   shared: {}",
            i + 1,
            h.title,
            meta.join(" · "),
            h.id,
            h.shared_terms.join(" ")
        );
        if !h.topic_terms.is_empty() {
            println!("   similar topic: {}", h.topic_terms.join(" "));
        }
    }
}

/// Prints document counts by facet and the index size.
pub fn print_stats(stats: &Stats) {
    println!(
        "documents: {}\nindex size: {:.1} MB",
        stats.docs,
        stats.index_bytes as f64 / 1e6
    );
    for (facet, counts) in &stats.facets {
        println!("\nby {facet}:");
        for (value, n) in &counts.0 {
            println!("  {n:>5}  {value}");
        }
    }
}
