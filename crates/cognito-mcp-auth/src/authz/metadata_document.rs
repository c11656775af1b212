//! Client ID metadata documents (MCP 2025-11-25): a client whose `client_id` is an https URL
//! is described by the JSON document at that URL, fetched under SSRF guards and cached.
//!
//! The guards: https only, a path, no fragment or credentials; every address the host resolves
//! to must be public ([`special_range`]); the connection goes to the address checked, never
//! through a proxy from the environment (either would undo the check); redirects are not
//! followed; time and size caps. The caller learns what to fix in the document, never the
//! server's view of the network: addresses, the resolver's and TLS's words go to the log.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::StatusCode;

use super::AuthorizationServer;
use super::error::OAuthError;
use super::model::Client;
use super::register::{MAX_METADATA_BYTES, Metadata, check_metadata};
use super::special_address::special_range;

const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CACHED_DOCUMENTS: usize = 1000;

/// Fetched metadata documents, kept as long as their cache headers allow.
pub(crate) struct MetadataDocuments {
    cache: Mutex<HashMap<String, (Client, Instant)>>,
}

impl MetadataDocuments {
    pub(crate) fn new() -> Self {
        Self {
            cache: Mutex::new(HashMap::new()),
        }
    }
}

/// Why a metadata document cannot be used: one variant per rule.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DocumentError {
    /// The URL is not one a document may be fetched from.
    #[error("the URL {0}")]
    Url(String),
    /// The host name did not resolve, not in time, or to no address.
    #[error("its host name did not resolve: {0}")]
    Resolve(String),
    /// The host resolves to a private or special-purpose address (SSRF).
    #[error("its host resolves to {addr}, in {range}")]
    SpecialAddress { addr: IpAddr, range: &'static str },
    /// Connecting, TLS, sending or reading failed or timed out.
    #[error("the fetch failed: {0}")]
    Fetch(String),
    /// It answered a redirect, which is not followed.
    #[error("it answered {0}; redirects are not followed")]
    Redirect(StatusCode),
    /// It answered a status other than success.
    #[error("it answered {0}")]
    Status(StatusCode),
    /// The body is over [`MAX_METADATA_BYTES`].
    #[error("the document is over {MAX_METADATA_BYTES} bytes")]
    TooLarge,
    /// The body is not client metadata JSON.
    #[error("it is not client metadata JSON: {0}")]
    NotJson(String),
    /// Its `client_id` is not its own URL.
    #[error("its client_id is not its own URL")]
    ClientIdMismatch,
    /// It has no `client_name`, which MCP requires of a metadata document (2026-07-28, client
    /// registration: `client_id`, `client_name` and `redirect_uris`): the consent page names the
    /// client by it.
    #[error("it has no client_name; a client ID metadata document must name its client")]
    NoClientName,
    /// It asks for client authentication, which a document cannot carry.
    #[error("token_endpoint_auth_method {0:?} is not supported for metadata documents; use none")]
    AuthMethod(String),
}

impl DocumentError {
    /// What the caller is told. Resolution, address and connection failures all read the same,
    /// so `/authorize` cannot be used to map the server's network or read its resolver's and
    /// TLS stack's messages; the detail is logged.
    pub(crate) fn public_text(&self) -> String {
        match self {
            Self::Resolve(_) | Self::SpecialAddress { .. } | Self::Fetch(_) => format!(
                "it could not be fetched; it must be served over https by a public host that \
                 answers within {} seconds",
                FETCH_TIMEOUT.as_secs()
            ),
            Self::Status(st) => format!("it answered HTTP {}; it must answer 200", st.as_u16()),
            Self::Redirect(st) => format!(
                "it answered HTTP {}, a redirect; redirects are not followed",
                st.as_u16()
            ),
            other => other.to_string(),
        }
    }
}

/// An error and its sources, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

