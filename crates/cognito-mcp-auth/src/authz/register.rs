//! `/register` (RFC 7591) and client ID metadata documents (MCP 2025-11-25): how a client
//! becomes known, and every check on what it says about itself.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use http::StatusCode;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::OAuthError;
use super::model::{self, Client};
use super::{AuthorizationServer, crypto, redirect};
use crate::store::Kind;

/// Largest registration or metadata document read: 64 KiB.
const MAX_METADATA_BYTES: usize = 64 * 1024;
const MAX_REDIRECT_URIS: usize = 10;
const MAX_NAME_LEN: usize = 200;

#[derive(Debug, Deserialize)]
pub(super) struct Metadata {
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
    client_id: Option<String>,
}

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::bad("invalid_client_metadata", description)
}

/// The checked parts of client metadata.
pub(super) struct Checked {
    pub(super) redirect_uris: Vec<String>,
    client_name: Option<String>,
    grant_types: Vec<String>,
    scopes: Vec<String>,
}

pub(super) fn check_metadata(s: &AuthorizationServer, m: &Metadata) -> Result<Checked, OAuthError> {
    let dcr = &s.inner.dcr;
    let uris = m
        .redirect_uris
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            OAuthError::bad(
                "invalid_redirect_uri",
                "redirect_uris is required: list at least one",
            )
        })?;
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::bad(
            "invalid_redirect_uri",
            format!(
                "{} redirect_uris given; at most {MAX_REDIRECT_URIS} are kept",
                uris.len()
            ),
        ));
    }
    for u in &uris {
        redirect::check(u, &dcr.allowed_redirect_patterns)
            .map_err(|e| OAuthError::bad("invalid_redirect_uri", e))?;
    }
    if let Some(name) = &m.client_name
        && (name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control))
    {
        return Err(invalid(format!(
            "client_name must be at most {MAX_NAME_LEN} characters, without control characters"
        )));
    }
    // Left out, grant_types means authorization_code alone (RFC 7591 §2): such a client gets
    // no refresh token, and `/token` refuses it the refresh grant.
    let grant_types = m
        .grant_types
        .clone()
        .unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(invalid(format!(
            "grant type {g:?} is not supported; use authorization_code and refresh_token"
        )));
    }
    if let Some(r) = m
        .response_types
        .as_ref()
        .and_then(|r| r.iter().find(|r| r.as_str() != "code"))
    {
        return Err(invalid(format!(
            "response type {r:?} is not supported; use code"
        )));
    }
    let scopes: Vec<String> = match m.scope.as_deref().map(str::trim) {
        None | Some("") => dcr.default_scopes.clone(),
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
    };
    if let Some(bad) = scopes.iter().find(|s| !dcr.allowed_scopes.contains(s)) {
        return Err(invalid(format!(
            "the scope {bad:?} is not allowed here; allowed: {}",
            dcr.allowed_scopes.join(" ")
        )));
    }
    Ok(Checked {
        redirect_uris: uris,
        client_name: m.client_name.clone(),
        grant_types,
        scopes,
    })
}

fn client_ip(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// `POST /register`.
pub(crate) async fn register(
    State(s): State<AuthorizationServer>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let dcr = &s.inner.dcr;
    let store = &s.inner.store;
    let ip = client_ip(&req);
    let n = store
        .incr(
            Kind::RateLimit,
            &format!("register:{ip}"),
            1,
            Duration::from_secs(60),
        )
        .await?;
    if n > dcr.registrations_per_minute {
        return Err(OAuthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            format!(
                "more than {} registrations a minute from this address; wait a minute",
                dcr.registrations_per_minute
            ),
        )
        .retry_after(60));
    }
    if store.count(Kind::Client).await? >= dcr.max_clients {
        return Err(OAuthError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            format!(
                "the server holds its limit of {} registered clients",
                dcr.max_clients
            ),
        ));
    }
    let body = http_body_util::Limited::new(req.into_body(), MAX_METADATA_BYTES)
        .collect()
        .await
        .map_err(|_| {
            OAuthError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_client_metadata",
                format!("the registration is over {MAX_METADATA_BYTES} bytes"),
            )
        })?
        .to_bytes();
    let m: Metadata = serde_json::from_slice(&body)
        .map_err(|e| invalid(format!("the body is not client metadata JSON: {e}")))?;
    let checked = check_metadata(&s, &m)?;
    let requested = m.token_endpoint_auth_method.as_deref();
    if let Some(r) = requested
        && !matches!(r, "none" | "client_secret_basic" | "client_secret_post")
    {
        return Err(invalid(format!(
            "token_endpoint_auth_method {r:?} is not supported; use none, client_secret_basic or client_secret_post"
        )));
    }
    let public = checked
        .client_name
        .as_deref()
        .is_some_and(|n| dcr.is_public_name(n))
        && !matches!(
            requested,
            Some("client_secret_basic" | "client_secret_post")
        );
    let (auth_method, secret) = if public {
        ("none".to_owned(), None)
    } else {
        let method = if requested == Some("client_secret_post") {
            "client_secret_post"
        } else {
            "client_secret_basic"
        };
        (method.to_owned(), Some(crypto::random_token()))
    };
    let client = Client {
        client_id: crypto::random_id(),
        secret_hash: secret.as_ref().map(|s| crypto::sha256_b64(s.as_bytes())),
        client_name: checked.client_name,
        redirect_uris: checked.redirect_uris,
        auth_method,
        scopes: checked.scopes,
        grant_types: checked.grant_types,
        issued_at: s.now(),
        metadata_document: false,
    };
    store
        .put(
            Kind::Client,
            &client.client_id,
            model::encode(&client),
            None,
        )
        .await?;
    tracing::info!(client_id = %client.client_id, name = ?client.client_name, public, "client registered");
    let mut out = json!({
        "client_id": client.client_id,
        "client_id_issued_at": client.issued_at,
        "redirect_uris": client.redirect_uris,
        "token_endpoint_auth_method": client.auth_method,
        "grant_types": client.grant_types,
        "response_types": ["code"],
        "scope": client.scopes.join(" "),
    });
    if let Some(name) = &client.client_name {
        out["client_name"] = json!(name);
    }
    if let Some(secret) = secret {
        out["client_secret"] = json!(secret);
        out["client_secret_expires_at"] = json!(0);
    }
    Ok((StatusCode::CREATED, Json(out)))
}

