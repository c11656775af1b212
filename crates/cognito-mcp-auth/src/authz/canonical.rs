//! Whether a client's `resource` (RFC 8707) names this server: compared as URIs, not as strings.
//!
//! MCP 2026-07-28 ("Canonical Server URI"): clients should send the canonical form, and servers
//! should accept an uppercase scheme and host; a trailing slash is not a different resource.
//! Everything else must match: port (a default port equals none), path, query; a fragment is
//! never a resource (RFC 8707 §2).

/// `asked` names the same resource as `ours`.
pub(crate) fn same_resource(asked: &str, ours: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(asked), url::Url::parse(ours)) else {
        return false;
    };
    // The parser lowercases scheme and host; it keeps the path's case, as it must.
    a.fragment().is_none()
        && !asked.contains('#')
        && a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.username().is_empty()
        && a.password().is_none()
        && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
        && a.query() == b.query()
}

#[cfg(test)]
mod tests {
    use super::same_resource;

    const OURS: &str = "https://mcp.example.com/mcp";

    #[test]
    fn the_same_resource_in_other_spellings_passes() {
        for asked in [
            OURS,
            "https://mcp.example.com/mcp/",
            "HTTPS://MCP.EXAMPLE.COM/mcp",
            "https://Mcp.Example.Com:443/mcp",
        ] {
            assert!(same_resource(asked, OURS), "{asked}");
        }
        assert!(same_resource(
            "http://LOCALHOST:8080/mcp",
            "http://localhost:8080/mcp"
        ));
    }

    #[test]
    fn another_resource_fails() {
        for asked in [
            "https://mcp.example.com/MCP",
            "https://mcp.example.com/mcp/other",
            "https://mcp.example.com:8443/mcp",
            "http://mcp.example.com/mcp",
            "https://mcp.example.com.evil.net/mcp",
            "https://evil.net/mcp",
            "https://user@mcp.example.com/mcp",
            "https://mcp.example.com/mcp#frag",
            "https://mcp.example.com/mcp?x=1",
            "mcp.example.com/mcp",
            "",
        ] {
            assert!(!same_resource(asked, OURS), "{asked}");
        }
    }
}
