//! Native mode (`auth.mode = "native"`): the pool is the MCP clients' authorization server.
//! Clients register with Cognito itself (its dynamic client registration, or a client ID
//! metadata document under a CIMD policy) and ask for tokens
//! bound to this server (`resource`, RFC 8707); such a token passes from any app client of the
//! pool, and the user's groups still cap everything. Against the hosted-UI stand-in in its
//! native mode (scripts/upstream-stand-in.mjs --native, which follows AWS's documentation).

mod common;

use common::cimd::{CimdHost, cognito_api};
use common::drivers::{run, script, step};
use common::proxy::{REDIRECT, StandIn, UPSTREAM_CLIENT, claims, pkce};
use common::{HttpServer, Reply, http_call, new_pool, node_bin, rpc, serve_http};
use serde_json::{Value, json};

struct Native {
    upstream: StandIn,
    server: HttpServer,
    /// The stand-in's origin: `/oauth2/register`, `/oauth2/authorize`, `/oauth2/token`.
    origin: String,
}

async fn native(groups: &[&str], stand_in: &[&str]) -> Native {
    let pool = new_pool().await;
    let mut args = vec!["--cognito-paths", "--native", "--issuer-host", "127.0.0.1"];
    args.extend_from_slice(stand_in);
    let upstream = StandIn::start_with("alice", groups, &args).await;
    let server = serve_http(
        &pool,
        &[
            ("COGNITO_MCP_AUTH_MODE", "native"),
            ("COGNITO_ISSUER", &upstream.issuer),
        ],
    )
    .await;
    let origin = upstream.origin();
    Native {
        upstream,
        server,
        origin,
    }
}

/// Native mode with client ID metadata documents: the document host, and the stand-in trusting
/// its CA, with S256 in its discovery as MCP clients require.
async fn native_cimd(groups: &[&str], stand_in: &[&str]) -> (Native, CimdHost) {
    let host = CimdHost::start().await;
    let ca = host.ca_file();
    let mut args = vec!["--cimd-ca", ca.as_str(), "--discovery-s256"];
    args.extend_from_slice(stand_in);
    (native(groups, &args).await, host)
}

