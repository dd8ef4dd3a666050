//! The command line's flags and subcommands (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use reply_search::engine::{Filters, SearchRequest};

#[derive(Parser)]
#[command(
    name = "reply-search",
    version,
    about = "Search engine for Chinese government reply letters (建议/提案答复)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Clone)]
pub struct Paths {
    /// Folder of documents to index.
    #[arg(long, default_value = "corpus", env = "REPLY_SEARCH_CORPUS")]
    pub corpus: PathBuf,
    /// Folder holding the index.
    #[arg(long, default_value = "index", env = "REPLY_SEARCH_INDEX")]
    pub index: PathBuf,
    /// Folder with user.dict / synonyms.txt / stopwords.txt replacing the shipped vocabulary.
    #[arg(long, env = "REPLY_SEARCH_VOCAB")]
    pub vocab: Option<PathBuf>,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub paths: Paths,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "REPLY_SEARCH_ADDR")]
    pub addr: String,
    /// Bearer key that enables PUT/DELETE; without it the server is read-only.
    #[arg(long, env = "REPLY_SEARCH_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Comma-separated origins whose pages may call the read API (search, documents,
    /// similar, suggest) from a browser; any origin when unset (or `*`), none with `none`.
    /// Writes are never allowed cross-origin.
    #[arg(long, env = "REPLY_SEARCH_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Serve /metrics to any client (by default: loopback clients, or with the admin key).
    #[arg(long, env = "REPLY_SEARCH_PUBLIC_METRICS")]
    pub public_metrics: bool,
    /// Re-index the corpus folder when its files change.
    #[arg(long)]
    pub watch: bool,
    /// Keep no query log (by default the server logs each search's normalised query, time,
    /// hit count and origin, never who searched, in querylog.sqlite in the index folder).
    #[arg(long, env = "REPLY_SEARCH_NO_QUERY_LOG")]
    pub no_query_log: bool,
    /// Show 热门搜索 (the week's most searched queries that found letters) under the empty
    /// search box and in the widget. Needs the query log.
    #[arg(
        long,
        env = "REPLY_SEARCH_HOT_SEARCHES",
        conflicts_with = "no_query_log"
    )]
    pub hot_searches: bool,
    /// A file of strings never to list in 热门搜索, one a line (`#` starts a comment); a
    /// query holding any of them is left out. Read again whenever the list is recomputed.
    #[arg(long, value_name = "FILE", env = "REPLY_SEARCH_HOT_HIDDEN")]
    pub hot_hidden: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Bring the index up to date with the corpus, then serve the search page, widget and API
    /// (the default command).
    Serve(ServeArgs),
    /// Index the corpus incrementally (by content hash).
    Index {
        #[command(flatten)]
        paths: Paths,
        /// Drop the index and build it from scratch.
        #[arg(long)]
        rebuild: bool,
        #[arg(long)]
        json: bool,
    },
    /// Search, printing hits for a terminal or as JSON.
    Search {
        #[command(flatten)]
        request: SearchRequest,
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        json: bool,
    },
    /// Documents most similar to a stored document, a text or a file.
    Similar {
        #[command(flatten)]
        paths: Paths,
        /// Id of a document in the index.
        #[arg(long, group = "source")]
        id: Option<String>,
        /// Pasted text of a proposal or letter.
        #[arg(long, group = "source")]
        text: Option<String>,
        /// A file holding the text.
        #[arg(long, group = "source")]
        file: Option<PathBuf>,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        #[command(flatten)]
        filters: Filters,
        #[arg(long)]
        json: bool,
    },
    /// Documents, by kind / respondent / year, and the index size.
    Stats {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        json: bool,
    },
}
