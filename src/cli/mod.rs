//! The `reply-search` commands: each opens what it needs, calls the library and prints.

mod args;
mod print;

use std::io::IsTerminal;
use std::path::Path;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use reply_search::analysis::{Analyzer, Vocab};
use reply_search::engine::{Engine, SimilarRequest, SyncReport};
use reply_search::error::{Code, Error};
use reply_search::server::api::{SearchBody, SimilarBody};

pub use args::Cli;
use args::{Command, Paths, ServeArgs};
use print::{print_hits, print_json, print_report, print_similar, print_stats};

pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        None => match Cli::parse_from(["reply-search", "serve"]).command {
            Some(Command::Serve(args)) => serve(args),
            _ => unreachable!("`serve` parses as the serve command"),
        },
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Index {
            paths,
            rebuild,
            json,
        }) => {
            let engine = open(&paths)?;
            // Fails at once, naming the holder, when a server or another run has the index.
            engine.hold_writer()?;
            if rebuild {
                engine.clear()?;
            }
            let report = sync(&engine, &paths.corpus)?;
            if json {
                print_json(&report);
            } else {
                print_report(&report);
            }
            Ok(())
        }
        Some(Command::Search {
            request,
            paths,
            json,
        }) => {
            let response = open_built(&paths)?.search(&request)?;
            if json {
                print_json(&SearchBody::from(response));
            } else {
                print_hits(&response);
            }
            Ok(())
        }
        Some(Command::Similar {
            paths,
            id,
            text,
            file,
            limit,
            filters,
            json,
        }) => {
            let engine = open_built(&paths)?;
            let mut request = SimilarRequest {
                text: String::new(),
                limit: Some(limit),
                filters,
            };
            let response = match (id, text, file) {
                (Some(id), _, _) => engine.similar_to_id(&id, &request)?,
                (_, Some(text), _) => {
                    request.text = text;
                    engine.similar_to_text(&request)?
                }
                (_, _, Some(path)) => {
                    request.text = read_text_file(&path)?;
                    engine.similar_to_text(&request)?
                }
                _ => {
                    return Err(Error::bad(
                        Code::Usage,
                        "give one of --id, --text or --file",
                    ));
                }
            };
            if json {
                print_json(&SimilarBody::from(response));
            } else {
                print_similar(&response);
            }
            Ok(())
        }
        Some(Command::Stats { paths, json }) => {
            let engine = open(&paths)?;
            let stats = engine.stats()?;
            if json {
                print_json(&stats);
            } else {
                print_stats(&stats);
            }
            Ok(())
        }
    }
}

/// The text of a file given on the command line (`similar --file`).
fn read_text_file(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::bad(Code::BadFile, format!("{}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::bad(
            Code::BadFile,
            format!("{} is not UTF-8 text", path.display()),
        )
    })
}

fn open(paths: &Paths) -> Result<Engine, Error> {
    let analyzer = match &paths.vocab {
        Some(dir) => std::sync::Arc::new(Analyzer::new(
            Vocab::from_dir(dir).map_err(|e| Error::io(dir, e))?,
        )),
        None => Analyzer::shared_default(),
    };
    Engine::open(&paths.index, analyzer)
}

/// Opens the index, building it from the corpus first when it is empty (so `search` and
/// `similar` work on a fresh clone).
fn open_built(paths: &Paths) -> Result<Engine, Error> {
    let engine = open(paths)?;
    if engine.num_docs() == 0 && paths.corpus.is_dir() {
        let report = sync(&engine, &paths.corpus)?;
        eprintln!(
            "indexed {} documents from {} in {:.1} s",
            report.docs,
            paths.corpus.display(),
            report.seconds
        );
    }
    Ok(engine)
}

/// Syncs the corpus with a progress bar on stderr (hidden when stderr is not a terminal).
fn sync(engine: &Engine, corpus: &Path) -> Result<SyncReport, Error> {
    if !corpus.is_dir() {
        return Err(Error::bad(
            Code::NoCorpus,
            format!("corpus folder {} does not exist", corpus.display()),
        ));
    }
    let bar = ProgressBar::hidden();
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    // The corpus is streamed, so the number of letters is not known in advance.
    bar.set_style(
        ProgressStyle::with_template("indexing {spinner} {pos} documents written ({per_sec})")
            .expect("valid template"),
    );
    let report = engine.sync_corpus(corpus, &|done| bar.set_position(done as u64));
    bar.finish_and_clear();
    report
}

fn serve(args: ServeArgs) -> Result<(), Error> {
    use reply_search::server::{self, ServerOptions, Shared};
    let started = std::time::Instant::now();
    let engine = open(&args.paths)?;
    // The server is the index's only writer for as long as it runs.
    engine.hold_writer()?;
    if args.paths.corpus.is_dir() {
        let report = sync(&engine, &args.paths.corpus)?;
        print_report(&report);
    } else {
        eprintln!(
            "no corpus folder at {}; serving the index as it is",
            args.paths.corpus.display()
        );
    }
    let options = ServerOptions {
        admin_key: args.admin_key,
        cors_origins: args
            .cors_origins
            .into_iter()
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect(),
        max_concurrent_searches: 0,
        public_metrics: args.public_metrics,
        request_timeout: None,
    };
    let state = Shared::new(engine, options);
    // `Shared::new` decides what counts as a key (trimmed, not blank).
    let read_only = state.options.admin_key.is_none();
    if args.watch {
        if !args.paths.corpus.is_dir() {
            return Err(Error::bad(
                Code::NoCorpus,
                format!(
                    "--watch needs a corpus folder; {} does not exist",
                    args.paths.corpus.display()
                ),
            ));
        }
        let status =
            reply_search::engine::watch::spawn(args.paths.corpus.clone(), state.clone(), |s| {
                &s.engine
            })
            .map_err(|e| {
                Error::Internal(format!("cannot watch {}: {e}", args.paths.corpus.display()))
            })?;
        let _ = state.watch.set(status);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .map_err(|e| {
                Error::bad(
                    Code::BadAddr,
                    format!("cannot listen on {}: {e}", args.addr),
                )
            })?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::Internal(e.to_string()))?;
        println!(
            "serving {} documents on http://{local}/ ({}; ready in {:.2} s)",
            state.engine.num_docs(),
            if read_only {
                "read-only: set REPLY_SEARCH_ADMIN_KEY to enable writes"
            } else {
                "writes enabled"
            },
            started.elapsed().as_secs_f64()
        );
        server::serve(listener, server::app(state), server::shutdown_signal())
            .await
            .map_err(|e| Error::Internal(format!("server failed: {e}")))
    })
}