fn cache_lifetime(headers: &http::HeaderMap) -> Option<Duration> {
    let cc = headers
        .get(http::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if cc.contains("no-store") || cc.contains("no-cache") {
        return None;
    }
    let max_age = cc
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(300);
    Some(Duration::from_secs(max_age.clamp(60, 24 * 3600)))
}

/// The client the metadata document at `url` describes, fetched under SSRF guards and cached;
/// `None` when metadata documents are off.
pub(crate) async fn client(
    s: &AuthorizationServer,
    url: &str,
) -> Result<Option<Client>, OAuthError> {
    let dcr = &s.inner.dcr;
    if !dcr.client_id_metadata_documents {
        return Ok(None);
    }
    if let Ok(cache) = s.inner.metadata_documents.cache.lock()
        && let Some((c, until)) = cache.get(url)
        && *until > Instant::now()
    {
        return Ok(Some(c.clone()));
    }
    let (doc, lifetime) = match fetch_document(
        url,
        dcr.dangerously_allow_private_metadata_documents,
    )
    .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(client_id = %url, detail = %e, "client ID metadata document refused");
            return Err(OAuthError::bad(
                "invalid_client",
                format!(
                    "the client ID metadata document {url} cannot be used: {}",
                    e.public_text()
                ),
            ));
        }
    };
    let m = check_metadata(s, &doc)?;
    let c = Client {
        client_id: url.to_owned(),
        secret_hash: None,
        client_name: m.client_name,
        redirect_uris: m.redirect_uris,
        auth_method: "none".into(),
        scopes: m.scopes,
        grant_types: m.grant_types,
        issued_at: s.now(),
        metadata_document: true,
        last_used: None,
    };
    if let Some(lifetime) = lifetime
        && let Ok(mut cache) = s.inner.metadata_documents.cache.lock()
    {
        if cache.len() >= MAX_CACHED_DOCUMENTS {
            let now = Instant::now();
            cache.retain(|_, (_, until)| *until > now);
            if cache.len() >= MAX_CACHED_DOCUMENTS {
                cache.clear();
            }
        }
        cache.insert(url.to_owned(), (c.clone(), Instant::now() + lifetime));
    }
    Ok(Some(c))
}

/// Resolves `host` and checks every address; the one to connect to.
async fn public_address(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<SocketAddr, DocumentError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> =
        tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| DocumentError::Resolve("timed out".into()))?
            .map_err(|e| DocumentError::Resolve(chain(&e)))?
            .collect();
    let addr = *addrs
        .first()
        .ok_or_else(|| DocumentError::Resolve("no address".into()))?;
    // Every address must be public: a name that resolves to one public and one private
    // address could otherwise be steered to the private one.
    if !allow_private
        && let Some((a, range)) = addrs
            .iter()
            .find_map(|a| special_range(a.ip()).map(|r| (a.ip(), r)))
    {
        return Err(DocumentError::SpecialAddress { addr: a, range });
    }
    Ok(addr)
}

