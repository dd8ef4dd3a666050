//! `GET/PUT/DELETE /api/docs/{id}`: one document, and the writes (behind the admin key).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Code, Error};
use crate::ingest::id::{DocId, MAX_ID_BYTES};
use crate::ingest::{self, Letter};
use crate::server::auth::{self, Access, Schemes};
use crate::server::error::{ApiBytes, ApiError, ApiPath, ErrorBody};
use crate::server::{AppState, blocking, bounded};

/// The id of a request's path, validated once (see `DocId`), before the index is touched.
pub fn doc_id(id: &str) -> Result<DocId, ApiError> {
    DocId::parse(id).map_err(|reason| {
        ApiError::new(
            Code::BadId,
            format!(
                "invalid document id: {reason} (an id is 1–{MAX_ID_BYTES} bytes without control, invisible or surrounding space characters)"
            ),
        )
    })
}

/// One document: all fields and the cleaned text.
#[utoipa::path(get, path = "/api/docs/{id}", params(("id" = String, Path, description = "Document id (URL-encoded)")),
    responses((status = 200, body = Letter), (status = 404, body = ErrorBody)))]
pub async fn get_doc(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Letter>, ApiError> {
    let id = doc_id(&id)?.into_string();
    let letter = blocking(&state, move |s| {
        s.engine.get(&id)?.ok_or(Error::NotFound(id))
    })
    .await?;
    Ok(Json(letter))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteResult {
    pub id: String,
    /// `indexed` or `deleted`.
    pub status: &'static str,
}

/// The admin key check of the API: 403 when the server has no key (read-only), 401 when the
/// request's key is missing or wrong.
pub(super) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match auth::check(state, headers, Schemes::Bearer) {
        Access::Granted => Ok(()),
        Access::NoKeyConfigured => Err(ApiError::new(
            Code::ReadOnly,
            "this server has no admin key configured, so it is read-only",
        )),
        Access::Denied => Err(ApiError::new(
            Code::Unauthorized,
            "writes and reports need Authorization: Bearer <admin key>",
        )),
    }
}

/// Adds or replaces a document: a JSON document (fields as in the corpus JSONL; missing ones
/// are extracted from the text) or a `text/plain` letter. Needs the admin key.
#[utoipa::path(put, path = "/api/docs/{id}", params(("id" = String, Path, description = "Document id")),
    request_body(content = String, description = "A JSON document, or the letter as text/plain", content_type = "application/json"),
    responses((status = 200, body = WriteResult), (status = 201, body = WriteResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_doc(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let id = doc_id(&id)?.into_string();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = BodyFormat::of(&content_type).ok_or_else(|| {
        ApiError::new(
            Code::BadContentType,
            "send application/json, text/plain, application/pdf or a .docx document",
        )
    })?;
    // Reading a PDF or Word file, cleaning and extracting fields is CPU work: it runs on the
    // blocking pool under the same bound as searches, never on the async threads.
    let written = id.clone();
    let created = bounded(&state, move |s| {
        let letter = format.letter(&written, &body)?;
        s.engine.put(&letter)
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(WriteResult {
            id,
            status: "indexed",
        }),
    )
        .into_response())
}

/// The kinds of body a PUT accepts, by content type.
#[derive(Debug, Clone, Copy)]
enum BodyFormat {
    /// A JSON document: fields as in the corpus JSONL; missing ones are extracted from the text.
    Json,
    /// A letter as plain text.
    Text,
    /// A letter as departments publish it: a PDF or Word file, read like a corpus file.
    Binary(&'static str),
}

impl BodyFormat {
    fn of(content_type: &str) -> Option<BodyFormat> {
        const BINARY_TYPES: [&str; 2] = [
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ];
        if let Some(t) = BINARY_TYPES.iter().find(|t| content_type.starts_with(**t)) {
            Some(BodyFormat::Binary(t))
        } else if content_type.starts_with("application/json") {
            Some(BodyFormat::Json)
        } else if content_type.starts_with("text/plain") {
            Some(BodyFormat::Text)
        } else {
            None
        }
    }

    /// Reads the body into a letter with this id.
    fn letter(self, id: &str, body: &[u8]) -> Result<Letter, Error> {
        let bad = |e: ingest::IngestError| Error::bad(Code::BadDocument, e.to_string());
        if let BodyFormat::Binary(content_type) = self {
            return ingest::letter_from_bytes(id, body, content_type, None).map_err(bad);
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| Error::bad(Code::BadBody, "the body is not valid UTF-8"))?;
        if let BodyFormat::Text = self {
            return ingest::letter_from_text(id, text, None).map_err(bad);
        }
        let mut value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::bad(Code::BadBody, format!("invalid JSON: {e}")))?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| Error::bad(Code::BadBody, "the body must be a JSON object"))?;
        object.insert("id".into(), serde_json::Value::String(id.to_string()));
        ingest::letter_from_json(&value).map_err(bad)
    }
}

/// Deletes a document. Needs the admin key.
#[utoipa::path(delete, path = "/api/docs/{id}", params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = WriteResult), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_doc(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Json<WriteResult>, ApiError> {
    authorize(&state, &headers)?;
    let id = doc_id(&id)?.into_string();
    let target = id.clone();
    let deleted = blocking(&state, move |s| s.engine.delete(&target)).await?;
    if !deleted {
        return Err(Error::NotFound(id).into());
    }
    Ok(Json(WriteResult {
        id,
        status: "deleted",
    }))
}
