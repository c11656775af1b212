//! The `Origin` check in front of `/mcp`, before the bearer check: a request whose `Origin` is
//! present and not allowed gets 403 whether or not it carries a token (MCP 2026-07-28,
//! Streamable HTTP security: "If the Origin header is present and invalid, servers MUST respond
//! with HTTP 403 Forbidden"). rmcp checks `Host` and `Origin` again behind the bearer check;
//! this check only moves the refusal of a foreign page in front of it, so a browser page of
//! another site learns nothing from a 401 challenge either.
//!
//! Allowed entries are origins (`https://app.example.com`, `http://localhost:8080`) or an
//! origin with any port (`http://localhost:*`); the scheme and host compare case-insensitively
//! and a missing port is the scheme's default, as rmcp compares them.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// An origin: scheme, host, port.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `scheme://host[:port]` with nothing after it; `None` for anything else (`null` included).
fn parse(origin: &str) -> Option<Origin> {
    let (scheme, rest) = origin.split_once("://")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let url = url::Url::parse(origin).ok()?;
    let scheme = scheme.to_ascii_lowercase();
    Some(Origin {
        port: url.port().or_else(|| default_port(&scheme)),
        host: url.host_str()?.to_ascii_lowercase(),
        scheme,
    })
}

/// Whether `origin` matches one of `allowed`.
pub(crate) fn allowed(origin: &str, allowed: &[String]) -> bool {
    let Some(o) = parse(origin) else {
        return false;
    };
    allowed.iter().any(|entry| match entry.strip_suffix(":*") {
        Some(any_port) => parse(any_port).is_some_and(|a| a.scheme == o.scheme && a.host == o.host),
        None => parse(entry).is_some_and(|a| a == o),
    })
}

/// The middleware: 403 for a present, disallowed `Origin`.
pub(crate) async fn check(
    allowed_origins: std::sync::Arc<Vec<String>>,
    req: Request,
    next: Next,
) -> Response {
    let refused = match req.headers().get(header::ORIGIN).map(HeaderValue::to_str) {
        None => false,
        Some(Ok(origin)) => !allowed(origin, &allowed_origins),
        Some(Err(_)) => true,
    };
    if refused {
        return (
            StatusCode::FORBIDDEN,
            "Forbidden: Origin header is not allowed",
        )
            .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::allowed;

    fn list() -> Vec<String> {
        [
            "https://mcp.example.com",
            "http://localhost:*",
            "http://127.0.0.1:*",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    #[test]
    fn the_public_url_and_loopback_pages_pass() {
        for o in [
            "https://mcp.example.com",
            "https://MCP.example.com:443",
            "http://localhost:3000",
            "http://127.0.0.1",
        ] {
            assert!(allowed(o, &list()), "{o}");
        }
    }

    #[test]
    fn other_sites_and_look_alikes_fail() {
        for o in [
            "https://evil.example.com",
            "http://mcp.example.com",
            "https://mcp.example.com:8443",
            "https://mcp.example.com.evil.net",
            "https://localhost:3000",
            "http://localhost.evil.net:3000",
            "null",
            "https://mcp.example.com/path",
            "https://user@mcp.example.com",
            "",
        ] {
            assert!(!allowed(o, &list()), "{o}");
        }
    }
}
