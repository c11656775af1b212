//! The client side of OAuth tests against an authorization server: a small headless browser
//! (a cookie jar that follows redirects and fills the consent form), PKCE, dynamic
//! registration, token and revocation requests, a client ID metadata document server, and an
//! unverified look at a JWT's claims. Shared by the binary's proxy-mode tests and the
//! library's in-process ones (`cognito-mcp-auth/tests`).

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::standin::REDIRECT;

/// A response, read.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    /// The query parameters of the Location.
    pub fn query(&self) -> HashMap<String, String> {
        let loc = self
            .location
            .as_deref()
            .unwrap_or_else(|| panic!("no Location: {self:?}"));
        url::Url::parse(loc)
            .expect("Location is a URL")
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// A headless browser: keeps cookies, follows nothing by itself.
#[derive(Debug, Default)]
pub struct Browser {
    pub cookies: HashMap<String, String>,
    http: Option<reqwest::Client>,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            cookies: HashMap::new(),
            http: Some(
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("client"),
            ),
        }
    }

    /// A browser whose connections come from `local` (a loopback address such as 127.0.0.2),
    /// so per-address limits count it apart from 127.0.0.1.
    pub fn from_address(local: std::net::IpAddr) -> Self {
        Self {
            cookies: HashMap::new(),
            http: Some(
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .local_address(local)
                    .build()
                    .expect("client"),
            ),
        }
    }

    /// POSTs JSON (a registration) from this browser's address.
    pub async fn post_json(&mut self, url: &str, body: &Value) -> Got {
        let resp = self
            .client()
            .post(url)
            .json(body)
            .send()
            .await
            .expect("POST");
        self.read(resp).await
    }

    fn client(&self) -> &reqwest::Client {
        self.http.as_ref().expect("client")
    }

    async fn read(&mut self, resp: reqwest::Response) -> Got {
        for v in resp.headers().get_all("set-cookie") {
            if let Some((k, rest)) = v.to_str().unwrap_or("").split_once('=') {
                let value = rest.split(';').next().unwrap_or("").to_owned();
                self.cookies.insert(k.trim().to_owned(), value);
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await.unwrap_or_default();
        Got {
            status,
            location,
            headers,
            text,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, url: &str) -> Got {
        // The stand-in's issuer says localhost; it listens on 127.0.0.1.
        let url = url.replace("http://localhost:", "http://127.0.0.1:");
        let resp = self
            .client()
            .get(&url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.read(resp).await
    }

    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Got {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .client()
            .post(url)
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        self.read(resp).await
    }

    /// Follows redirects from `url` until one leaves for `REDIRECT` (returned, not fetched).
    pub async fn follow(&mut self, mut got: Got) -> Got {
        for _ in 0..10 {
            match &got.location {
                Some(loc) if !loc.starts_with(REDIRECT) && (300..400).contains(&got.status) => {
                    let loc = loc.clone();
                    got = self.get(&loc).await;
                }
                _ => return got,
            }
        }
        panic!("redirect loop: {got:?}");
    }
}

/// The hidden fields of the consent form.
pub fn consent_fields(html: &str) -> (String, String) {
    let field = |name: &str| {
        let at = html
            .find(&format!("name=\"{name}\" value=\""))
            .unwrap_or_else(|| panic!("no {name} field in {html}"));
        let rest = &html[at + name.len() + 15..];
        rest[..rest.find('"').expect("end quote")].to_owned()
    };
    (field("txn"), field("csrf"))
}

/// A PKCE pair.
pub fn pkce() -> (String, String) {
    let verifier = format!("v{}", uuid_like()).repeat(2);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()),
    );
    (verifier, challenge)
}

fn uuid_like() -> String {
    let mut b = [0u8; 24];
    aws_lc_rs::rand::fill(&mut b).expect("random");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// POSTs JSON to `/register`.
pub async fn register(base: &str, body: Value) -> Got {
    let resp = reqwest::Client::new()
        .post(format!("{base}/register"))
        .json(&body)
        .send()
        .await
        .expect("register");
    Browser::new().read(resp).await
}

/// Registers a client named `name` with the standard redirect URI, for both grants (as MCP
/// clients register: left out, grant_types means authorization_code only).
pub async fn register_client(base: &str, name: &str, scope: &str) -> Value {
    let got = register(
        base,
        json!({
            "client_name": name,
            "redirect_uris": [REDIRECT],
            "scope": scope,
            "grant_types": ["authorization_code", "refresh_token"],
        }),
    )
    .await;
    assert_eq!(got.status, 201, "{}", got.text);
    got.json()
}

/// Registers a public client; returns its id.
pub async fn public_client(base: &str, scope: &str) -> String {
    register_client(base, "public-test-client", scope).await["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned()
}

/// Submits the consent form `(txn, csrf)` with `action` (`approve` or `deny`).
pub async fn submit_consent(
    b: &mut Browser,
    base: &str,
    txn: &str,
    csrf: &str,
    action: &str,
) -> Got {
    b.post_form(
        &format!("{base}/consent"),
        &[("txn", txn), ("csrf", csrf), ("action", action)],
    )
    .await
}

/// An authorization request's query.
pub fn authorize_url(
    base: &str,
    client_id: &str,
    challenge: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut u = url::Url::parse(&format!("{base}/authorize")).expect("url");
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", "client-state-123")
            .append_pair("scope", scope)
            .append_pair("resource", &format!("{base}/mcp"));
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    u.into()
}

/// Runs authorize → consent (approve) → the upstream, and returns the upstream's redirect back
/// to the server's callback (not yet fetched).
pub async fn approve_to_callback(
    browser: &mut Browser,
    base: &str,
    client_id: &str,
    challenge: &str,
    scope: &str,
) -> String {
    let page = browser
        .get(&authorize_url(base, client_id, challenge, scope, &[]))
        .await;
    assert_eq!(page.status, 200, "consent page expected: {}", page.text);
    let (txn, csrf) = consent_fields(&page.text);
    let to_upstream = submit_consent(browser, base, &txn, &csrf, "approve").await;
    let back = browser
        .get(
            to_upstream
                .location
                .as_deref()
                .expect("a redirect to the upstream"),
        )
        .await;
    back.location
        .expect("the upstream's redirect to the callback")
}

/// Runs authorize → consent (approve) → upstream → callback; returns the final redirect.
pub async fn sign_in(
    browser: &mut Browser,
    base: &str,
    client_id: &str,
    challenge: &str,
    scope: &str,
) -> Got {
    let page = browser
        .get(&authorize_url(base, client_id, challenge, scope, &[]))
        .await;
    assert_eq!(page.status, 200, "consent page expected: {}", page.text);
    let (txn, csrf) = consent_fields(&page.text);
    let got = submit_consent(browser, base, &txn, &csrf, "approve").await;
    browser.follow(got).await
}

/// The token request redeeming `code` for public client `id` at the standard redirect URI.
pub fn code_form<'a>(
    code: &'a str,
    verifier: &'a str,
    id: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("client_id", id),
    ]
}

/// The token request refreshing with `refresh_token` for public client `id`.
pub fn refresh_form<'a>(refresh_token: &'a str, id: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", id),
    ]
}