/// A CIMD document as an MCP client hosts it: public, with `redirect` as its callback.
fn document(name: &str, redirect: &str) -> Value {
    json!({
        "client_name": name,
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
}

impl Native {
    fn resource(&self) -> String {
        format!("{}/mcp", self.server.base)
    }

    /// Creates a CIMD policy of the pool for `patterns`, on the stand-in's app client; its id.
    async fn policy(&self, patterns: &[&str]) -> String {
        let (status, body) = cognito_api(
            &self.origin,
            "CreateCIMDPolicy",
            json!({
                "UserPoolId": "us-east-1_StandIn",
                "ClientId": UPSTREAM_CLIENT,
                "PolicyName": "mcp-clients",
                "URLPatterns": patterns,
            }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["CIMDPolicy"]["CIMDPolicyId"]
            .as_str()
            .expect("policy id")
            .to_owned()
    }

    /// What the stand-in's /oauth2/authorize answers `client_id` (a CIMD URL) with REDIRECT:
    /// (status, the redirect's location or the error page).
    async fn authorize(&self, client_id: &str, redirect: &str) -> (u16, String) {
        let (_, challenge) = pkce();
        let mut url = url::Url::parse(&format!("{}/oauth2/authorize", self.origin)).expect("url");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("scope", "openid mcp/read");
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(url)
            .send()
            .await
            .expect("authorize");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().expect("location").to_owned());
        let text = r.text().await.expect("body");
        (status, location.unwrap_or(text))
    }

    /// A refresh token of a sign-in of `client_id` (a registered public client).
    async fn refresh_token(&self, client_id: &str) -> String {
        self.token_response(client_id, "openid mcp/read", None)
            .await["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned()
    }

    /// The stand-in's request log.
    async fn requests(&self) -> Vec<Value> {
        reqwest::get(format!("{}/_control/requests", self.origin))
            .await
            .expect("requests")
            .json()
            .await
            .expect("json")
    }

    /// Registers a public client at the pool, as an MCP client does.
    async fn register(&self) -> String {
        let reply = reqwest::Client::new()
            .post(format!("{}/oauth2/register", self.origin))
            .json(&json!({
                "redirect_uris": [REDIRECT],
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
                "client_name": "native-test",
            }))
            .send()
            .await
            .expect("register");
        assert_eq!(reply.status(), 201);
        let body: Value = reply.json().await.expect("json");
        body["client_id"].as_str().expect("client_id").to_owned()
    }

    /// Authorization code with PKCE at the pool, for `resource` (none: unbound); the access
    /// token.
    async fn token(&self, client_id: &str, scope: &str, resource: Option<&str>) -> String {
        let body = self.token_response(client_id, scope, resource).await;
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_owned()
    }

    /// The token response of that flow.
    async fn token_response(&self, client_id: &str, scope: &str, resource: Option<&str>) -> Value {
        let (verifier, challenge) = pkce();
        let mut url = url::Url::parse(&format!("{}/oauth2/authorize", self.origin)).expect("url");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", client_id)
                .append_pair("redirect_uri", REDIRECT)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("state", "s")
                .append_pair("scope", scope);
            if let Some(r) = resource {
                q.append_pair("resource", r);
            }
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let to_callback = http.get(url).send().await.expect("authorize");
        let location = to_callback.headers()["location"]
            .to_str()
            .expect("location");
        let code = url::Url::parse(location)
            .expect("callback")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no code in {location}"));
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ];
        if let Some(r) = resource {
            form.push(("resource", r));
        }
        let body: Value = http
            .post(format!("{}/oauth2/token", self.origin))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        body
    }
}

fn code_of(r: &Reply) -> String {
    format!("{} {:?}", r.status, r.www_authenticate)
}

#[tokio::test]
async fn the_metadata_names_the_pool_as_the_authorization_server() {
    let n = native(&["Admins"], &[]).await;
    let prm: Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        n.server.base
    ))
    .await
    .expect("metadata")
    .json()
    .await
    .expect("json");
    assert_eq!(prm["resource"], n.resource());
    assert_eq!(prm["authorization_servers"], json!([n.upstream.issuer]));
    // And this server is no authorization server: no registration or token endpoint of its own.
    for path in [
        "/register",
        "/token",
        "/.well-known/oauth-authorization-server",
    ] {
        let status = reqwest::get(format!("{}{path}", n.server.base))
            .await
            .expect("get")
            .status();
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_dynamically_registered_client_with_a_token_bound_to_this_server_calls_tools() {
    let n = native(&["Developers"], &[]).await;
    let client = n.register().await;
    let token = n
        .token(&client, "openid mcp/read mcp/write", Some(&n.resource()))
        .await;
    assert_eq!(claims(&token)["aud"], n.resource());
    let who = http_call(&n.server.base, &token, "whoami", json!({})).await;
    assert_eq!(who.status, 200, "{:?}", who.body);
    assert_eq!(
        who.body["result"]["structuredContent"]["username"], "alice",
        "{:?}",
        who.body
    );
    let listed = http_call(&n.server.base, &token, "list_users", json!({})).await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert!(
        listed.body["result"]["isError"] != json!(true),
        "{:?}",
        listed.body
    );
}

#[tokio::test]
async fn a_token_without_the_resource_from_an_unlisted_client_is_refused() {
    // The registered client asked for no resource: an unbound token of a client this server
    // does not list (another app's token) gets 401, whatever its scopes.
    let n = native(&["Admins"], &[]).await;
    let client = n.register().await;
    let token = n.token(&client, "openid mcp/read mcp/admin", None).await;
    let r = http_call(&n.server.base, &token, "whoami", json!({})).await;
    assert_eq!(r.status, 401, "{}", code_of(&r));
}

#[tokio::test]
async fn a_token_bound_to_another_resource_is_refused() {
    // The attack: a token the pool minted for another API, replayed here.
    let n = native(&["Admins"], &[]).await;
    let client = n.register().await;
    let token = n
        .token(
            &client,
            "openid mcp/read",
            Some("https://other.example.com/api"),
        )
        .await;
    let r = http_call(&n.server.base, &token, "whoami", json!({})).await;
    assert_eq!(r.status, 401, "{}", code_of(&r));
    assert!(
        r.www_authenticate.contains("invalid_token"),
        "{}",
        code_of(&r)
    );
}

#[tokio::test]
async fn a_user_in_no_group_gets_nothing_from_a_bound_token_with_every_scope() {
    // The privilege rule holds in native mode: the registered client may ask for mcp/admin, and
    // Cognito grants it per client, but the user's groups (none) cap what the token may do.
    let n = native(&[], &[]).await;
    let client = n.register().await;
    let token = n
        .token(
            &client,
            "openid mcp/read mcp/write mcp/admin",
            Some(&n.resource()),
        )
        .await;
    assert!(
        claims(&token)["scope"]
            .as_str()
            .is_some_and(|s| s.contains("mcp/admin"))
    );
    for tool in ["list_users", "delete_user", "admin_set_user_password"] {
        let r = http_call(&n.server.base, &token, tool, json!({"username": "bob"})).await;
        assert_eq!(r.status, 403, "{tool}: {}", code_of(&r));
    }
    // Every request needs mcp/read here, the listing included.
    let tools = rpc(&n.server.base, Some(&token), "tools/list", json!({}), &[]).await;
    assert_eq!(tools.status, 403, "{}", code_of(&tools));
}

#[tokio::test]
async fn the_typescript_sdk_registers_with_the_pool_and_calls_tools() {
    // Once the pool's discovery lists S256, as MCP clients require.
    let n = native(&["Developers"], &["--discovery-s256"]).await;
    let url = n.resource();
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[
            &script("ts_oauth_client.mjs"),
            &url,
            "native-ts-client",
            "list_users",
            "{}",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    let first = step(&lines, "first");
    assert_eq!(first["whoami"]["username"], "alice", "{first}");
    // The pool's token, bound to this server, from a client the pool registered just now.
    assert_eq!(first["claims"]["aud"], url.as_str(), "{first}");
    assert_eq!(first["claims"]["iss"], n.upstream.issuer.as_str());
    assert!(step(&lines, "call").get("result").is_some(), "{lines:?}");
}

#[tokio::test]
async fn the_python_sdk_registers_with_the_pool_and_calls_tools() {
    let n = native(&["Admins"], &["--discovery-s256"]).await;
    let url = n.resource();
    let python = common::peers().join("mcp-venv/bin/python");
    let (code, lines, err) = run(
        &python,
        &[
            &script("py_oauth_client.py"),
            &url,
            "native-py-client",
            "list_users",
            "{}",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    let first = step(&lines, "first");
    assert_eq!(first["whoami"]["username"], "alice", "{first}");
    assert_eq!(first["claims"]["aud"], url.as_str(), "{first}");
    assert_eq!(step(&lines, "refreshed")["whoami"]["username"], "alice");
    assert!(step(&lines, "call").get("result").is_some(), "{lines:?}");
}

#[tokio::test]
async fn the_inspector_registers_with_the_pool_and_calls_tools() {
    let n = native(&["Developers"], &["--discovery-s256"]).await;
    let lines = common::drivers::inspector_signs_in(&n.resource(), "alice").await;
    assert_eq!(
        step(&lines, "stored")["browser_launches"],
        0,
        "the stored token is reused"
    );
}

/// `check` in native mode against `stand_in`'s discovery, for a pool with a domain.
async fn check(stand_in: &[&str], with_policy: bool) -> (i32, String) {
    let pool = new_pool().await;
    cognito_mcp_testkit::sdk_client()
        .await
        .create_user_pool_domain()
        .user_pool_id(&pool.id)
        .domain(format!(
            "native-{}",
            pool.id.split('_').nth(1).unwrap_or("x").to_lowercase()
        ))
        .send()
        .await
        .expect("create a domain");
    let mut args = vec!["--cognito-paths", "--native", "--issuer-host", "127.0.0.1"];
    args.extend_from_slice(stand_in);
    let upstream = StandIn::start_with("alice", &[], &args).await;
    if with_policy {
        let origin = upstream.origin();
        let (status, body) = cognito_api(
            &origin,
            "CreateCIMDPolicy",
            json!({"UserPoolId": "us-east-1_StandIn", "ClientId": UPSTREAM_CLIENT,
                   "PolicyName": "p", "URLPatterns": ["https://clients.example.com/*"]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, stdout, stderr) = common::run_cli(
        &["check"],
        &[
            ("COGNITO_USER_POOL_ID", &pool.id),
            ("COGNITO_MCP_AUTH_MODE", "native"),
            ("COGNITO_ISSUER", &upstream.issuer),
        ],
    );
    (status, format!("{stdout}{stderr}"))
}

#[tokio::test]
async fn check_recommends_native_mode_for_a_pool_that_can_be_the_authorization_server() {
    let (status, out) = check(&["--discovery-s256"], false).await;
    assert_eq!(status, 0, "{out}");
    assert!(
        out.contains("ok: native mode: PKCE S256 is listed"),
        "{out}"
    );
    assert!(
        out.contains("ok: native mode: dynamic client registration at http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("note: recommendation: native mode"), "{out}");
}

#[tokio::test]
async fn check_fails_native_mode_where_clients_cannot_sign_in_and_says_why() {
    // Today's Cognito discovery (no S256: a risk), and no registration at all (a blocker).
    let (status, out) = check(&["--dcr", "off"], false).await;
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains("warning: native mode: code_challenge_methods_supported does not list S256"),
        "{out}"
    );
    assert!(
        out.contains("error: native mode: a client has no way to register"),
        "{out}"
    );
    assert!(out.contains("note: recommendation: proxy mode"), "{out}");
}

#[tokio::test]
async fn check_sees_client_id_metadata_documents_once_the_pool_has_a_cimd_policy() {
    // No dynamic registration, but a CIMD policy: 2026-07-28 clients can sign in.
    let (status, out) = check(&["--discovery-s256", "--dcr", "off"], true).await;
    assert_eq!(status, 0, "{out}");
    assert!(
        out.contains("ok: native mode: client ID metadata documents are supported"),
        "{out}"
    );
    assert!(!out.contains("no way to register"), "{out}");
}

#[tokio::test]
async fn authenticated_registration_takes_only_an_initial_access_token() {
    // The attack: anyone on the internet filling the pool's app-client quota, or a signed-in
    // user's own token used to register clients. Only a token with the system scope
    // aws.cognito/dcr/register (client credentials of an app client that holds it) registers.
    let n = native(
        &["Admins"],
        &[
            "--dcr",
            "authenticated",
            "--m2m-client",
            "dcr-registrar",
            "--m2m-secret",
            "registrar-secret",
            "--m2m-scopes",
            "aws.cognito/dcr/register",
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let register = |bearer: Option<String>| {
        let mut req = http
            .post(format!("{}/oauth2/register", n.origin))
            .json(&json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        req.send()
    };
    let anonymous = register(None).await.expect("register");
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.expect("json");
    assert_eq!(body["error"], "invalid_token");

    let initial: Value = http
        .post(format!("{}/oauth2/token", n.origin))
        .basic_auth("dcr-registrar", Some("registrar-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=aws.cognito%2Fdcr%2Fregister")
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let initial = initial["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let admitted = register(Some(initial)).await.expect("register");
    assert_eq!(admitted.status(), 201);
    let client: Value = admitted.json().await.expect("json");
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();

    // A user's access token, bound to this server and full of scopes, is no initial token.
    let user_token = n
        .token(&client_id, "openid mcp/read mcp/admin", Some(&n.resource()))
        .await;
    let refused = register(Some(user_token.clone())).await.expect("register");
    assert_eq!(refused.status(), 401);
    // And the client registered with the initial token works here as any other.
    let who = http_call(&n.server.base, &user_token, "whoami", json!({})).await;
    assert_eq!(who.status, 200, "{:?}", who.body);
}

// ---- Client ID metadata documents (CIMD) -------------------------------------------------

/// The drivers' redirect URIs (ts_oauth_client.mjs and py_oauth_client.py defaults).
const TS_REDIRECT: &str = "http://127.0.0.1:53682/oauth/callback";
const PY_REDIRECT: &str = "http://127.0.0.1:53683/oauth/callback";

/// What a CIMD sign-in must show: the client was the document's URL, nothing registered, the
/// document fetched, and the token bound to this server.
async fn assert_signed_in_by_document(n: &Native, url: &str, lines: &[Value]) {
    let first = step(lines, "first");
    assert_eq!(first["whoami"]["username"], "alice", "{first}");
    assert_eq!(first["client"]["client_id"], url, "{first}");
    assert_eq!(first["claims"]["aud"], n.resource(), "{first}");
    let requests = n.requests().await;
    assert!(
        !requests.iter().any(|r| r["endpoint"] == "register"),
        "no registration: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r["endpoint"] == "authorize" && r["client_id"] == url && r["cimd"] == true),
        "{requests:?}"
    );
}

#[tokio::test]
async fn the_typescript_sdk_signs_in_by_its_metadata_document_and_calls_tools() {
    let (n, mut host) = native_cimd(&["Developers"], &[]).await;
    let url = host
        .put("/clients/ts.json", document("ts-cimd", TS_REDIRECT), None)
        .await;
    n.policy(&[&host.clients_pattern()]).await;
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[
            &script("ts_oauth_client.mjs"),
            &n.resource(),
            "ts-cimd",
            "list_users",
            "{}",
            "--client-metadata-url",
            &url,
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    assert_signed_in_by_document(&n, &url, &lines).await;
    assert_eq!(step(&lines, "refreshed")["whoami"]["username"], "alice");
    assert!(step(&lines, "call").get("result").is_some(), "{lines:?}");
    assert_eq!(
        host.fetches("/clients/ts.json").await,
        1,
        "fetched once, then cached"
    );
}

#[tokio::test]
async fn the_python_sdk_signs_in_by_its_metadata_document_and_calls_tools() {
    // With refresh-token rotation on (a 60 s retry grace), as a pool of 2026 may run it.
    let (n, mut host) = native_cimd(
        &["Admins"],
        &["--rotate-refresh-tokens", "--refresh-grace", "60"],
    )
    .await;
    let url = host
        .put("/clients/py.json", document("py-cimd", PY_REDIRECT), None)
        .await;
    n.policy(&[&host.clients_pattern()]).await;
    let (code, lines, err) = run(
        &common::peers().join("mcp-venv/bin/python"),
        &[
            &script("py_oauth_client.py"),
            &n.resource(),
            "py-cimd",
            "list_users",
            "{}",
            "--client-metadata-url",
            &url,
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    assert_signed_in_by_document(&n, &url, &lines).await;
    assert_eq!(step(&lines, "refreshed")["whoami"]["username"], "alice");
    assert!(step(&lines, "call").get("result").is_some(), "{lines:?}");
}

#[tokio::test]
async fn the_inspector_signs_in_by_its_metadata_document_and_calls_tools() {
    let (n, mut host) = native_cimd(&["Developers"], &[]).await;
    let callback = format!(
        "http://127.0.0.1:{}/oauth/callback",
        cognito_mcp_testkit::redis::free_port()
    );
    let url = host
        .put(
            "/clients/inspector.json",
            document("MCP Inspector", &callback),
            None,
        )
        .await;
    n.policy(&[&host.clients_pattern()]).await;
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[
            &script("inspector_oauth.mjs"),
            &n.resource(),
            "--tool",
            "list_users",
            "--tool-args",
            "{}",
            "--client-metadata-url",
            &url,
            "--callback-url",
            &callback,
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    for name in ["first", "stored", "refreshed", "call"] {
        assert_eq!(step(&lines, name)["exit"], 0, "{name}: {lines:?}");
    }
    assert!(
        step(&lines, "first")["result"]
            .to_string()
            .contains("alice")
    );
    let requests = n.requests().await;
    assert!(
        !requests.iter().any(|r| r["endpoint"] == "register"),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r["endpoint"] == "authorize" && r["client_id"] == url.as_str()),
        "{requests:?}"
    );
}

#[tokio::test]
async fn a_metadata_document_outside_every_policy_is_refused_and_never_fetched() {
    // The attack: any site on the internet naming itself as a client. Only URLs the pool's CIMD
    // policies list are fetched at all, and a `*` never spans a host label or hides a host.
    let (n, mut host) = native_cimd(&["Admins"], &[]).await;
    let outside = host
        .put("/elsewhere/agent.json", document("outside", REDIRECT), None)
        .await;
    n.policy(&[&host.clients_pattern(), "https://*.example.com/clients/*"])
        .await;
    for client_id in [
        outside.as_str(),
        "https://attacker.net/.example.com/clients/a.json",
        "https://a.example.com@attacker.net/clients/a.json",
        "https://a.b.example.com/clients/a.json",
    ] {
        let (status, page) = n.authorize(client_id, REDIRECT).await;
        assert_eq!(status, 400, "{client_id}: {page}");
        assert!(page.contains("invalid_client"), "{client_id}: {page}");
    }
    assert_eq!(host.fetches("/elsewhere/agent.json").await, 0);
}

/// A document at an allowed URL, `edit`ed to break a rule: refused at /oauth2/authorize with
/// an error page that `says` why.
async fn document_refused(edit: impl FnOnce(&mut Value), says: &str) {
    let (n, mut host) = native_cimd(&["Admins"], &[]).await;
    let mut doc = document("agent", REDIRECT);
    edit(&mut doc);
    let url = host.put("/clients/agent.json", doc, None).await;
    n.policy(&[&host.clients_pattern()]).await;
    let (status, page) = n.authorize(&url, REDIRECT).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(says), "{page}");
}

#[tokio::test]
async fn a_metadata_document_claiming_another_client_id_is_refused() {
    // The attack: a document at an allowed URL that claims to be another client (one users
    // trust), to borrow its name and consent.
    document_refused(
        |d| d["client_id"] = json!("https://trusted.example.com/client.json"),
        "names another client_id",
    )
    .await;
}

#[tokio::test]
async fn a_callback_the_document_does_not_list_is_refused() {
    // The attack: the legitimate client's URL with the attacker's callback, to receive the code.
    let (n, mut host) = native_cimd(&["Admins"], &[]).await;
    let url = host
        .put("/clients/agent.json", document("agent", REDIRECT), None)
        .await;
    n.policy(&[&host.clients_pattern()]).await;
    let (status, page) = n.authorize(&url, "https://attacker.example.com/cb").await;
    assert_eq!(status, 400, "{page}");
    assert!(!page.contains("code="), "{page}");
    // The same client with its own callback gets a code.
    let (status, location) = n.authorize(&url, REDIRECT).await;
    assert_eq!(status, 302, "{location}");
    assert!(location.contains("code="), "{location}");
}

#[tokio::test]
async fn a_metadata_document_asking_for_a_client_secret_is_refused() {
    // CIMD clients are public: a document cannot carry a secret, so it may not claim one.
    document_refused(
        |d| d["token_endpoint_auth_method"] = json!("client_secret_basic"),
        "client_secret_basic",
    )
    .await;
}

#[tokio::test]
async fn the_cimd_policy_api_caches_documents_and_refetches_them_when_invalidated() {
    // The pool's CIMD-policy API as the client-lifecycle tools will call it: policies, the URLs
    // Cognito has cached, and invalidation (a changed document is seen only after it).
    let (n, mut host) = native_cimd(&["Developers"], &[]).await;
    let url = host
        .put(
            "/clients/agent.json",
            document("agent", REDIRECT),
            Some("max-age=604800"),
        )
        .await;
    let pattern = host.clients_pattern();
    let id = n.policy(&[&pattern]).await;
    let pool = "us-east-1_StandIn";

    let (_, described) = cognito_api(
        &n.origin,
        "DescribeCIMDPolicy",
        json!({"UserPoolId": pool, "CIMDPolicyId": id}),
    )
    .await;
    assert_eq!(described["CIMDPolicy"]["URLPatterns"], json!([pattern]));
    assert_eq!(
        described["CIMDPolicy"]["CacheDuration"], 86_400,
        "the default"
    );
    let (_, listed) = cognito_api(&n.origin, "ListCIMDPolicies", json!({"UserPoolId": pool})).await;
    assert_eq!(listed["CIMDPolicies"][0]["CIMDPolicyId"], id.as_str());
    assert!(
        listed["CIMDPolicies"][0].get("URLPatterns").is_none(),
        "{listed}"
    );

    // Signed in once: fetched once, and cached for the document's max-age (a week).
    n.token(&url, "openid mcp/read", Some(&n.resource())).await;
    n.token(&url, "openid mcp/read", Some(&n.resource())).await;
    assert_eq!(host.fetches("/clients/agent.json").await, 1);
    let (_, cached) = cognito_api(
        &n.origin,
        "ListClientMetadataURLs",
        json!({"UserPoolId": pool, "CIMDPolicyId": id}),
    )
    .await;
    let entry = &cached["ClientMetadataURLs"][0];
    assert_eq!(entry["URL"], url.as_str());
    assert_eq!(
        entry["ExpirationDate"].as_i64().expect("expires")
            - entry["CachedDate"].as_i64().expect("cached"),
        604_800
    );

    // The client drops its callback from the document: the cached copy still has it until the
    // cache entry is invalidated.
    host.put(
        "/clients/agent.json",
        document("agent", "http://127.0.0.1:9/cb"),
        None,
    )
    .await;
    assert_eq!(n.authorize(&url, REDIRECT).await.0, 302);
    let (status, body) = cognito_api(
        &n.origin,
        "UpdateClientMetadataURLState",
        json!({"UserPoolId": pool, "CIMDPolicyId": id, "URL": url, "Action": "INVALIDATE"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(n.authorize(&url, REDIRECT).await.0, 400);
    assert_eq!(host.fetches("/clients/agent.json").await, 2);

    // Bad input is named.
    let (status, body) = cognito_api(
        &n.origin,
        "UpdateCIMDPolicy",
        json!({"UserPoolId": pool, "CIMDPolicyId": id, "ClientId": UPSTREAM_CLIENT, "URLPatterns": ["http://plain.example.com/*"]}),
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("InvalidParameterException")),
        "{body}"
    );
    let (status, body) = cognito_api(
        &n.origin,
        "UpdateClientMetadataURLState",
        json!({"UserPoolId": pool, "CIMDPolicyId": id, "URL": "https://never.example.com/c.json", "Action": "REFRESH"}),
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("CachedCIMDURLDoesNotExistException")),
        "{body}"
    );
    let (status, _) = cognito_api(
        &n.origin,
        "DeleteCIMDPolicy",
        json!({"UserPoolId": pool, "CIMDPolicyId": id}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = cognito_api(
        &n.origin,
        "DescribeCIMDPolicy",
        json!({"UserPoolId": pool, "CIMDPolicyId": id}),
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ResourceNotFoundException"))
    );
}

#[tokio::test]
async fn the_cimd_policy_tools_show_cached_documents_and_drop_one_that_changed() {
    // An agent administering the pool: a client changed its metadata document (dropped a
    // callback), and Cognito keeps serving the cached copy until the tool invalidates it.
    let (n, mut host) = native_cimd(&["Developers"], &[]).await;
    let url = host
        .put(
            "/clients/agent.json",
            document("agent", REDIRECT),
            Some("max-age=604800"),
        )
        .await;
    let pattern = host.clients_pattern();
    let id = n.policy(&[&pattern]).await;
    let pool = new_pool().await;
    let s = common::serve(
        &pool,
        &[],
        &[
            ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &n.origin),
            ("COGNITO_USER_POOL_ID", "us-east-1_StandIn"),
        ],
    )
    .await;
    let listed = s.ok("list_cimd_policies", json!({})).await;
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(listed["policies"][0]["policy_id"], id.as_str());

    n.token(&url, "openid mcp/read", Some(&n.resource())).await;
    let described = s.ok("describe_cimd_policy", json!({"policy_id": id})).await;
    assert_eq!(described["url_patterns"], json!([pattern]));
    assert_eq!(described["client_id"], UPSTREAM_CLIENT);
    let cached = &described["cached_urls"][0];
    assert_eq!(cached["url"], url.as_str(), "{described}");
    assert!(
        cached["expires"].is_string() && cached["cached"].is_string(),
        "{cached}"
    );

    host.put(
        "/clients/agent.json",
        document("agent", "http://127.0.0.1:9/cb"),
        None,
    )
    .await;
    assert_eq!(n.authorize(&url, REDIRECT).await.0, 302, "the cached copy");
    let done = s
        .ok(
            "invalidate_client_metadata_url",
            json!({"policy_id": id, "url": url}),
        )
        .await;
    assert_eq!(done["action"], "invalidated");
    assert_eq!(n.authorize(&url, REDIRECT).await.0, 400, "the new document");
    assert_eq!(host.fetches("/clients/agent.json").await, 2);

    // Narrowing the patterns keeps the app client (Cognito needs it on every update).
    let updated = s
        .ok(
            "update_cimd_policy",
            json!({"policy_id": id, "url_patterns": [format!("{}/other/*", host.origin)]}),
        )
        .await;
    assert_eq!(updated["client_id"], UPSTREAM_CLIENT, "{updated}");
    assert_eq!(
        n.authorize(&url, REDIRECT).await.0,
        400,
        "no policy matches now"
    );

    let (code, text) = s
        .err(
            "create_cimd_policy",
            json!({"policy_name": "p", "client_id": "abc", "url_patterns": ["https://x.example.com/?a=*"]}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("url_patterns[0]"), "{text}");

    let (code, _) = s.err("delete_cimd_policy", json!({"policy_id": id})).await;
    assert_eq!(code, "confirmation_required");
    s.ok(
        "delete_cimd_policy",
        json!({"policy_id": id, "confirm": id}),
    )
    .await;
    assert_eq!(s.ok("list_cimd_policies", json!({})).await["count"], 0);
    let (code, _) = s
        .err("describe_cimd_policy", json!({"policy_id": id}))
        .await;
    assert_eq!(code, "resource_not_found");
}

#[tokio::test]
async fn a_rotated_refresh_token_works_again_only_within_the_grace_period() {
    // Refresh-token rotation as the stand-in models it (RetryGracePeriodSeconds): the old token
    // retries within the grace period; with none, it is dead at once.
    for (grace, retry_ok) in [("60", true), ("0", false)] {
        let n = native(
            &["Admins"],
            &["--rotate-refresh-tokens", "--refresh-grace", grace],
        )
        .await;
        let client = n.register().await;
        let refresh = n.refresh_token(&client).await;
        let form =
            |t: &str| format!("grant_type=refresh_token&client_id={client}&refresh_token={t}");
        let http = reqwest::Client::new();
        let post = |body: String| {
            http.post(format!("{}/oauth2/token", n.origin))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
        };
        let first: Value = post(form(&refresh))
            .await
            .expect("refresh")
            .json()
            .await
            .expect("json");
        let rotated = first["refresh_token"]
            .as_str()
            .expect("a new refresh token");
        assert_ne!(rotated, refresh);
        let retry = post(form(&refresh)).await.expect("retry");
        assert_eq!(retry.status().is_success(), retry_ok, "grace {grace}");
        assert!(
            post(form(rotated))
                .await
                .expect("new")
                .status()
                .is_success()
        );
    }
}

#[tokio::test]
async fn registered_clients_are_app_clients_of_the_pool_in_the_cognito_api() {
    // The stand-in as the pool's cognito-idp endpoint (for the client-lifecycle tools): what it
    // models (registered clients, ClientType DCR) it answers, the rest it passes to moto, which
    // the AWS SDK's signed calls reach unchanged.
    let pool = new_pool().await;
    let upstream = StandIn::native_in_front_of(&pool.id, &common::moto().endpoint).await;
    let origin = upstream.origin();
    let registered: Value = reqwest::Client::new()
        .post(format!("{origin}/oauth2/register"))
        .json(&json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "agent"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let dcr_id = registered["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned();

    let (status, described) = cognito_api(
        &origin,
        "DescribeUserPoolClient",
        json!({"UserPoolId": pool.id, "ClientId": dcr_id}),
    )
    .await;
    assert_eq!(status, 200, "{described}");
    assert_eq!(described["UserPoolClient"]["ClientType"], "DCR");
    assert_eq!(described["UserPoolClient"]["ClientName"], "agent");
    assert!(
        described["UserPoolClient"].get("ClientSecret").is_none(),
        "a public client"
    );

    // The SDK, pointed at the stand-in: moto's app client and the registered one, in one list.
    let sdk = cognito_mcp_testkit::sdk_client_at(&origin).await;
    let listed = sdk
        .list_user_pool_clients()
        .user_pool_id(&pool.id)
        .send()
        .await
        .expect("list through the stand-in");
    let ids: Vec<&str> = listed
        .user_pool_clients()
        .iter()
        .filter_map(|c| c.client_id())
        .collect();
    assert!(
        ids.contains(&pool.client_id.as_str()) && ids.contains(&dcr_id.as_str()),
        "{ids:?}"
    );
    let list = |filter: &str| {
        cognito_api(
            &origin,
            "ListUserPoolClients",
            json!({"UserPoolId": pool.id, "MaxResults": 60, "ClientType": filter}),
        )
    };
    let (_, only_dcr) = list("DCR").await;
    assert_eq!(
        only_dcr["UserPoolClients"].as_array().map(Vec::len),
        Some(1),
        "{only_dcr}"
    );
    assert!(
        only_dcr["UserPoolClients"][0].get("ClientType").is_none(),
        "items carry no type"
    );
    let (_, regular) = list("REGULAR").await;
    assert!(!regular.to_string().contains(&dcr_id), "{regular}");

    // Deleted, it is gone: the next lookup is moto's own answer.
    let (status, _) = cognito_api(
        &origin,
        "DeleteUserPoolClient",
        json!({"UserPoolId": pool.id, "ClientId": dcr_id}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, gone) = cognito_api(
        &origin,
        "DescribeUserPoolClient",
        json!({"UserPoolId": pool.id, "ClientId": dcr_id}),
    )
    .await;
    assert_eq!(status, 400, "{gone}");
    assert!(gone.to_string().contains("ResourceNotFound"), "{gone}");
}