// --- client ID metadata documents -------------------------------------------------------------

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

const MAX_CACHED_DOCUMENTS: usize = 1000;

/// Whether an address is one a metadata fetch must never reach (SSRF).
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // CGNAT
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // benchmarking
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64
        }
    }
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

/// The client a metadata document at `url` describes, fetched under SSRF guards and cached.
pub(crate) async fn metadata_document(
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
    let (client, lifetime) = fetch_document(url, dcr.dangerously_allow_private_metadata_documents)
        .await
        .map_err(|e| {
            OAuthError::bad(
                "invalid_client",
                format!("the client ID metadata document {url}: {e}"),
            )
        })?;
    let m = check_metadata(s, &client)?;
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

async fn fetch_document(
    url: &str,
    allow_private: bool,
) -> Result<(Metadata, Option<Duration>), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        other => return Err(format!("the scheme must be https, not {other}")),
    }
    if parsed.path().len() <= 1 {
        return Err("the URL must have a path".into());
    }
    if parsed.fragment().is_some() || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the URL must have no fragment and no credentials".into());
    }
    let host = parsed.host_str().ok_or("the URL has no host")?.to_owned();
    let port = parsed
        .port_or_known_default()
        .ok_or("the URL has no port")?;
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port)),
    )
    .await
    .map_err(|_| "its host name did not resolve in time".to_owned())?
    .map_err(|e| format!("its host name does not resolve: {e}"))?
    .collect();
    let addr = *addrs.first().ok_or("its host name has no address")?;
    // Every address must be public: a name that resolves to one public and one private
    // address could otherwise be steered to the private one.
    if !allow_private && addrs.iter().any(|a| is_private(a.ip())) {
        return Err("its host resolves to a private, loopback or reserved address".into());
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        // Connect to the address just checked, not to a second lookup's answer (DNS rebinding).
        .resolve(&host, addr)
        .build()
        .map_err(|e| e.to_string())?;
    let mut resp = http
        .get(url)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("the fetch failed: {e}"))?;
    if resp.status().is_redirection() {
        return Err("it answered a redirect; redirects are not followed".into());
    }
    if !resp.status().is_success() {
        return Err(format!("it answered {}", resp.status()));
    }
    let lifetime = cache_lifetime(resp.headers());
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("the fetch failed: {e}"))?
    {
        if body.len() + chunk.len() > MAX_METADATA_BYTES {
            return Err(format!("the document is over {MAX_METADATA_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((parse_document(url, &body)?, lifetime))
}

/// A fetched client ID metadata document at `url`, read: client metadata JSON whose
/// `client_id` is its own URL, for a public client.
pub(super) fn parse_document(url: &str, body: &[u8]) -> Result<Metadata, String> {
    let m: Metadata =
        serde_json::from_slice(body).map_err(|e| format!("it is not client metadata JSON: {e}"))?;
    if m.client_id.as_deref() != Some(url) {
        return Err("its client_id is not its own URL".into());
    }
    if let Some(method) = &m.token_endpoint_auth_method
        && method != "none"
    {
        return Err(format!(
            "token_endpoint_auth_method {method:?} is not supported for metadata documents; use none"
        ));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[tokio::test]
    async fn metadata_document_on_loopback_fails() {
        let e = fetch_document("https://127.0.0.1:9/client.json", false)
            .await
            .expect_err("refused");
        assert!(e.contains("private"), "{e}");
        let e = fetch_document("https://localhost:9/client.json", false)
            .await
            .expect_err("refused");
        assert!(e.contains("private"), "{e}");
    }

    #[tokio::test]
    async fn metadata_document_over_http_fails() {
        let e = fetch_document("http://example.com/client.json", false)
            .await
            .expect_err("refused");
        assert!(e.contains("https"), "{e}");
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
