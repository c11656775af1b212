//! The browser-binding cookie: proof that the browser finishing a sign-in is the one that
//! started it.
//!
//! Every `/authorize` issues a fresh random value under a cookie name of its own
//! (`__Host-cognito_mcp_bind_<id>`), and the transaction keeps the name and the value's
//! SHA-256. The consent form, the sign-in page and the callback accept only that cookie.
//! A value the browser already sends is never adopted: someone who can plant a cookie for the
//! domain (a sibling subdomain, or anyone on plain http) would otherwise choose the value a
//! victim's transaction is bound to, and finish it in their own browser, or make the victim's
//! browser finish theirs. One name per transaction keeps sign-ins in several tabs apart.
//!
//! On https the name has the `__Host-` prefix, with `Secure`, `Path=/` and no `Domain`:
//! browsers then refuse the cookie from any other host (a sibling subdomain cannot set or
//! overwrite it) and from plain http. Browsers accept `__Host-` cookies only from secure
//! origins, so on an http public URL (loopback development) the name is plain.

use http::{HeaderMap, HeaderValue, header};
use serde::{Deserialize, Serialize};

use super::{cookie, crypto};

/// The name of the binding cookies, after the prefix and before the transaction's id.
const BINDING_BASE: &str = "cognito_mcp_bind_";

/// What a transaction is bound to: the name of its cookie and the SHA-256 of the value this
/// server issued for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Binding {
    pub(crate) cookie: String,
    pub(crate) hash: String,
}

/// The cookie name for `base`: `__Host-base` when cookies are secure (https), else `base`.
pub(crate) fn cookie_name(secure: bool, base: &str) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

impl Binding {
    /// A new binding for one transaction, and the cookie value to give the browser.
    pub(crate) fn issue(secure: bool) -> (Self, String) {
        let value = crypto::random_token();
        let binding = Self {
            cookie: cookie_name(secure, &format!("{BINDING_BASE}{}", crypto::random_id())),
            hash: crypto::sha256_b64(value.as_bytes()),
        };
        (binding, value)
    }

    /// Whether the request carries this binding's cookie with the value issued for it.
    pub(crate) fn holds(&self, headers: &HeaderMap) -> bool {
        cookie(headers, &self.cookie)
            .is_some_and(|v| crypto::ct_eq(&crypto::sha256_b64(v.as_bytes()), &self.hash))
    }
}

/// Adds `Set-Cookie: name=value` (HttpOnly, SameSite=Lax, Path=/, and Secure when `secure`;
/// never Domain, so the `__Host-` prefix holds). `max_age` 0 deletes the cookie.
pub(crate) fn set_cookie(
    headers: &mut HeaderMap,
    secure: bool,
    name: &str,
    value: &str,
    max_age: u64,
) {
    let secure = if secure { "; Secure" } else { "" };
    let c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    if let Ok(v) = HeaderValue::from_str(&c) {
        headers.append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_names_carry_the_host_prefix() {
        let (b, _) = Binding::issue(true);
        assert!(b.cookie.starts_with("__Host-cognito_mcp_bind_"), "{b:?}");
        let (b, _) = Binding::issue(false);
        assert!(b.cookie.starts_with("cognito_mcp_bind_"), "{b:?}");
    }

    #[test]
    fn each_transaction_gets_its_own_name_and_value() {
        let (a, va) = Binding::issue(true);
        let (b, vb) = Binding::issue(true);
        assert_ne!(a.cookie, b.cookie);
        assert_ne!(va, vb);
    }

    #[test]
    fn only_the_issued_value_holds() {
        let (b, value) = Binding::issue(true);
        let mut h = HeaderMap::new();
        let planted = format!("cognito_mcp_bind_x={value}; {}=planted", b.cookie);
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&planted).expect("header"),
        );
        assert!(
            !b.holds(&h),
            "a planted value under the right name must not hold"
        );
        let mut h = HeaderMap::new();
        let right = format!("{}={value}", b.cookie);
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&right).expect("header"),
        );
        assert!(b.holds(&h));
    }

    #[test]
    fn set_cookie_has_no_domain_and_secure_on_https() {
        let mut h = HeaderMap::new();
        set_cookie(&mut h, true, "__Host-a", "v", 60);
        let c = h[header::SET_COOKIE].to_str().expect("ascii");
        assert!(c.contains("; Secure") && c.contains("Path=/"), "{c}");
        assert!(!c.to_ascii_lowercase().contains("domain"), "{c}");
    }
}
