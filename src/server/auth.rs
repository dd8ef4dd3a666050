//! The admin key: who may write, and read the query log.
//!
//! Programs send `Authorization: Bearer <key>`; the API takes nothing else. A person opening
//! the admin page in a browser gets the browser's own password prompt (HTTP Basic: any user
//! name, the key as password), so the key is never put in a URL, a page or a cookie.

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

/// Which `Authorization` schemes carry the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    /// `Bearer <key>` only: the API, called by programs.
    Bearer,
    /// Also HTTP Basic with the key as password: pages a person opens, whose browser asks for
    /// it. Browsers resend Basic credentials on their own, so only pages that show (never
    /// change) anything accept them.
    BearerOrBasic,
}

/// Checks the request's key in constant time.
pub fn check(state: &AppState, headers: &HeaderMap, schemes: Schemes) -> Access {
    let Some(expected) = state.options.admin_key.as_deref() else {
        return Access::NoKeyConfigured;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|value| given_key(value, schemes))
        .unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Access::Granted
    } else {
        Access::Denied
    }
}

/// The key in an `Authorization` value: `Bearer <key>` or `Basic base64(user:key)`. The
/// scheme is case-insensitive (RFC 9110); the credentials follow one or more spaces.
fn given_key(value: &str, schemes: Schemes) -> Option<String> {
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(credentials.to_string())
    } else if scheme.eq_ignore_ascii_case("basic") && schemes == Schemes::BearerOrBasic {
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
        let both = |v| given_key(v, Schemes::BearerOrBasic);
        assert_eq!(both("Bearer k1").as_deref(), Some("k1"));
        assert_eq!(both("bearer   k1 ").as_deref(), Some("k1"));
        // "admin:k:2" — the key is everything after the first colon.
        assert_eq!(both("Basic YWRtaW46azoy").as_deref(), Some("k:2"));
        assert_eq!(both("Basic OmsxMjM=").as_deref(), Some("k123"));
        assert_eq!(both("Basic !!!"), None);
        assert_eq!(both("Basic YWRtaW4="), None, "no colon, no key");
        assert_eq!(both("Digest k1"), None);
        assert_eq!(both("k1"), None);
        // The API takes Bearer only.
        assert_eq!(
            given_key("Bearer k1", Schemes::Bearer).as_deref(),
            Some("k1")
        );
        assert_eq!(given_key("Basic OmsxMjM=", Schemes::Bearer), None);
    }
}
