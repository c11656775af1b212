//! Redirect URIs: what may be registered, and whether an authorization request's URI matches a
//! registered one.

/// Longest redirect URI accepted.
pub(crate) const MAX_REDIRECT_URI_LEN: usize = 2000;

const DANGEROUS_SCHEMES: [&str; 7] = [
    "javascript",
    "data",
    "vbscript",
    "file",
    "about",
    "blob",
    "filesystem",
];

/// Why a redirect URI is refused.
pub(crate) fn check(uri: &str, allowed_patterns: &[String]) -> Result<(), String> {
    if uri.len() > MAX_REDIRECT_URI_LEN {
        return Err(format!(
            "a redirect URI is {} characters, over the {MAX_REDIRECT_URI_LEN} limit",
            uri.len()
        ));
    }
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "the redirect URI {uri:?} contains spaces or control characters"
        ));
    }
    let url =
        url::Url::parse(uri).map_err(|e| format!("the redirect URI {uri:?} is not a URL: {e}"))?;
    let scheme = url.scheme();
    if DANGEROUS_SCHEMES.contains(&scheme) {
        return Err(format!("the redirect URI scheme {scheme}: is not allowed"));
    }
    if url.fragment().is_some() || uri.contains('#') {
        return Err(format!(
            "the redirect URI {uri:?} has a fragment (#...), which OAuth forbids"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the redirect URI {uri:?} carries user credentials (user@host)"
        ));
    }
    // The text must say what a URL parser reads: `https:/evil/x` parses as host `evil`, so a
    // check or a person reading the text would see another URI than a browser follows.
    if matches!(scheme, "http" | "https") {
        let normal = url.as_str();
        if normal != uri && normal.strip_suffix('/') != Some(uri) {
            return Err(format!(
                "the redirect URI {uri:?} is not in its normal form; register it as {normal:?}"
            ));
        }
    }
    let pattern_ok = allowed_patterns.iter().any(|p| glob(p, uri));
    match scheme {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "the redirect URI {uri:?} uses http on a host that is not loopback; use https, or http://127.0.0.1 / http://localhost"
            ));
        }
        // Private-use schemes (cursor://...) only where the operator allowed them by pattern.
        _ if pattern_ok => {}
        _ => {
            return Err(format!(
                "the redirect URI scheme {scheme}: is not allowed; use https or http on loopback (the server's allowed_redirect_patterns can admit others)"
            ));
        }
    }
    if !allowed_patterns.is_empty() && !pattern_ok {
        return Err(format!(
            "the redirect URI {uri:?} matches none of the server's allowed redirect patterns"
        ));
    }
    Ok(())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether `requested` matches the registered `registered`: exactly, or, for a loopback http
/// URI, exactly but for the port (RFC 8252 §7.3: native apps pick a free port at run time).
pub(crate) fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(a), Ok(b)) = (url::Url::parse(registered), url::Url::parse(requested)) else {
        return false;
    };
    a.scheme() == "http"
        && b.scheme() == "http"
        && is_loopback(&a)
        && a.host() == b.host()
        && a.path() == b.path()
        && a.query() == b.query()
        && b.fragment().is_none()
        && b.username().is_empty()
        && b.password().is_none()
}

