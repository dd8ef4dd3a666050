//! One error type for the library, split by audience: what the user did wrong (bad input,
//! unknown id, no permission) and what went wrong inside (I/O, index). The CLI maps it to an
//! exit code and the server to an HTTP status, each in one place.

use std::path::Path;

/// Every error a caller can see, in one table: its stable machine name (the JSON `code`),
/// the HTTP status it is answered with, and the Chinese explanation the pages show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    BadQuery,
    BadLimit,
    BadOffset,
    BadFacet,
    BadYear,
    BadDate,
    BadId,
    BadParameter,
    BadPath,
    BadBody,
    BadDocument,
    BadContentType,
    BadFile,
    BadAddr,
    Usage,
    NoCorpus,
    EmptyText,
    NotFound,
    NoRoute,
    MethodNotAllowed,
    Unauthorized,
    ReadOnly,
    Busy,
    Timeout,
    Conflict,
    Locked,
    NoQueryLog,
    QueryLogUnavailable,
    Internal,
}

impl Code {
    /// (name, HTTP status, Chinese explanation).
    const fn row(self) -> (&'static str, u16, &'static str) {
        use Code::*;
        match self {
            BadQuery => (
                "bad_query",
                400,
                "查询无法处理：可能过长（最多 1000 字），请精简关键词。",
            ),
            BadLimit => ("bad_limit", 400, "每页条数超出范围。"),
            BadOffset => ("bad_offset", 400, "页码过大：请缩小检索范围。"),
            BadFacet => (
                "bad_facet",
                400,
                "分面名称无效：可选 respondent、year、kind、session。",
            ),
            BadYear => (
                "bad_year",
                400,
                "年份超出范围：请填写 1900–2100 之间的年份。",
            ),
            BadDate => (
                "bad_date",
                400,
                "日期格式不正确：请使用 YYYY、YYYY-MM 或 YYYY-MM-DD，且起始日期不能晚于截止日期。",
            ),
            BadId => (
                "bad_id",
                400,
                "文档编号无效：编号不能为空、过长或包含控制字符。",
            ),
            BadParameter => ("bad_parameter", 400, "请求参数无效，请检查检索条件。"),
            BadPath => ("bad_path", 400, "网址无效。"),
            BadBody => ("bad_body", 400, "请求内容无法解析。"),
            BadDocument => ("bad_document", 400, "文档无法读取或缺少必要内容。"),
            BadContentType => ("bad_content_type", 415, "不支持的内容类型。"),
            BadFile => ("bad_file", 400, "文件无法读取。"),
            BadAddr => ("bad_addr", 400, "无法在该地址上监听。"),
            Usage => ("usage", 400, "用法有误。"),
            NoCorpus => ("no_corpus", 400, "语料文件夹不存在。"),
            EmptyText => ("empty_text", 400, "请先粘贴建议或提案的文本。"),
            NotFound => ("not_found", 404, "未找到该文档。"),
            NoRoute => ("no_route", 404, "页面不存在。"),
            MethodNotAllowed => ("method_not_allowed", 405, "不支持该请求方法。"),
            Unauthorized => ("unauthorized", 401, "需要管理密钥。"),
            ReadOnly => ("read_only", 403, "本服务为只读。"),
            Busy => ("busy", 503, "服务器繁忙，请稍后重试。"),
            Timeout => ("timeout", 503, "请求处理超时，请稍后重试或缩小检索范围。"),
            Conflict => (
                "conflict",
                409,
                "该文档来自语料文件夹，请修改或删除对应文件。",
            ),
            Locked => ("locked", 503, "索引正被其他进程写入，请稍后重试。"),
            NoQueryLog => ("no_query_log", 404, "本服务未开启检索日志。"),
            QueryLogUnavailable => (
                "query_log_unavailable",
                503,
                "检索日志暂时无法读取，检索不受影响。",
            ),
            Internal => ("internal", 500, "服务器内部出错，已记录，请稍后重试。"),
        }
    }

    /// Stable machine-readable name, e.g. `bad_query`.
    pub const fn name(self) -> &'static str {
        self.row().0
    }

    /// The HTTP status this error is answered with.
    pub const fn http_status(self) -> u16 {
        self.row().1
    }

    /// What went wrong, in Chinese, for the pages.
    pub const fn message_zh(self) -> &'static str {
        self.row().2
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request or query cannot be answered as given.
    #[error("{message}")]
    BadInput { code: Code, message: String },
    #[error("no document with id {0:?}")]
    NotFound(String),
    #[error(
        "the index is being written by another process{}: stop it or wait for it to end (a server holds the index for as long as it runs)",
        holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    Locked { holder: Option<String> },
    /// The write conflicts with where the document comes from (a corpus file).
    #[error("{0}")]
    Conflict(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn bad(code: Code, message: impl Into<String>) -> Self {
        Error::BadInput {
            code,
            message: message.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// True when the caller, not the engine, is at fault.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::BadInput { .. } | Error::NotFound(_) | Error::Conflict(_)
        )
    }
}

impl From<tantivy::directory::error::OpenReadError> for Error {
    fn from(e: tantivy::directory::error::OpenReadError) -> Self {
        Error::Index(e.into())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("i/o: {e}"))
    }
}
