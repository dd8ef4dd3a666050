//! The `reply-search` commands: each opens what it needs, calls the library and prints.

mod args;
mod print;

use std::io::{IsTerminal, Write};
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
            check_index_path(&paths)?;
            if !corpus_exists(&paths)? {
                return Err(Error::bad(
                    Code::NoCorpus,
                    format!("corpus folder {} does not exist", paths.corpus.display()),
                ));
            }
            let engine = open(&paths)?;
            // Fails at once, naming the holder, when a server or another run has the index.
            engine.hold_writer()?;
            if rebuild {
                engine.clear()?;
            }
            let report = sync(&engine, &paths.corpus)?;
            emit(|out| {
                if json {
                    print_json(out, &report)
                } else {
                    print_report(out, &report)
                }
            })
        }
        Some(Command::Search {
            request,
            paths,
            json,
        }) => {
            let response = open_built(&paths)?.search(&request)?;
            emit(|out| {
                if json {
                    print_json(out, &SearchBody::from(response))
                } else {
                    print_hits(out, &response)
                }
            })
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
            emit(|out| {
                if json {
                    print_json(out, &SimilarBody::from(response))
                } else {
                    print_similar(out, &response)
                }
            })
        }
        Some(Command::Stats { paths, json }) => {
            let stats = open_built(&paths)?.stats()?;
            emit(|out| {
                if json {
                    print_json(out, &stats)
                } else {
                    print_stats(out, &stats)
                }
            })
        }
    }
}

/// Writes a command's output to stdout. A reader that stops early (`| head -1`) closes the
/// pipe: the output ends there, quietly and successfully, as it does for other Unix tools.
fn emit(print: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match print(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Internal(format!("cannot write the output: {e}"))),
        Ok(()) => Ok(()),
    }
}

/// The index path names a folder, or nothing yet: checked before anything is created.
fn check_index_path(paths: &Paths) -> Result<(), Error> {
    match std::fs::metadata(&paths.index) {
        Ok(meta) if !meta.is_dir() => Err(Error::bad(
            Code::Usage,
            format!(
                "index path {} is a file, not a folder: give --index a folder (it is created if missing)",
                paths.index.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether the corpus folder exists; an error when the path names something else (a file).
fn corpus_exists(paths: &Paths) -> Result<bool, Error> {
    match std::fs::metadata(&paths.corpus) {
        Ok(meta) if meta.is_dir() => Ok(true),
        Ok(_) => Err(Error::bad(
            Code::NoCorpus,
            format!(
                "corpus path {} is a file, not a folder: give --corpus the folder that holds the letters",
                paths.corpus.display()
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(&paths.corpus, e)),
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

/// Opens the index, building it from the corpus first when it is empty (so `search`,
/// `similar` and `stats` work on a fresh clone). With neither an index nor a corpus folder
/// it says so and creates nothing.
fn open_built(paths: &Paths) -> Result<Engine, Error> {
    check_index_path(paths)?;
    let corpus = corpus_exists(paths)?;
    if !corpus && !paths.index.join("meta.json").is_file() {
        return Err(Error::bad(
            Code::NoCorpus,
            format!(
                "no index at {} and no corpus folder at {} to build one from: give --index, or --corpus with the letters",
                paths.index.display(),
                paths.corpus.display()
            ),
        ));
    }
    let engine = open(paths)?;
    if engine.num_docs() == 0 && corpus {
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
    use reply_search::server::{self, CorsPolicy, ServerOptions, Shared};
    let started = std::time::Instant::now();
    check_index_path(&args.paths)?;
    let corpus = corpus_exists(&args.paths)?;
    if args.watch && !corpus {
        return Err(Error::bad(
            Code::NoCorpus,
            format!(
                "--watch needs a corpus folder; {} does not exist",
                args.paths.corpus.display()
            ),
        ));
    }
    let engine = open(&args.paths)?;
    // The server is the index's only writer for as long as it runs.
    engine.hold_writer()?;
    if corpus {
        let report = sync(&engine, &args.paths.corpus)?;
        emit(|out| print_report(out, &report))?;
    } else {
        eprintln!(
            "no corpus folder at {}; serving the index as it is",
            args.paths.corpus.display()
        );
    }
    let options = ServerOptions {
        admin_key: args.admin_key,
        cors: CorsPolicy::from_list(&args.cors_origins),
        max_concurrent_searches: 0,
        public_metrics: args.public_metrics,
        request_timeout: None,
        query_log: (!args.no_query_log).then(|| args.paths.index.join(server::querylog::FILE_NAME)),
        hot_searches: args.hot_searches,
        hot_hidden: args.hot_hidden,
    };
    let state = Shared::new(engine, options);
    // The did-you-mean vocabulary is built on a thread of its own, so the first misspelled
    // query does not wait for it.
    let warm = state.clone();
    let _ = std::thread::Builder::new()
        .name("speller".into())
        .spawn(move || warm.engine.speller().map(|_| ()));
    // `Shared::new` decides what counts as a key (trimmed, not blank).
    let read_only = state.options.admin_key.is_none();
    if args.watch {
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
        emit(|out| {
            writeln!(
                out,
                "serving {} documents on http://{local}/ ({}; ready in {:.2} s)\n{}\n{}",
                state.engine.num_docs(),
                if read_only {
                    "read-only: set REPLY_SEARCH_ADMIN_KEY to enable writes"
                } else {
                    "writes enabled"
                },
                started.elapsed().as_secs_f64(),
                state.options.cors.describe(),
                state.query_log.describe()
            )
        })?;
        let served = server::serve(
            listener,
            server::app(state.clone()),
            server::shutdown_signal(),
        )
        .await
        .map_err(|e| Error::Internal(format!("server failed: {e}")));
        // The searches still queued for the log are written before the process ends.
        state.query_log.close();
        served
    })
}
