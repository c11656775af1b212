//! `[aws] act_as = "caller"`: the tools call Cognito with each caller's own temporary AWS
//! credentials, from a Cognito identity pool, for the Cognito ID token proxy mode holds for
//! them. The parts are real: moto is the user pool and keeps the identity pool, the hosted-UI
//! stand-in signs users in, the identity-pool stand-in verifies their ID tokens and gets each
//! identity fresh credentials from moto's STS, and a recording proxy in front of moto sees the
//! access key every request was signed with.

mod common;

use common::identity::IdentityStandIn;
use common::proxy::{StandIn, UPSTREAM_CLIENT, config, public_tokens, serve_proxy};
use common::recorder::Recorder;
use common::{HttpServer, Pool, http_call, new_pool};
use serde_json::{Value, json};

const ADMINS_ROLE: &str = "arn:aws:iam::123456789012:role/cognito-mcp-Admins";
const DEVELOPERS_ROLE: &str = "arn:aws:iam::123456789012:role/cognito-mcp-Developers";

struct World {
    pool: Pool,
    upstream: StandIn,
    identity: IdentityStandIn,
    recorder: Recorder,
    identity_pool: String,
    server: HttpServer,
    cfg: std::path::PathBuf,
    _state: tempfile::TempDir,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start(extra_toml: &str) -> Self {
        let pool = new_pool().await;
        let upstream = StandIn::start_with(
            "alice",
            &["Admins"],
            &[
                "--cognito-paths",
                "--pool-id",
                &pool.id,
                "--issuer-host",
                "127.0.0.1",
                "--roles",
                ADMINS_ROLE,
            ],
        )
        .await;
        let provider = format!("cognito-idp.us-east-1.amazonaws.com/{}", pool.id);
        let moto = common::moto().endpoint.clone();
        let identity = IdentityStandIn::start(&moto, &[(&provider, &upstream.issuer)]).await;
        let (status, created) = identity
            .api(
                "CreateIdentityPool",
                json!({
                    "IdentityPoolName": "mcp_callers",
                    "AllowUnauthenticatedIdentities": false,
                    "CognitoIdentityProviders": [
                        {"ProviderName": provider, "ClientId": UPSTREAM_CLIENT}
                    ],
                }),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        let identity_pool = created["IdentityPoolId"]
            .as_str()
            .expect("IdentityPoolId")
            .to_owned();
        // The role comes from the ID token (the user's groups' roles); ambiguity is refused.
        let (status, body) = identity
            .api(
                "SetIdentityPoolRoles",
                json!({
                    "IdentityPoolId": identity_pool,
                    "Roles": {"authenticated": DEVELOPERS_ROLE},
                    "RoleMappings": {
                        format!("{provider}:{UPSTREAM_CLIENT}"): {
                            "Type": "Token",
                            "AmbiguousRoleResolution": "Deny",
                        }
                    },
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let recorder = Recorder::start(&moto).await;
        let state = tempfile::tempdir().expect("state dir");
        let dir = tempfile::tempdir().expect("dir");
        let cfg = config(dir.path(), "", "");
        let mut text = std::fs::read_to_string(&cfg).expect("config");
        text.push_str(&format!(
            "\n[aws]\nact_as = \"caller\"\n\n[identity_pool]\nid = \"{identity_pool}\"\n{extra_toml}"
        ));
        std::fs::write(&cfg, text).expect("config");
        let server = serve_proxy(
            &pool,
            &upstream,
            &cfg,
            state.path(),
            &[
                ("AWS_ENDPOINT_URL_COGNITO_IDENTITY", &identity.url),
                ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &recorder.base),
            ],
        )
        .await;
        Self {
            cfg,
            _dir: dir,
            pool,
            upstream,
            identity,
            recorder,
            identity_pool,
            server,
            _state: state,
        }
    }

    /// `user` (in `groups`, with `roles`) signs in through the server: its access token.
    async fn sign_in(&self, user: &str, groups: &[&str], roles: &[&str]) -> String {
        self.upstream.set_user_with_roles(user, groups, roles).await;
        let (_, tokens) = public_tokens(&self.server.base, "mcp/read mcp/write").await;
        tokens["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// The access keys of the Cognito requests made so far, in order.
    fn keys(&self) -> Vec<String> {
        self.recorder
            .calls()
            .iter()
            .map(|c| c.access_key.clone().unwrap_or_default())
            .collect()
    }

    /// `cognito-mcp check` with the server's configuration: its standard output.
    fn check(&self, extra: &[(&str, &str)]) -> String {
        let discovery = format!("{}/.well-known/openid-configuration", self.upstream.issuer);
        let mut env = vec![
            ("COGNITO_USER_POOL_ID", self.pool.id.as_str()),
            ("COGNITO_CLIENT_ID", UPSTREAM_CLIENT),
            ("COGNITO_CLIENT_SECRET", common::proxy::UPSTREAM_SECRET),
            ("COGNITO_DISCOVERY_URL", discovery.as_str()),
            ("COGNITO_UPSTREAM_ISSUER", self.upstream.issuer.as_str()),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
                self.identity.url.as_str(),
            ),
        ];
        env.extend_from_slice(extra);
        let cfg = self.cfg.to_str().expect("path");
        let (_, out, err) = common::run_cli(&["check", "--config", cfg], &env);
        format!("{out}{err}")
    }

    fn logs(&self) -> String {
        let dir = self.server.dir.path();
        let mut all = String::new();
        for f in ["stderr.log", "audit.jsonl"] {
            all.push_str(&std::fs::read_to_string(dir.join(f)).unwrap_or_default());
        }
        all
    }
}

fn tool_text(r: &common::Reply) -> String {
    r.body["result"].to_string()
}

#[tokio::test]
async fn each_caller_acts_in_aws_with_credentials_of_their_own_and_none_leak() {
    let w = World::start("").await;
    let alice = w.sign_in("alice", &["Admins"], &[ADMINS_ROLE]).await;
    let r = http_call(&w.server.base, &alice, "list_groups", json!({})).await;
    assert_eq!(r.body["result"]["isError"], false, "{}", r.body);
    let after_alice = w.keys();
    assert!(!after_alice.is_empty(), "the call reached Cognito");
    let alice_key = after_alice[0].clone();
    assert!(
        after_alice.iter().all(|k| k == &alice_key),
        "every request of the call signed alike: {after_alice:?}"
    );
    assert_ne!(alice_key, "testing", "not the server's own credentials");

    let bob = w.sign_in("bob", &["Admins"], &[ADMINS_ROLE]).await;
    http_call(&w.server.base, &bob, "list_groups", json!({})).await;
    let bob_key = w.keys().last().cloned().expect("bob's call");
    assert_ne!(bob_key, alice_key, "each caller signs with their own key");
    assert_ne!(bob_key, "testing");

    // Alice again: her cached credentials (no new exchange), her key.
    http_call(&w.server.base, &alice, "describe_user_pool", json!({})).await;
    assert_eq!(w.keys().last(), Some(&alice_key));
    let served = w.identity.requests().await;
    let exchanges: Vec<&Value> = served
        .iter()
        .filter(|r| r["op"] == "GetCredentialsForIdentity" && r["error"].is_null())
        .collect();
    assert_eq!(exchanges.len(), 2, "one per caller: {served:#?}");
    assert!(
        exchanges.iter().all(|r| r["role_arn"] == ADMINS_ROLE),
        "the role of the users' group: {exchanges:#?}"
    );
    let issued: Vec<String> = exchanges
        .iter()
        .map(|r| r["access_key_id"].as_str().expect("key").to_owned())
        .collect();
    assert!(issued.contains(&alice_key) && issued.contains(&bob_key));
    assert_ne!(
        exchanges[0]["identity_id"], exchanges[1]["identity_id"],
        "two identities"
    );

    // No credential in any log, audit record or answer.
    let logs = w.logs();
    let answers = format!("{}", r.body);
    for key in &issued {
        assert!(!logs.contains(key.as_str()), "{key} in the logs");
        assert!(!answers.contains(key.as_str()), "{key} in an answer");
    }
    assert!(!logs.contains("SessionToken") && !logs.contains("SecretKey"));
    drop(w.pool);
}

#[tokio::test]
async fn a_caller_the_identity_pool_refuses_is_refused_and_nothing_runs_as_the_server() {
    // The attack this rule stops: a user the identity pool gives no role (here: in no group
    // with an IAM role, which the token mapping denies) would otherwise fall back to the
    // server's own, broader role.
    let w = World::start("").await;
    let mallory = w.sign_in("mallory", &["Admins"], &[]).await;
    let before = w.recorder.calls().len();
    let r = http_call(&w.server.base, &mallory, "list_groups", json!({})).await;
    let text = tool_text(&r);
    assert_eq!(r.body["result"]["isError"], true, "{text}");
    assert!(text.contains("identity_pool_refused"), "{text}");
    assert!(text.contains("act_as"), "says why: {text}");
    assert_eq!(
        w.recorder.calls().len(),
        before,
        "no request reached Cognito, with any credentials"
    );
    let audit = common::settled_audit(&w.server.dir.path().join("audit.jsonl"));
    let last: Value = serde_json::from_str(audit.lines().last().expect("a record")).expect("json");
    assert_eq!(last["outcome"], "refused", "{last}");
    assert_eq!(last["error"], "identity_pool_refused", "{last}");
    // A tool that calls no AWS still answers: mallory can see who she is, and why.
    let who = http_call(&w.server.base, &mallory, "whoami", json!({})).await;
    assert_eq!(who.body["result"]["isError"], false, "{}", who.body);
    assert_eq!(
        who.body["result"]["structuredContent"]["username"], "mallory",
        "{}",
        who.body
    );
    let _ = &w.identity_pool;
}

#[test]
fn acting_as_the_caller_is_refused_where_the_server_holds_no_id_token() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[aws]\nact_as = \"caller\"\n\n[identity_pool]\nid = \"us-east-1:2ab8ab6f-1e4b-4e0f-9f5b-3a3f0b8c2d11\"\n",
    )
    .expect("config");
    let cfg = path.to_str().expect("path");
    let env = [("COGNITO_USER_POOL_ID", "us-east-1_Abc")];
    // JWT mode over HTTP: only access tokens arrive.
    let (status, _, stderr) =
        common::run_cli(&["serve", "--transport", "http", "--config", cfg], &env);
    assert_ne!(status, 0);
    assert!(
        stderr.contains("identity pools do not take") && stderr.contains("auth.mode = \"proxy\""),
        "{stderr}"
    );
    // Over stdio there is no caller at all.
    let (status, _, stderr) = common::run_cli(&["serve", "--config", cfg], &env);
    assert_ne!(status, 0);
    assert!(stderr.contains("no caller to act as"), "{stderr}");
    // And no identity pool: said so.
    std::fs::write(&path, "[aws]\nact_as = \"caller\"\n").expect("config");
    let (status, _, stderr) =
        common::run_cli(&["serve", "--transport", "http", "--config", cfg], &env);
    assert_ne!(status, 0);
    assert!(
        stderr.contains("no identity pool is configured"),
        "{stderr}"
    );
    let (status, _, stderr) = common::run_cli(
        &["serve", "--transport", "http", "--config", cfg],
        &[
            ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
            ("COGNITO_MCP_ACT_AS", "person"),
        ],
    );
    assert_ne!(status, 0);
    assert!(
        stderr.contains("COGNITO_MCP_ACT_AS is \"person\""),
        "{stderr}"
    );
}

#[test]
fn iam_policy_prints_each_groups_role_with_exactly_its_tools_actions() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.toml");
    let pool = "us-east-1:2ab8ab6f-1e4b-4e0f-9f5b-3a3f0b8c2d11";
    std::fs::write(&path, format!("[identity_pool]\nid = \"{pool}\"\n")).expect("config");
    let (status, out, err) = common::run_cli(
        &[
            "iam-policy",
            "--group-roles",
            "--account-id",
            "123456789012",
            "--config",
            path.to_str().expect("path"),
        ],
        &[("COGNITO_USER_POOL_ID", "us-east-1_Abc")],
    );
    assert_eq!(status, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["IdentityPoolId"], pool);
    let role = |group: &str| -> (Vec<String>, Value) {
        let r = doc["Roles"]
            .as_array()
            .expect("roles")
            .iter()
            .find(|r| r["Group"] == group)
            .unwrap_or_else(|| panic!("no role for {group}: {doc:#}"))
            .clone();
        let actions = r["PolicyDocument"]["Statement"][0]["Action"]
            .as_array()
            .expect("actions")
            .iter()
            .map(|a| a.as_str().expect("action").to_owned())
            .collect();
        (actions, r)
    };
    let (admin, admin_role) = role("Admins");
    let (dev, _) = role("Developers");
    let (read, _) = role("ReadOnly");
    assert_eq!(admin_role["RoleName"], "cognito-mcp-Admins");
    let trust = &admin_role["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(
        trust["Principal"]["Federated"],
        "cognito-identity.amazonaws.com"
    );
    assert_eq!(
        trust["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"],
        pool
    );
    assert_eq!(
        admin_role["PolicyDocument"]["Statement"][0]["Resource"],
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc"
    );
    let has = |v: &[String], a: &str| v.iter().any(|x| x == &format!("cognito-idp:{a}"));
    assert!(has(&admin, "AdminDeleteUser") && has(&admin, "DeleteUserPoolClient"));
    assert!(has(&dev, "AdminCreateUser") && !has(&dev, "AdminDeleteUser"));
    assert!(has(&read, "ListUsers") && !has(&read, "AdminCreateUser"));
    // The server's own policy adds only reading the identity pool, for `check`.
    let (status, out, err) = common::run_cli(
        &["iam-policy", "--config", path.to_str().expect("path")],
        &[("COGNITO_USER_POOL_ID", "us-east-1_Abc")],
    );
    assert_eq!(status, 0, "{err}");
    let server: Value = serde_json::from_str(&out).expect("JSON");
    let read_pool = server["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["Sid"] == "CognitoMcpCheckIdentityPool")
        .expect("the identity pool statement");
    assert_eq!(
        read_pool["Action"],
        json!([
            "cognito-identity:DescribeIdentityPool",
            "cognito-identity:GetIdentityPoolRoles"
        ])
    );
    assert_eq!(
        read_pool["Resource"],
        format!("arn:aws:cognito-identity:us-east-1:*:identitypool/{pool}")
    );
    assert!(
        read.iter().all(|a| {
            let op = a.trim_start_matches("cognito-idp:");
            ["List", "Describe", "Get", "AdminGet", "AdminList"]
                .iter()
                .any(|p| op.starts_with(p))
        }),
        "ReadOnly's credentials can only read: {read:?}"
    );
}

#[test]
fn the_identity_pool_stand_in_keeps_to_what_aws_documents() {
    // The stand-in's own negative cases (an access token, another client's token, tampered
    // and expired tokens, a denied mapping, a stable identity per user), against moto.
    let out = std::process::Command::new(common::node_bin().join("node"))
        .arg(common::root().join("scripts/identity-stand-in-selfcheck.mjs"))
        .env("PEERS_DIR", common::peers())
        .output()
        .expect("run the self-check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("all checks passed"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("FAIL"), "{text}");
}

#[tokio::test]
async fn on_the_sign_in_page_the_callers_own_id_token_is_kept_and_renewed_by_refresh() {
    // The sign-in page signs users in at moto itself (no hosted UI): the ID token is moto's,
    // kept with the sign-in, and replaced by the one a refresh brings.
    use common::login::{PASSWORD, password_client, submit, to_login_page, user};
    use common::proxy::{Browser, code_form, pkce, public_client, refresh_form, token};
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "alex", &["Admins"], false).await;
    let moto = common::moto().endpoint.clone();
    let provider = format!("cognito-idp.us-east-1.amazonaws.com/{}", pool.id);
    let issuer = format!(
        "https://{provider}@{moto}/{}/.well-known/jwks.json",
        pool.id
    );
    let identity = IdentityStandIn::start(&moto, &[(&provider, &issuer)]).await;
    let (_, created) = identity
        .api(
            "CreateIdentityPool",
            json!({
                "IdentityPoolName": "page_callers",
                "AllowUnauthenticatedIdentities": false,
                "CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": client.0}],
            }),
        )
        .await;
    let identity_pool = created["IdentityPoolId"].as_str().expect("pool").to_owned();
    let (status, body) = identity
        .api(
            "SetIdentityPoolRoles",
            json!({"IdentityPoolId": identity_pool, "Roles": {"authenticated": DEVELOPERS_ROLE}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let recorder = Recorder::start(&moto).await;
    let state = tempfile::tempdir().expect("state");
    let cfg = config(state.path(), "", "");
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text.push_str(&format!(
        "\n[aws]\nact_as = \"caller\"\n\n[identity_pool]\nid = \"{identity_pool}\"\n"
    ));
    std::fs::write(&cfg, text).expect("config");
    let server = common::login::serve_login(
        &pool,
        &client,
        &cfg,
        &state.path().join("state"),
        &[
            ("AWS_ENDPOINT_URL_COGNITO_IDENTITY", &identity.url),
            ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &recorder.base),
        ],
    )
    .await;
    let base = &server.base;
    let scope = "openid mcp/read";
    let id = public_client(base, scope).await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, base, &id, &challenge, scope).await;
    let got = submit(
        &mut b,
        base,
        &page,
        "/login",
        &[("username", "alex"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(got.status, 303, "{}", got.text);
    let done = b.follow(got).await;
    let code = done.query()["code"].clone();
    let t = token(base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let t = t.json();
    let access = t["access_token"].as_str().expect("access");

    let before = recorder.calls().len();
    let r = http_call(base, access, "list_groups", json!({})).await;
    assert_eq!(r.body["result"]["isError"], false, "{}", r.body);
    let calls = recorder.calls();
    let key = calls[before..]
        .iter()
        .find(|c| c.operation == "ListGroups")
        .and_then(|c| c.access_key.clone())
        .expect("ListGroups, signed");
    assert_ne!(key, "testing", "the caller's key, not the server's");
    let exchanges = |served: &[Value]| {
        served
            .iter()
            .filter(|r| r["op"] == "GetCredentialsForIdentity" && r["error"].is_null())
            .count()
    };
    assert_eq!(exchanges(&identity.requests().await), 1);

    // A refresh brings a new ID token from Cognito: the next call exchanges that one.
    let r = token(
        base,
        &refresh_form(t["refresh_token"].as_str().expect("refresh"), &id),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let fresh = r.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let r = http_call(base, &fresh, "list_groups", json!({})).await;
    assert_eq!(r.body["result"]["isError"], false, "{}", r.body);
    assert_eq!(
        exchanges(&identity.requests().await),
        2,
        "the refreshed sign-in's ID token was exchanged"
    );
    let _ = &state;
}

#[tokio::test]
async fn check_says_whether_the_identity_pool_will_give_callers_their_groups_roles() {
    let w = World::start("").await;
    let out = w.check(&[]);
    assert!(
        out.contains(&format!(
            "ok: identity pool {} trusts cognito-idp.us-east-1.amazonaws.com/{} through app client {UPSTREAM_CLIENT}",
            w.identity_pool, w.pool.id
        )),
        "{out}"
    );
    assert!(
        out.contains("gives each caller the role of their groups"),
        "{out}"
    );
    assert!(out.contains("ServerSideTokenCheck is off"), "{out}");

    // A pool that trusts another app client, and has no roles: both said, as errors.
    let provider = format!("cognito-idp.us-east-1.amazonaws.com/{}", w.pool.id);
    let (_, other) = w
        .identity
        .api(
            "CreateIdentityPool",
            json!({
                "IdentityPoolName": "elsewhere",
                "AllowUnauthenticatedIdentities": false,
                "CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": "someoneelse", "ServerSideTokenCheck": true}],
            }),
        )
        .await;
    let other = other["IdentityPoolId"].as_str().expect("pool").to_owned();
    let out = w.check(&[("COGNITO_IDENTITY_POOL_ID", &other)]);
    assert!(
        out.contains(&format!("error: identity pool {other} does not trust")),
        "{out}"
    );
    assert!(
        out.contains("no authenticated role and no role mapping"),
        "{out}"
    );
    assert!(!out.contains("ServerSideTokenCheck is off"), "{out}");
}
