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
    let pattern_ok = allowed_patterns.iter().any(|p| glob(p, url.as_str()));
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

/// What a `*` never matches: these end a host or a path segment, or start a query, a fragment
/// or user info (`\` is `/` to a browser in http(s) URLs).
const STAR_STOPS: [u8; 5] = [b'/', b'?', b'#', b'@', b'\\'];

/// Whether a `*` may take the byte at `j`: not a stop, nor the `%` of a stop's
/// percent-encoding (`%2F`, `%3F`, `%23`, `%40`, `%5C`, any case), which a server behind the
/// redirect URI may decode.
fn star_may_take(t: &[u8], j: usize) -> bool {
    if STAR_STOPS.contains(&t[j]) {
        return false;
    }
    let encoded_stop = t[j] == b'%'
        && t.get(j + 1..j + 3).is_some_and(|h| {
            let code = [h[0], h[1].to_ascii_uppercase()];
            matches!(&code, b"2F" | b"3F" | b"23" | b"40" | b"5C")
        });
    !encoded_stop
}

/// `*` matches any run of characters (the empty one too) that holds no [`STAR_STOPS`] byte
/// nor a percent-encoded one; every other character matches itself, case-sensitively.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // row[j]: the pattern so far matches t[..j].
    let mut row = vec![false; t.len() + 1];
    row[0] = true;
    for &c in p {
        let mut next = vec![false; t.len() + 1];
        if c == b'*' {
            next[0] = row[0];
            for j in 1..=t.len() {
                next[j] = row[j] || (next[j - 1] && star_may_take(t, j - 1));
            }
        } else {
            for j in 1..=t.len() {
                next[j] = row[j - 1] && t[j - 1] == c;
            }
        }
        row = next;
    }
    row[t.len()]
}

/// Whether the redirect URI `uri` matches `pattern`: the pattern is matched against the URL
/// as the server parses and writes it back, which is what a browser is sent to, so
/// `https://attacker.net\.example.com/` is matched as `https://attacker.net/.example.com/`.
pub(crate) fn pattern_matches(pattern: &str, uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| glob(pattern, u.as_str()))
}

/// What is wrong with a redirect pattern, if anything: it must be written as the server
/// writes URLs back, or no URI could ever match it.
pub(crate) fn pattern_problem(pattern: &str) -> Option<String> {
    let Some((scheme, _)) = pattern.split_once("://") else {
        return Some(format!(
            "{pattern:?} is not a URL pattern; write one like https://*.example.com/callback"
        ));
    };
    if scheme.is_empty() || scheme.contains('*') {
        return Some(format!(
            "{pattern:?} has no scheme written out; a `*` may not stand for the scheme"
        ));
    }
    if pattern.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some(format!("{pattern:?} contains spaces or control characters"));
    }
    // Some value of each `*` must give a URL the server writes back unchanged: a letter for a
    // host label or path segment, a digit for a port.
    let writable = ["a", "1"].iter().any(|v| {
        let example = pattern.replace('*', v);
        url::Url::parse(&example).is_ok_and(|u| u.as_str() == example)
    });
    if !writable {
        return Some(format!(
            "{pattern:?} can match no redirect URI: patterns are compared with the URL as the \
             server writes it (lowercase scheme and host, punycode for international names, no \
             default port, at least `/` after the host), so write it that way, like \
             https://*.example.com/callback"
        ));
    }
    None
}

