//! Whether a token's `aud` names the bound resource: compared as URIs, scheme and host in any
//! case, a default port or a trailing slash making no difference (MCP 2026-07-28, "Canonical
//! Server URI": servers SHOULD accept an uppercase scheme and host). Path, query and the rest
//! must match exactly.

/// `asked` (a token's `aud`, a client's `resource` parameter) names `resource`.
pub fn same_resource(asked: &str, resource: &str) -> bool {
    match (parts(asked), parts(resource)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// (scheme, host, port, path and query) of an http(s) URI in canonical form; `None` for
/// anything else, credentials and fragments included.
fn parts(uri: &str) -> Option<(String, String, u16, &str)> {
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() || authority.contains('@') || uri.contains('#') {
        return None;
    }
    let bare_ipv6 = authority.starts_with('[') && authority.ends_with(']');
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !bare_ipv6 => {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (h, p.parse().ok()?)
        }
        _ => (authority, default),
    };
    let path = path.strip_suffix('/').unwrap_or(path);
    Some((scheme, host.to_ascii_lowercase(), port, path))
}

#[cfg(test)]
mod tests {
    use super::same_resource;

    const OURS: &str = "https://mcp.example.com/mcp";

    #[test]
    fn other_spellings_of_the_resource_pass() {
        for aud in [
            OURS,
            "HTTPS://MCP.EXAMPLE.COM/mcp",
            "https://mcp.example.com:443/mcp",
            "https://mcp.example.com/mcp/",
        ] {
            assert!(same_resource(aud, OURS), "{aud}");
        }
        assert!(same_resource("http://[::1]/mcp", "http://[::1]:80/mcp"));
        assert!(same_resource(
            "http://LOCALHOST:8080/mcp",
            "http://localhost:8080/mcp"
        ));
        assert!(same_resource(
            "http://[::1]:8080/mcp",
            "http://[::1]:8080/mcp"
        ));
        assert!(!same_resource("http://[::1]:8080/mcp", "http://[::1]/mcp"));
    }

    #[test]
    fn other_resources_fail() {
        for aud in [
            "https://mcp.example.com/MCP",
            "https://mcp.example.com/mcp/x",
            "https://mcp.example.com:8443/mcp",
            "http://mcp.example.com/mcp",
            "https://mcp.example.com.evil.net/mcp",
            "https://evil.net@mcp.example.com/mcp",
            "https://mcp.example.com/mcp#x",
            "https://mcp.example.com/mcp?x=1",
            "https://user@mcp.example.com/mcp",
            "mcp.example.com/mcp",
            "https://mcp.example.com:/mcp",
            "",
        ] {
            assert!(!same_resource(aud, OURS), "{aud}");
        }
    }
}