/// POSTs a token request; `basic` is (id, secret) for HTTP Basic.
pub async fn token(base: &str, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Got {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = reqwest::Client::new()
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    Browser::new().read(req.send().await.expect("token")).await
}

/// POSTs an RFC 7009 revocation of `token` by public client `client_id`; the status.
pub async fn revoke(base: &str, token: &str, client_id: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/revoke"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("token", token), ("client_id", client_id)])
                .finish(),
        )
        .send()
        .await
        .expect("revoke")
        .status()
        .as_u16()
}

/// A public client signed in end to end: (client_id, token response).
pub async fn public_tokens(base: &str, scope: &str) -> (String, Value) {
    let client = register_client(base, "public-test-client", scope).await;
    let id = client["client_id"].as_str().expect("client_id").to_owned();
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let done = sign_in(&mut b, base, &id, &challenge, scope).await;
    let code = done.query()["code"].clone();
    let t = token(base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    (id, t.json())
}

/// The payload of a JWT, unverified.
pub fn claims(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .expect("b64"),
    )
    .expect("json")
}

/// Serves one client ID metadata document at `http://{ip}:PORT/clients/agent.json` (a public
/// client with the standard redirect URI and `mcp/read`), with `cache_control` if any; its URL.
pub async fn serve_metadata_document(ip: &str, cache_control: Option<&'static str>) -> String {
    serve_metadata_document_with(ip, cache_control, |_| {}).await
}

/// As [`serve_metadata_document`], with `edit` applied to the document first (to play a
/// document that breaks a rule).
pub async fn serve_metadata_document_with(
    ip: &str,
    cache_control: Option<&'static str>,
    edit: impl FnOnce(&mut Value),
) -> String {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind");
    let url = format!(
        "http://{}/clients/agent.json",
        listener.local_addr().expect("addr")
    );
    let mut doc = json!({
        "client_id": url,
        "client_name": "Metadata Document Agent",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "scope": "mcp/read",
    });
    edit(&mut doc);
    let app = axum::Router::new().route(
        "/clients/agent.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move {
                let mut resp = axum::response::IntoResponse::into_response(axum::Json(doc));
                if let Some(cc) = cache_control {
                    resp.headers_mut()
                        .insert("cache-control", axum::http::HeaderValue::from_static(cc));
                }
                resp
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}
