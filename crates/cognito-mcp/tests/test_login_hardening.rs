//! The sign-in page against a guessing attacker, in front of moto through a recording proxy
//! that counts the Cognito calls: a form works once, attempts are counted before Cognito is
//! asked, one user's names share one budget, a first sign-in sends only the attributes the
//! challenge requires, and the log never shows what was typed as a username.

mod common;

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, UsernameAttributeType};
use common::login::*;
use common::proxy::{Browser, Got, config, pkce, public_client};
use common::recorder::Recorder;
use common::{HttpServer, Pool, new_pool, sdk_client};

/// The operations that check a password or a code.
const PASSWORD_CALLS: [&str; 4] = [
    "AdminInitiateAuth",
    "InitiateAuth",
    "AdminRespondToAuthChallenge",
    "RespondToAuthChallenge",
];

struct Setup {
    server: HttpServer,
    cognito: Recorder,
    _state: tempfile::TempDir,
    base: String,
    client_id: String,
}

async fn setup(pool: &Pool, extra_auth: &str, env: &[(&str, &str)]) -> Setup {
    let client = password_client(pool, false).await;
    let cognito = Recorder::start(&common::moto().endpoint).await;
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), extra_auth, "");
    let mut all = vec![(
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        cognito.base.as_str(),
    )];
    all.extend_from_slice(env);
    let server = serve_login(pool, &client, &cfg, &state.path().join("state"), &all).await;
    let base = server.base.clone();
    let client_id = public_client(&base, "openid mcp/read").await;
    Setup {
        server,
        cognito,
        _state: state,
        base,
        client_id,
    }
}

impl Setup {
    fn log(&self) -> String {
        std::fs::read_to_string(self.server.dir.path().join("stderr.log")).unwrap_or_default()
    }

    fn password_calls(&self) -> usize {
        self.cognito.calls_to(&PASSWORD_CALLS).len()
    }

    /// A new browser on a new sign-in page.
    async fn login_page(&self) -> (Browser, Got) {
        let (_, challenge) = pkce();
        let mut b = Browser::new();
        let page = to_login_page(
            &mut b,
            &self.base,
            &self.client_id,
            &challenge,
            "openid mcp/read",
        )
        .await;
        (b, page)
    }

    /// Signs in as `username` with `password` from a new browser: the answer's status.
    async fn attempt(&self, username: &str, password: &str) -> u16 {
        let (mut b, page) = self.login_page().await;
        submit(
            &mut b,
            &self.base,
            &page,
            "/login",
            &[("username", username), ("password", password)],
        )
        .await
        .status
    }
}

#[tokio::test]
async fn replayed_sign_in_form_reaches_cognito_once() {
    let pool = new_pool().await;
    user(&pool, "rae", &["ReadOnly"], false).await;
    let s = setup(&pool, "", &[]).await;
    // Held at the proxy, so every copy is in flight before the first is answered.
    s.cognito
        .hold("AdminInitiateAuth", Duration::from_millis(500));
    let (b, page) = s.login_page().await;
    let before = s.password_calls();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let mut copy = Browser::new();
        copy.cookies = b.cookies.clone();
        let (base, text) = (s.base.clone(), page.text.clone());
        tasks.spawn(async move {
            let f = fields(&text);
            copy.post_form(
                &format!("{base}/login"),
                &[
                    ("state", &f["state"]),
                    ("csrf", &f["csrf"]),
                    ("username", "rae"),
                    ("password", "Wrong-Password-1"),
                ],
            )
            .await
            .status
        });
    }
    let mut statuses = tasks.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [401, 403, 403, 403, 403, 403], "{statuses:?}");
    assert_eq!(s.password_calls() - before, 1, "{:?}", s.cognito.calls());
}

#[tokio::test]
async fn parallel_wrong_passwords_past_the_budget_fail() {
    let pool = new_pool().await;
    user(&pool, "max", &["ReadOnly"], false).await;
    let s = setup(&pool, "[auth.login]\nmax_failures_per_username = 3", &[]).await;
    s.cognito
        .hold("AdminInitiateAuth", Duration::from_millis(500));
    // Ten sign-ins started (an attacker can start as many as they like), then all posted at once.
    let mut pages = Vec::new();
    for _ in 0..10 {
        pages.push(s.login_page().await);
    }
    let before = s.password_calls();
    let mut tasks = tokio::task::JoinSet::new();
    for (mut b, page) in pages {
        let base = s.base.clone();
        tasks.spawn(async move {
            submit(
                &mut b,
                &base,
                &page,
                "/login",
                &[("username", "max"), ("password", "Wrong-Password-1")],
            )
            .await
            .status
        });
    }
    let statuses = tasks.join_all().await;
    let reached = s.password_calls() - before;
    assert_eq!(
        reached, 3,
        "at most the budget reaches Cognito: {statuses:?}"
    );
    // The refused ones without asking Cognito; the three that went wrong say so, and that the
    // budget is used up by then (401 or 429, by when they finish).
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429)
            && statuses.iter().filter(|s| **s == 429).count() >= 7,
        "{statuses:?}"
    );
    // The right password now waits too, without a Cognito call.
    assert_eq!(s.attempt("max", PASSWORD).await, 429);
    assert_eq!(s.password_calls() - before, 3);
}

