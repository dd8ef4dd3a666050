//! The one mapping from errors to HTTP responses: `{"error": {"code", "message"}}`. User
//! errors keep their message; internal ones are logged and answered generically.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{Code, Error};

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable name, e.g. `bad_query`, `not_found`, `unauthorized`.
    pub code: String,
    pub message: String,
}

impl ApiError {
    /// An error answered with its code's status (see `Code`).
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        let status =
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::with_status(status, code, message)
    }

    /// An error whose status the HTTP layer decided (a body over the size limit is 413).
    pub fn with_status(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::BadInput { code, message } => ApiError::new(code, message),
            Error::NotFound(id) => {
                ApiError::new(Code::NotFound, format!("no document with id {id:?}"))
            }
            Error::Locked { .. } => ApiError::new(Code::Locked, e.to_string()),
            Error::Conflict(message) => ApiError::new(Code::Conflict, message),
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(Code::Internal, "internal error; it has been logged")
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = match &r {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            // 413 when over the limit; a body that failed to arrive otherwise is a 400.
            JsonRejection::BytesRejection(b) if b.status().is_client_error() => b.status(),
            JsonRejection::BytesRejection(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::with_status(status, Code::BadBody, r.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    /// A raw body that could not be read: over the size limit (413) or cut off (400).
    fn from(r: BytesRejection) -> Self {
        let status = if r.status().is_client_error() {
            r.status()
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::with_status(status, Code::BadBody, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(Code::BadParameter, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(Code::BadPath, r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.name().to_string(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::TOO_MANY_REQUESTS
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// JSON body extractor whose rejections are `ApiError`s.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Raw body extractor whose rejections (body too large) are `ApiError`s.
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(ApiBytes)
            .map_err(ApiError::from)
    }
}

/// Query-string extractor whose rejections are `ApiError`s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path extractor whose rejections are `ApiError`s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);
