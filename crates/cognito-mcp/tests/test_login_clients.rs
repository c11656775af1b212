//! The sign-in page end to end against moto, driven by real clients: the TypeScript SDK's own
//! `auth()` with a headless user agent that fills the pages (`clients/ts_login_client.mjs`), and
//! headless Chromium filling the real pages by their labels (`clients/browser_login.mjs`).
//! Password sign-in, a first sign-in's new password, TOTP enrollment then TOTP sign-in, wrong
//! passwords until the backoff, and the sign-in page's keyboard order. Negative tests end in
//! `_fails`.

mod common;

use common::drivers::{run, script};
use common::login::*;
use common::proxy::config;
use common::{HttpServer, Pool, http_call, new_pool, node_bin};
use serde_json::{Value, json};

struct Setup {
    server: HttpServer,
    _state: tempfile::TempDir,
    base: String,
}

async fn setup(pool: &Pool, client: (String, Option<String>), extra_auth: &str) -> Setup {
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), extra_auth, "");
    let server = serve_login(pool, &client, &cfg, &state.path().join("state"), &[]).await;
    let base = server.base.clone();
    Setup {
        server,
        _state: state,
        base,
    }
}

impl Setup {
    /// The server's log so far, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self.server.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Runs `driver` with the script of `answers` and `extra` arguments: (exit code, its JSON
    /// line, a failure message with the driver's stderr and the server's log).
    async fn drive(&self, driver: &str, answers: Value, extra: &[&str]) -> (i32, Value, String) {
        let target = if driver.starts_with("ts_") {
            format!("{}/mcp", self.base)
        } else {
            self.base.clone()
        };
        let mut args = vec![
            script(driver),
            target,
            "--answers".to_owned(),
            answers.to_string(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, lines, err) = run(&node_bin().join("node"), &args).await;
        let line = lines.last().cloned().unwrap_or(Value::Null);
        let context = format!(
            "{driver} exited {code}: {line}\nstderr:\n{err}\nserver log:\n{}",
            self.log()
        );
        (code, line, context)
    }
}

/// (kind, status) of each page a driver saw, in order.
fn kinds(out: &Value) -> Vec<(String, u64)> {
    out["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap_or("?").to_owned(),
                p["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn seq(items: &[(&str, u64)]) -> Vec<(String, u64)> {
    items.iter().map(|(k, s)| ((*k).to_owned(), *s)).collect()
}

fn sign_in(username: &str, password: &str) -> Value {
    json!({"page": "sign-in", "username": username, "password": password})
}

#[tokio::test]
async fn ts_sdk_signs_in_with_password_and_calls_a_tool() {
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "alex", &["Admins"], false).await;
    let s = setup(&pool, client, "").await;

    let (code, out, ctx) = s
        .drive(
            "ts_login_client.mjs",
            json!([sign_in("alex", PASSWORD)]),
            &[],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(out["step"], "signed-in", "{ctx}");
    assert_eq!(out["username"], "alex", "{ctx}");
    assert_eq!(out["claims"]["username"], "alex");
    assert_eq!(out["iss"], json!(s.base), "RFC 9207 iss on the redirect");
    assert_eq!(out["client"]["token_endpoint_auth_method"], "none");
    assert_eq!(out["refresh_token"], true);
    let tools: Vec<&str> = out["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tools.contains(&"whoami") && tools.contains(&"list_users"),
        "{tools:?}"
    );
    assert_eq!(kinds(&out), seq(&[("consent", 200), ("sign-in", 200)]));
}

#[tokio::test]
async fn ts_sdk_first_sign_in_sets_new_password() {
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "nina", &["Developers"], true).await;
    let s = setup(&pool, client, "").await;

    let (code, out, ctx) = s
        .drive(
            "ts_login_client.mjs",
            json!([
                sign_in("nina", TEMPORARY),
                {"page": "new-password", "password": "short"},
                {"page": "new-password", "password": "New-Password-123"},
            ]),
            &[],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(out["username"], "nina", "{ctx}");
    assert_eq!(
        kinds(&out),
        seq(&[
            ("consent", 200),
            ("sign-in", 200),
            ("new-password", 200),
            ("new-password", 400),
        ]),
        "{ctx}"
    );
    let pages = out["pages"].as_array().expect("pages");
    let rules = pages[2]["rules"].to_string();
    assert!(rules.contains("at least 12 characters"), "{rules}");
    let refused = pages[3]["error"].as_str().unwrap_or_default();
    assert!(refused.contains("shorter than 12"), "{refused}");

    // The new password is the password now; the temporary one is refused.
    let (code, out, ctx) = s
        .drive(
            "ts_login_client.mjs",
            json!([sign_in("nina", "New-Password-123")]),
            &[],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(kinds(&out), seq(&[("consent", 200), ("sign-in", 200)]));
    let (code, out, ctx) = s
        .drive(
            "ts_login_client.mjs",
            json!([sign_in("nina", TEMPORARY)]),
            &[],
        )
        .await;
    assert_eq!(code, 4, "stopped on the refusal: {ctx}");
    assert_eq!(
        kinds(&out),
        seq(&[("consent", 200), ("sign-in", 200), ("sign-in", 401)])
    );
}

#[tokio::test]
async fn ts_sdk_enrolls_totp_then_signs_in_with_it() {
    let pool = new_pool().await;
    require_totp(&pool).await;
    let client = srp_client(&pool, true).await;
    user(&pool, "tom", &["ReadOnly"], false).await;
    let s = setup(&pool, client, "").await;

    // First sign-in: the pool requires TOTP and tom has none. A malformed code is refused by
    // the page, a wrong one by Cognito, the current one enrolls the app.
    let (code, out, ctx) = s
        .drive(
            "ts_login_client.mjs",
            json!([
                sign_in("tom", PASSWORD),
                {"page": "totp-setup", "code": "12ab56"},
                {"page": "totp-setup", "code": "wrong-totp"},
                {"page": "totp-setup", "code": "totp"},
            ]),
            &[],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(out["username"], "tom", "{ctx}");
    assert_eq!(
        kinds(&out),
        seq(&[
            ("consent", 200),
            ("sign-in", 200),
            ("totp-setup", 200),
            ("totp-setup", 400),
            ("totp-setup", 401),
        ]),
        "{ctx}"
    );
    let pages = out["pages"].as_array().expect("pages");
    assert_eq!(pages[2]["title"], "Set up your authenticator app");
    assert_eq!(pages[2]["qr_svg"], true);
    assert!(
        pages[3]["error"]
            .as_str()
            .is_some_and(|e| e.contains("6-digit")),
        "{}",
        pages[3]
    );
    assert!(
        pages[4]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not right")),
        "{}",
        pages[4]
    );
    // The same key is shown on every try, and it is base32.
    let key = out["totp_key"].as_str().expect("the key learnt").to_owned();
    for p in &pages[2..] {
        assert_eq!(p["key_shown"], json!(key), "{p}");
    }
    assert!(
        key.chars()
            .all(|c| c.is_ascii_alphabetic() || ('2'..='7').contains(&c)),
        "{key}"
    );

    // Second sign-in: the app's code is asked for; the client knows the key.
    let (code, out, ctx) = s
        .drive(
            "ts_login_client.mjs",
            json!([sign_in("tom", PASSWORD), {"page": "totp", "code": "totp"}]),
            &["--totp-key", &key],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(out["username"], "tom");
    assert_eq!(
        kinds(&out),
        seq(&[("consent", 200), ("sign-in", 200), ("totp", 200)])
    );
    assert_eq!(out["pages"][2]["title"], "Enter your authenticator code");
}

#[tokio::test]
async fn ts_sdk_wrong_passwords_until_the_backoff_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "lee", &["ReadOnly"], false).await;
    let s = setup(
        &pool,
        client,
        "[auth.login]\nmax_failures_per_username = 3\nlockout_secs = 60",
    )
    .await;

    // Three wrong passwords, then the right one: the script ends on the page after it.
    let wrong = sign_in("lee", "Wrong-Password-1");
    let (code, out, ctx) = s
        .drive(
            "ts_login_client.mjs",
            json!([wrong, wrong, wrong, sign_in("lee", PASSWORD)]),
            &[],
        )
        .await;
    assert_eq!(code, 4, "the client never gets a code: {ctx}");
    assert_eq!(out["step"], "stopped");
    assert_eq!(
        kinds(&out),
        seq(&[
            ("consent", 200),
            ("sign-in", 200),
            ("sign-in", 401),
            ("sign-in", 401),
            ("sign-in", 429),
            ("sign-in", 429),
        ]),
        "{ctx}"
    );
    let pages = out["pages"].as_array().expect("pages");
    for p in &pages[2..4] {
        assert_eq!(p["error"], "Incorrect username or password.", "{p}");
        assert_eq!(p["retry_after"], Value::Null, "no backoff yet: {p}");
    }
    for p in &pages[4..] {
        let error = p["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("Too many failed sign-in attempts") && error.contains("seconds"),
            "{p}"
        );
        let retry: u64 = p["retry_after"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("Retry-After on the 429: {p}"));
        assert!((50..=60).contains(&retry), "{p}");
    }
    // Even the right password is refused while the backoff lasts.
    assert_eq!(pages[5]["answered"], Value::Null);
}

#[tokio::test]
async fn chromium_fills_the_sign_in_page() {
    let pool = new_pool().await;
    let client = srp_client(&pool, false).await;
    user(&pool, "sam", &["ReadOnly"], false).await;
    let s = setup(&pool, client, "").await;

    let (code, out, ctx) = s
        .drive("browser_login.mjs", json!([sign_in("sam", PASSWORD)]), &[])
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(out["step"], "redirect", "{ctx}");
    assert_eq!(out["state_ok"], true);
    assert_eq!(out["iss"], json!(s.base));
    assert_eq!(kinds(&out), seq(&[("consent", 200), ("sign-in", 200)]));
    assert_eq!(
        out["pages"][1]["focused"], "username",
        "the username field has the focus"
    );
    assert_eq!(out["console_errors"], json!([]), "no CSP violations: {ctx}");
    assert_eq!(out["token"]["status"], 200, "{ctx}");
    let access = out["token"]["access_token"].as_str().expect("access token");
    let who = http_call(&s.base, access, "whoami", json!({})).await;
    assert_eq!(who.status, 200, "{:?}", who.body);
    assert_eq!(
        who.body["result"]["structuredContent"]["username"],
        json!("sam")
    );
}

#[tokio::test]
async fn chromium_new_password_and_totp_enrollment() {
    let pool = new_pool().await;
    require_totp(&pool).await;
    let client = srp_client(&pool, true).await;
    user(&pool, "nora", &["Developers"], true).await;
    let s = setup(&pool, client, "").await;

    // First sign-in: the temporary password, a new one, then an authenticator app. The browser
    // itself refuses to send a code that is not six digits.
    let (code, out, ctx) = s
        .drive(
            "browser_login.mjs",
            json!([
                sign_in("nora", TEMPORARY),
                {"page": "new-password", "password": "New-Password-123"},
                {"page": "totp-setup", "code": "12ab56"},
                {"page": "totp-setup", "code": "totp"},
            ]),
            &[],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(
        kinds(&out),
        seq(&[
            ("consent", 200),
            ("sign-in", 200),
            ("new-password", 200),
            ("totp-setup", 200),
        ]),
        "{ctx}"
    );
    let pages = out["pages"].as_array().expect("pages");
    assert_eq!(pages[2]["focused"], "new_password");
    assert_eq!(pages[3]["focused"], "code");
    assert_eq!(pages[3]["qr_svg"], true);
    assert_eq!(
        pages[3]["refused_by_browser"],
        json!([{"typed": "12ab56", "valid": false}])
    );
    assert_eq!(out["token"]["status"], 200, "{ctx}");
    let key = out["totp_key"].as_str().expect("the key read").to_owned();
    assert_eq!(pages[3]["key_shown"], json!(key));

    // Second sign-in: the new password and the app's code.
    let (code, out, ctx) = s
        .drive(
            "browser_login.mjs",
            json!([sign_in("nora", "New-Password-123"), {"page": "totp", "code": "totp"}]),
            &["--totp-key", &key],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(
        kinds(&out),
        seq(&[("consent", 200), ("sign-in", 200), ("totp", 200)])
    );
    assert_eq!(out["pages"][2]["focused"], "code");
    let access = out["token"]["access_token"].as_str().expect("access token");
    let who = http_call(&s.base, access, "whoami", json!({})).await;
    assert_eq!(
        who.body["result"]["structuredContent"]["username"],
        json!("nora"),
        "{:?}",
        who.body
    );
}

#[tokio::test]
async fn chromium_sign_in_page_keyboard_order() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "kay", &["ReadOnly"], false).await;
    let s = setup(&pool, client, "").await;

    // Keyboard only: type where the focus is, Tab, type, Tab, Enter. The first try has a wrong
    // password; the page that says so puts the focus on the password.
    let (code, out, ctx) = s
        .drive(
            "browser_login.mjs",
            json!([sign_in("kay", "Wrong-Password-1"), sign_in("kay", PASSWORD)]),
            &["--keyboard"],
        )
        .await;
    assert_eq!(code, 0, "{ctx}");
    assert_eq!(out["keyboard"]["focus_on_load"], "username", "{ctx}");
    assert_eq!(
        out["keyboard"]["tab_order"],
        json!(["password", "button:Sign in"]),
        "{ctx}"
    );
    assert_eq!(
        kinds(&out),
        seq(&[("consent", 200), ("sign-in", 200), ("sign-in", 401)])
    );
    let again = &out["pages"][2];
    assert_eq!(again["error"], "Incorrect username or password.");
    assert_eq!(again["focused"], "password", "{again}");
    assert_eq!(out["token"]["status"], 200, "{ctx}");
}