/// A pool where users sign in with their email or phone number (moto resolves both, as
/// Cognito does for aliases), with an app client allowing ADMIN_USER_PASSWORD_AUTH.
async fn alias_pool() -> Pool {
    let c = sdk_client().await;
    let out = c
        .create_user_pool()
        .pool_name("aliases")
        .username_attributes(UsernameAttributeType::Email)
        .username_attributes(UsernameAttributeType::PhoneNumber)
        .send()
        .await
        .expect("create pool");
    let id = out.user_pool().and_then(|p| p.id()).expect("id").to_owned();
    Pool {
        admin: cognito_admin::CognitoAdmin::new(c, id.clone()),
        id,
        client_id: String::new(),
    }
}

#[tokio::test]
async fn username_email_and_phone_past_one_budget_fail() {
    let pool = alias_pool().await;
    let c = sdk_client().await;
    c.admin_create_user()
        .user_pool_id(&pool.id)
        .username("pat@example.com")
        .user_attributes(
            AttributeType::builder()
                .name("phone_number")
                .value("+15555550100")
                .build()
                .expect("attribute"),
        )
        .temporary_password(TEMPORARY)
        .send()
        .await
        .expect("create user");
    c.admin_set_user_password()
        .user_pool_id(&pool.id)
        .username("pat@example.com")
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .expect("set password");
    let username = c
        .admin_get_user()
        .user_pool_id(&pool.id)
        .username("pat@example.com")
        .send()
        .await
        .expect("get user")
        .username()
        .to_owned();
    assert_ne!(username, "pat@example.com", "the username is Cognito's id");
    let s = setup(&pool, "[auth.login]\nmax_failures_per_username = 3", &[]).await;
    let before = s.password_calls();
    let mut statuses = Vec::new();
    for name in ["pat@example.com", "+15555550100", username.as_str()] {
        statuses.push(s.attempt(name, "Wrong-Password-1").await);
    }
    // Three names, one user, one budget: the fourth attempt waits, right password or not.
    statuses.push(s.attempt("pat@example.com", PASSWORD).await);
    assert_eq!(statuses, [401, 401, 429, 429]);
    assert_eq!(s.password_calls() - before, 3);
}

#[tokio::test]
async fn unknown_user_gets_the_same_budget_as_a_known_one() {
    let pool = new_pool().await;
    user(&pool, "kai", &["ReadOnly"], false).await;
    let s = setup(&pool, "[auth.login]\nmax_failures_per_username = 2", &[]).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..3 {
        known.push(s.attempt("kai", "Wrong-Password-1").await);
        unknown.push(s.attempt("no-such-user", "Wrong-Password-1").await);
    }
    assert_eq!(known, [401, 429, 429]);
    assert_eq!(known, unknown, "the limits do not tell who exists");
}

#[tokio::test]
async fn first_sign_in_extra_attributes_are_not_sent_fails() {
    let pool = new_pool().await;
    user(&pool, "nia", &["Developers"], true).await;
    let s = setup(&pool, "", &[]).await;
    // Cognito names the attributes a first sign-in must set; moto does not, so the proxy adds
    // them to its answer as Cognito would.
    s.cognito.add_challenge_parameter(
        "AdminInitiateAuth",
        "requiredAttributes",
        "[\"userAttributes.name\"]",
    );
    let (mut b, page) = s.login_page().await;
    let page = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "nia"), ("password", TEMPORARY)],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("name=\"userAttributes.name\""),
        "{}",
        page.text
    );
    // The form also carries fields the challenge did not ask for.
    let done = submit(
        &mut b,
        &s.base,
        &page,
        "/login/challenge",
        &[
            ("new_password", "New-Password-123"),
            ("confirm_password", "New-Password-123"),
            ("userAttributes.name", "Nia"),
            ("userAttributes.custom:role", "admin"),
            ("userAttributes.email", "attacker@example.net"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.text);
    let answers = s.cognito.calls_to(&["AdminRespondToAuthChallenge"]);
    let sent = &answers.last().expect("the answer").body["ChallengeResponses"];
    assert_eq!(sent["userAttributes.name"], "Nia", "{sent}");
    assert!(sent.get("userAttributes.custom:role").is_none(), "{sent}");
    assert!(sent.get("userAttributes.email").is_none(), "{sent}");
}

#[tokio::test]
async fn typed_username_in_the_log_fails() {
    let pool = new_pool().await;
    user(&pool, "lou", &["ReadOnly"], false).await;
    let s = setup(
        &pool,
        "[auth.login]\nmax_failures_per_username = 2",
        &[("RUST_LOG", "cognito_mcp=debug,cognito_mcp_auth=debug,warn")],
    )
    .await;
    // A password typed into the username field, until the lockout; then a known user's
    // wrong password and their sign-in.
    let typed = "Hunter2-Typed-In-The-Name-Field";
    for _ in 0..3 {
        s.attempt(typed, "Wrong-Password-1").await;
    }
    assert_eq!(s.attempt("lou", "Wrong-Password-1").await, 401);
    assert_eq!(s.attempt("lou", PASSWORD).await, 303);
    let log = s.log();
    assert!(log.contains("sign-in refused"), "{log}");
    assert!(log.contains("signed in on the sign-in page"), "{log}");
    assert!(
        !log.to_lowercase().contains(&typed.to_lowercase()),
        "the typed name is in the log:\n{log}"
    );
    // The tag is there instead: one name, one tag, on every line about it.
    let tags: std::collections::BTreeSet<&str> = log
        .lines()
        .filter(|l| l.contains("sign-in refused") && !l.contains("username="))
        .filter_map(|l| l.split("user=").nth(1))
        .filter_map(|r| r.split_whitespace().next())
        .collect();
    assert_eq!(tags.len(), 2, "two names, two tags: {log}");
}