async fn fetch_document(
    url: &str,
    allow_private: bool,
) -> Result<(Metadata, Option<Duration>), DocumentError> {
    let bad_url = |why: &str| DocumentError::Url(why.to_owned());
    let parsed =
        url::Url::parse(url).map_err(|e| DocumentError::Url(format!("is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        other => {
            return Err(DocumentError::Url(format!("must be https, not {other}")));
        }
    }
    if parsed.path().len() <= 1 {
        return Err(bad_url("must have a path"));
    }
    if parsed.fragment().is_some() || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad_url("must have no fragment and no credentials"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| bad_url("has no host"))?
        .to_owned();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| bad_url("has no port"))?;
    let addr = public_address(&host, port, allow_private).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        // Never a proxy from HTTPS_PROXY, ALL_PROXY and the like: the proxy would resolve the
        // name again and connect wherever that answer says, undoing the check above.
        .no_proxy()
        // Connect to the address just checked, not to a second lookup's answer (DNS rebinding).
        .resolve(&host, addr)
        .build()
        .map_err(|e| DocumentError::Fetch(chain(&e)))?;
    let mut resp = http
        .get(url)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| DocumentError::Fetch(chain(&e)))?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(DocumentError::Redirect(status));
    }
    if !status.is_success() {
        return Err(DocumentError::Status(status));
    }
    let lifetime = cache_lifetime(resp.headers());
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| DocumentError::Fetch(chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_METADATA_BYTES {
            return Err(DocumentError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok((parse_document(url, &body)?, lifetime))
}

/// A fetched client ID metadata document at `url`, read: client metadata JSON whose
/// `client_id` is its own URL, for a public client.
pub(super) fn parse_document(url: &str, body: &[u8]) -> Result<Metadata, DocumentError> {
    let m: Metadata =
        serde_json::from_slice(body).map_err(|e| DocumentError::NotJson(e.to_string()))?;
    if m.client_id.as_deref() != Some(url) {
        return Err(DocumentError::ClientIdMismatch);
    }
    if m.client_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(DocumentError::NoClientName);
    }
    if let Some(method) = &m.token_endpoint_auth_method
        && method != "none"
    {
        return Err(DocumentError::AuthMethod(method.clone()));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words of the server's network view that must never reach the caller.
    const INTERNAL: [&str; 12] = [
        "127.0.0.1",
        "::1",
        "loopback",
        "private",
        "resolve",
        "lookup",
        "dns",
        "tls",
        "certificate",
        "connect",
        "os error",
        "invalid",
    ];

    fn assert_generic(e: &DocumentError) {
        let text = e.public_text().to_lowercase();
        for word in INTERNAL {
            assert!(!text.contains(word), "{word:?} reaches the caller: {text}");
        }
    }

    #[tokio::test]
    async fn metadata_document_on_loopback_fails() {
        for url in [
            "https://127.0.0.1:9/client.json",
            "https://localhost:9/client.json",
            "https://[::ffff:127.0.0.1]:9/client.json",
        ] {
            let e = fetch_document(url, false).await.expect_err("refused");
            assert!(
                matches!(e, DocumentError::SpecialAddress { .. }),
                "{url}: {e}"
            );
            assert!(e.to_string().contains("loopback"), "the log says why: {e}");
            assert_generic(&e);
        }
    }

    #[tokio::test]
    async fn metadata_document_over_http_fails() {
        let e = fetch_document("http://example.com/client.json", false)
            .await
            .expect_err("refused");
        assert!(matches!(e, DocumentError::Url(_)), "{e}");
        assert!(e.public_text().contains("https"), "{e}");
    }

    #[tokio::test]
    async fn unresolvable_host_gives_generic_text_fails() {
        let e = fetch_document("https://no-such-host.invalid/client.json", false)
            .await
            .expect_err("refused");
        assert!(matches!(e, DocumentError::Resolve(_)), "{e}");
        assert_generic(&e);
    }

    /// A TLS failure (the port speaks plain text): the caller is not told the TLS stack's words.
    #[tokio::test]
    async fn tls_failure_gives_generic_text_fails() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                use tokio::io::AsyncWriteExt as _;
                let _ = sock
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        let e = fetch_document(&format!("https://127.0.0.1:{port}/client.json"), true)
            .await
            .expect_err("refused");
        assert!(matches!(e, DocumentError::Fetch(_)), "{e}");
        assert!(
            e.to_string().len() > "the fetch failed: ".len(),
            "the log has detail: {e}"
        );
        assert_generic(&e);
    }

    #[test]
    fn documents_that_break_a_rule_fail() {
        let url = "https://a.example.com/c.json";
        let doc = |extra: &str| {
            format!(r#"{{"redirect_uris":["http://127.0.0.1:1/cb"],{extra}}}"#).into_bytes()
        };
        assert!(matches!(
            parse_document(
                url,
                &doc(r#""client_id":"https://b.example.com/c.json","client_name":"x""#)
            ),
            Err(DocumentError::ClientIdMismatch)
        ));
        assert!(matches!(
            parse_document(url, &doc(&format!(r#""client_id":"{url}""#))),
            Err(DocumentError::NoClientName)
        ));
        assert!(matches!(
            parse_document(
                url,
                &doc(&format!(r#""client_id":"{url}","client_name":"  ""#))
            ),
            Err(DocumentError::NoClientName)
        ));
        assert!(matches!(
            parse_document(
                url,
                &doc(&format!(
                    r#""client_id":"{url}","client_name":"x","token_endpoint_auth_method":"client_secret_basic""#
                ))
            ),
            Err(DocumentError::AuthMethod(_))
        ));
        assert!(
            parse_document(
                url,
                &doc(&format!(r#""client_id":"{url}","client_name":"x""#))
            )
            .is_ok()
        );
    }

    #[test]
    fn cache_headers() {
        let mut h = http::HeaderMap::new();
        assert_eq!(cache_lifetime(&h), Some(Duration::from_secs(300)));
        h.insert(
            http::header::CACHE_CONTROL,
            "public, max-age=7200".parse().expect("hv"),
        );
        assert_eq!(cache_lifetime(&h), Some(Duration::from_secs(7200)));
        h.insert(http::header::CACHE_CONTROL, "no-store".parse().expect("hv"));
        assert_eq!(cache_lifetime(&h), None);
        h.insert(
            http::header::CACHE_CONTROL,
            "max-age=5".parse().expect("hv"),
        );
        assert_eq!(cache_lifetime(&h), Some(Duration::from_secs(60)));
    }
}
