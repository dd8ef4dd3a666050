//! The admin key: who may write, and read the query log.
//!
//! Programs send `Authorization: Bearer <key>`. A person opening the admin page in a browser
//! gets the browser's own password prompt (HTTP Basic: any user name, the key as password),
//! so the key is never put in a URL, a page or a cookie.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use subtle::ConstantTimeEq;

use super::AppState;

/// What a request's credentials are worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The server has no admin key: it is read-only and nothing is behind a key.
    NoKeyConfigured,
    /// No credentials, or not the key.
    Denied,
    Granted,
}

/// Checks the request's key (Bearer, or the password of Basic) in constant time.
pub fn check(state: &AppState, headers: &HeaderMap) -> Access {
    let Some(expected) = state.options.admin_key.as_deref() else {
        return Access::NoKeyConfigured;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(given_key)
        .unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Access::Granted
    } else {
        Access::Denied
    }
}

/// The key in an `Authorization` value: `Bearer <key>` or `Basic base64(user:key)`. The
/// scheme is case-insensitive (RFC 9110); the credentials follow one or more spaces.
fn given_key(value: &str) -> Option<String> {
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(credentials.to_string())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (_user, key) = decoded.split_once(':')?;
        Some(key.trim().to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_bearer_or_basic() {
        assert_eq!(given_key("Bearer k1").as_deref(), Some("k1"));
        assert_eq!(given_key("bearer   k1 ").as_deref(), Some("k1"));
        // "admin:k:2" — the key is everything after the first colon.
        assert_eq!(given_key("Basic YWRtaW46azoy").as_deref(), Some("k:2"));
        assert_eq!(given_key("Basic OmsxMjM=").as_deref(), Some("k123"));
        assert_eq!(given_key("Basic !!!"), None);
        assert_eq!(given_key("Basic YWRtaW4="), None, "no colon, no key");
        assert_eq!(given_key("Digest k1"), None);
        assert_eq!(given_key("k1"), None);
    }
}