/// Whether a pattern leaves the whole host to `*`s (`https://*/cb`, `https://*.*:*/cb`).
pub(crate) fn trusts_any_host(pattern: &str) -> bool {
    let rest = pattern.split_once("://").map_or(pattern, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.split(':').next().unwrap_or("");
    host.chars().all(|c| c == '*' || c == '.')
}

/// The URI goes to this machine (a loopback http URI): any program here could be the one
/// listening.
pub(crate) fn is_loopback_uri(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| u.scheme() == "http" && is_loopback(&u))
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
            "cursor://anysphere.*/*".to_owned(),
        ];
        assert!(check("https://app.example.com/cb", &p).is_ok());
        // Compared as the server writes the URL back: the host is lowercase there.
        assert!(pattern_matches(SUBDOMAINS, "https://APP.Example.COM/cb"));
        assert!(check("https://evil.example.org/cb", &p).is_err());
        assert!(check("cursor://anysphere.cursor/cb", &p).is_ok());
        assert!(check("javascript:alert(1)", &["*".to_owned()]).is_err());
    }

    const SUBDOMAINS: &str = "https://*.example.com/*";

    /// The example: `*` taking `attacker.net/` would send codes to attacker.net.
    #[test]
    fn star_across_a_slash_fails() {
        let p = [SUBDOMAINS.to_owned()];
        assert!(!pattern_matches(
            SUBDOMAINS,
            "https://attacker.net/.example.com/cb"
        ));
        assert!(check("https://attacker.net/.example.com/cb", &p).is_err());
        // One segment, not a path of them.
        assert!(!pattern_matches(SUBDOMAINS, "https://app.example.com/a/b"));
        assert!(pattern_matches(SUBDOMAINS, "https://app.example.com/a"));
        assert!(pattern_matches(SUBDOMAINS, "https://a.b.example.com/cb"));
    }

    /// A browser reads `\` as `/` in an https URL: `attacker.net\.example.com` is host
    /// attacker.net. Matching the text as written would let `*` take `attacker.net\`.
    #[test]
    fn backslash_as_a_slash_fails() {
        let uri = "https://attacker.net\\.example.com/cb";
        assert_eq!(host_of(uri), "attacker.net");
        assert!(!pattern_matches(SUBDOMAINS, uri));
        assert!(check(uri, &[SUBDOMAINS.to_owned()]).is_err());
        assert!(!glob(
            "https://*.example.com/cb",
            "https://attacker.net\\.example.com/cb"
        ));
    }

    /// User info: `*` taking `@attacker.net` would make example.com the user name and
    /// attacker.net the host.
    #[test]
    fn star_across_userinfo_at_fails() {
        let p = "https://app.example.com*/*";
        assert!(!pattern_matches(
            p,
            "https://app.example.com@attacker.net/cb"
        ));
        assert!(!glob(p, "https://app.example.com@attacker.net/cb"));
        assert!(glob(p, "https://app.example.com.cdn/cb"));
    }

    /// `?` and `#`: a pattern for `/cb1`, `/cb2` must not admit `/cb?next=...` (a query the
    /// page at /cb may act on) nor a fragment.
    #[test]
    fn star_across_query_or_fragment_fails() {
        let p = "https://app.example.com/cb*";
        assert!(pattern_matches(p, "https://app.example.com/cb2"));
        assert!(!pattern_matches(
            p,
            "https://app.example.com/cb?next=attacker.net"
        ));
        assert!(!glob(p, "https://app.example.com/cb#attacker.net"));
        assert!(!glob(
            "https://*.example.com/cb",
            "https://attacker.net?.example.com/cb"
        ));
        assert!(!glob(
            "https://*.example.com/cb",
            "https://attacker.net#.example.com/cb"
        ));
    }

    /// Percent-encoded stops: a server that decodes `%2F` before routing would walk out of
    /// the path the pattern names (`/oauth/..%2F..%2Fopen-redirect`).
    #[test]
    fn star_across_percent_encoded_stops_fails() {
        let p = "https://app.example.com/oauth/*";
        assert!(pattern_matches(p, "https://app.example.com/oauth/cb%20x"));
        for stop in ["%2F", "%2f", "%5C", "%5c", "%3F", "%3f", "%23", "%40"] {
            let uri = format!("https://app.example.com/oauth/..{stop}..{stop}open");
            assert!(!pattern_matches(p, &uri), "{uri}");
        }
        // Encoded dot segments are resolved before matching.
        assert!(!pattern_matches(p, "https://app.example.com/oauth/%2e%2e"));
        // In the host, an encoded stop is no host at all.
        assert!(!pattern_matches(
            SUBDOMAINS,
            "https://attacker.net%2F.example.com/cb"
        ));
        assert!(
            check(
                "https://attacker.net%2F.example.com/cb",
                &[SUBDOMAINS.to_owned()]
            )
            .is_err()
        );
    }

    /// Look-alike dots and case: whatever the text says, the host the browser goes to is what
    /// is matched.
    #[test]
    fn look_alike_hosts_match_as_written_back() {
        // U+3002 (ideographic full stop) is a dot to IDNA: the host is a.example.com.
        assert!(pattern_matches(
            SUBDOMAINS,
            "https://a\u{3002}example.com/cb"
        ));
        // U+FF0F (fullwidth solidus) is no dot: refused whatever it becomes.
        assert!(!pattern_matches(
            SUBDOMAINS,
            "https://attacker.net\u{ff0f}.example.com/cb"
        ));
        // U+2215 (division slash) is a letter to IDNA: punycode, under example.com.
        let slash = "https://attacker.net\u{2215}.example.com/cb";
        assert!(
            host_of(slash).ends_with(".example.com"),
            "{}",
            host_of(slash)
        );
    }

    #[test]
    fn patterns_that_match_nothing_are_problems() {
        for ok in [
            SUBDOMAINS,
            "https://app.example.com/cb",
            "http://127.0.0.1:*/callback",
            "cursor://anysphere.*/*",
            "https://app.example.com/cb?x=*",
        ] {
            assert_eq!(pattern_problem(ok), None, "{ok}");
        }
        for bad in [
            "https://App.example.com/cb",
            "https://*.example.com",
            "https://app.example.com:443/cb",
            "*://app.example.com/cb",
            "app.example.com/*",
            "https://app.example.com/ cb",
        ] {
            assert!(pattern_problem(bad).is_some(), "{bad}");
        }
        assert!(trusts_any_host("https://*/cb"));
        assert!(trusts_any_host("https://*.*:*/cb"));
        assert!(!trusts_any_host(SUBDOMAINS));
        assert!(!trusts_any_host("http://[::1]:*/cb"));
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
            "https://a.example.com/cb",
            "https://attacker.net/.example.com/cb",
            "https://a.example/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "javascript:alert(1)",
            "http://[::1]:1/x",
            "https://u:p@h/#f",
            "data:,x",
        ];
        let alphabet: Vec<char> =
            ":/?#@[]%.-_~!$&'()*+,;=aZ09 \t\u{0}\u{202e}é\\\u{3002}\u{ff0f}2F"
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
            // Whatever the text, a URI the subdomain pattern admits goes to a subdomain.
            if pattern_matches(SUBDOMAINS, &uri) {
                let u = url::Url::parse(&uri).expect("matched URIs parse");
                let host = u.host_str().unwrap_or("");
                assert!(host.ends_with(".example.com"), "{uri:?} goes to {host:?}");
                assert!(u.username().is_empty() && u.query().is_none(), "{uri:?}");
            }
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
        assert!(glob("a**c", "abc"));
        assert!(!glob("a*c", "a/c"));
        assert!(glob("*", "public-test-client"));
    }
}