/// `*` matches any run of characters; everything else matches itself, case-sensitively.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The host shown to the user on the consent page.
pub(crate) fn host_of(uri: &str) -> String {
    url::Url::parse(uri)
        .ok()
        .map(|u| match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => format!("{}:", u.scheme()),
        })
        .unwrap_or_else(|| uri.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_normal_redirect_uri_fails() {
        // Found by the redirect_uri fuzz target: the text has no authority, the parser invents
        // one. Each reads another host than the text shows.
        for uri in [
            "https:/w/app.example.com]/cb",
            "https:evil.example/cb",
            "https://APP.example.com/cb",
            "https://app.example.com/a/../cb",
            "http://127.0.0.1:80/cb",
            "https://app.example.com\\@evil.example/cb",
        ] {
            let e = check(uri, &[]).expect_err(uri);
            assert!(
                e.contains("normal form") || e.contains("credentials"),
                "{uri}: {e}"
            );
        }
        assert!(check("https://app.example.com", &[]).is_ok());
        assert!(check("https://app.example.com/cb?x=1", &[]).is_ok());
    }

    #[test]
    fn accepted() {
        for uri in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://localhost:6274/oauth/callback",
            "http://[::1]:8080/cb",
        ] {
            assert_eq!(check(uri, &[]), Ok(()), "{uri}");
        }
    }

    #[test]
    fn dangerous_schemes_fail() {
        for uri in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "cursor://anysphere/cb",
        ] {
            assert!(check(uri, &[]).is_err(), "{uri}");
        }
    }

    #[test]
    fn fragment_userinfo_and_remote_http_fail() {
        assert!(check("https://a.example/cb#x", &[]).is_err());
        assert!(check("https://user:pw@a.example/cb", &[]).is_err());
        assert!(check("http://evil.example/cb", &[]).is_err());
        assert!(check("http://127.0.0.1.evil.example/cb", &[]).is_err());
        assert!(check(&format!("https://a.example/{}", "x".repeat(2100)), &[]).is_err());
        assert!(check("https://a.example/c b", &[]).is_err());
    }

    #[test]
    fn patterns_restrict_and_admit() {
        let p = vec![
            "https://*.example.com/*".to_owned(),
            "cursor://anysphere.*".to_owned(),
        ];
        assert!(check("https://app.example.com/cb", &p).is_ok());
        assert!(check("https://evil.example.org/cb", &p).is_err());
        assert!(check("cursor://anysphere.cursor/cb", &p).is_ok());
        assert!(check("javascript:alert(1)", &["*".to_owned()]).is_err());
    }

    #[test]
    fn matching() {
        assert!(matches("https://a.example/cb", "https://a.example/cb"));
        assert!(!matches("https://a.example/cb", "https://a.example/cb/"));
        assert!(!matches("https://a.example/cb", "https://a.example/cb?x=1"));
        assert!(!matches("https://a.example/cb", "https://a.example:444/cb"));
        assert!(matches(
            "http://127.0.0.1:1000/cb",
            "http://127.0.0.1:5555/cb"
        ));
        assert!(!matches(
            "http://127.0.0.1:1000/cb",
            "http://127.0.0.1:5555/other"
        ));
        assert!(!matches(
            "http://127.0.0.1:1000/cb",
            "http://localhost:5555/cb"
        ));
        assert!(!matches("http://127.0.0.1/cb", "http://evil@127.0.0.1/cb"));
    }

    /// Thousands of mutated URIs through the checks: errors, never panics, and nothing with a
    /// dangerous scheme, a fragment or credentials is ever accepted.
    #[test]
    fn mutated_uris_never_panic_or_pass_dangerous() {
        let seeds = [
            "https://a.example/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "javascript:alert(1)",
            "http://[::1]:1/x",
            "https://u:p@h/#f",
            "data:,x",
        ];
        let alphabet: Vec<char> = ":/?#@[]%.-_~!$&'()*+,;=aZ09 \t\u{0}\u{202e}é"
            .chars()
            .collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for i in 0..20_000 {
            let mut s: Vec<char> = seeds[i % seeds.len()].chars().collect();
            for _ in 0..=next(4) {
                let at = next(s.len() + 1);
                match next(3) {
                    0 => s.insert(at, alphabet[next(alphabet.len())]),
                    1 if at < s.len() => {
                        s.remove(at);
                    }
                    _ if at < s.len() => s[at] = alphabet[next(alphabet.len())],
                    _ => {}
                }
            }
            let uri: String = s.into_iter().collect();
            if check(&uri, &[]).is_ok() {
                let u = url::Url::parse(&uri).expect("accepted URIs parse");
                assert!(matches!(u.scheme(), "https" | "http"), "{uri:?}");
                assert!(u.fragment().is_none() && u.username().is_empty(), "{uri:?}");
            }
            let _ = matches(seeds[i % seeds.len()], &uri);
            let _ = host_of(&uri);
            let _ = crate::authz::crypto::is_pkce_value(&uri);
        }
    }

    #[test]
    fn globs() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*", ""));
        assert!(!glob("a*c", "ab"));
        assert!(glob("a*b*c", "a1b2c"));
        assert!(!glob("abc", "abcd"));
    }
}
