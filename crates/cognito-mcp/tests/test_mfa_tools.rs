//! MFA administration and sign-in checks against moto over real stdio: a user's MFA
//! preference, the pool's MFA configuration, MFA in list_users, and test_sign_in /
//! respond_to_auth_challenge (off by default; a summary, never the tokens, unless allowed).

mod common;

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, SoftwareTokenMfaSettingsType};
use common::login::{PASSWORD, TEMPORARY, fresh_totp, password_client, user};
use common::{Pool, Server, new_pool, sdk_client, serve};
use serde_json::{Value, json};

/// Registers an authenticator app for `username` (who has the permanent `PASSWORD`), as the
/// user would in the app: AssociateSoftwareToken and VerifySoftwareToken with their access
/// token. Returns the TOTP key (moto's is fixed).
async fn enroll_totp(pool: &Pool, username: &str) -> String {
    let c = sdk_client().await;
    let out = c
        .admin_initiate_auth()
        .user_pool_id(&pool.id)
        .client_id(&pool.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("sign in to enroll");
    let token = out
        .authentication_result()
        .and_then(|r| r.access_token())
        .expect("access token")
        .to_owned();
    let secret = c
        .associate_software_token()
        .access_token(&token)
        .send()
        .await
        .expect("AssociateSoftwareToken")
        .secret_code()
        .expect("secret")
        .to_owned();
    c.verify_software_token()
        .access_token(&token)
        .user_code(fresh_totp(&secret).await)
        .send()
        .await
        .expect("VerifySoftwareToken");
    secret
}

/// Makes TOTP `username`'s preferred method, directly through the SDK.
async fn prefer_totp(pool: &Pool, username: &str) {
    sdk_client()
        .await
        .admin_set_user_mfa_preference()
        .user_pool_id(&pool.id)
        .username(username)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("TOTP preferred");
}

async fn tool_names(s: &Server) -> Vec<String> {
    s.client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

/// The server with sign-in checks on (plus `extra` config lines), signing in through `client`.
async fn serve_sign_in(
    pool: &Pool,
    client: &(String, Option<String>),
    extra: &str,
) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("cognito-mcp.toml");
    std::fs::write(&config, format!("[sign_in]\nenabled = true\n{extra}")).expect("config");
    let mut env = vec![("COGNITO_CLIENT_ID", client.0.as_str())];
    if let Some(secret) = &client.1 {
        env.push(("COGNITO_CLIENT_SECRET", secret.as_str()));
    }
    let s = serve(
        pool,
        &["--config", config.to_str().expect("utf-8 path")],
        &env,
    )
    .await;
    (s, dir)
}

/// The whole audit trail as text, to look for secrets in. AWS's request ids and the call ids
/// are left out: they are random letters and digits, so one may hold `eyJ` (a JWT's start) or
/// a six-digit code by chance.
fn audit_text(s: &Server) -> String {
    let mut audit = s.audit();
    for record in audit.iter_mut().filter_map(Value::as_object_mut) {
        record.remove("call_id");
    }
    for call in audit
        .iter_mut()
        .filter_map(|r| r["aws_calls"].as_array_mut())
        .flatten()
    {
        if let Some(id) = call.get_mut("request_id") {
            *id = Value::String("(request id)".into());
        }
    }
    serde_json::to_string(&audit).expect("audit")
}

/// The AWS operations an audit record lists.
fn operations(record: &Value) -> Vec<String> {
    record["aws_calls"]
        .as_array()
        .expect("aws_calls")
        .iter()
        .filter_map(|c| c["operation"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn totp_preference_is_set_and_get_user_shows_it() {
    let pool = new_pool().await;
    user(&pool, "tom", &[], false).await;
    enroll_totp(&pool, "tom").await;
    let s = serve(&pool, &[], &[]).await;

    let out = s
        .ok(
            "set_user_mfa_preference",
            json!({"username": "tom", "totp": {"enabled": true, "preferred": true}}),
        )
        .await;
    assert_eq!(out["action"], "mfa_preference_set");
    assert_eq!(out["username"], "tom");
    assert_eq!(out["mfa"]["preferred"], "SOFTWARE_TOKEN_MFA");
    assert_eq!(out["mfa"]["enabled"], json!(["SOFTWARE_TOKEN_MFA"]));
    assert!(
        out["note"]
            .as_str()
            .is_some_and(|n| n.contains("SOFTWARE_TOKEN_MFA")),
        "{out}"
    );
    let got = s.ok("get_user", json!({"username": "tom"})).await;
    assert_eq!(got["mfa"], out["mfa"]);

    // (Turning a method off sends `{}`: the SDK leaves false booleans out, which Cognito
    // reads as false; moto ignores an empty settings object, so that is not checked here.)
    let audit = s.audit();
    let set = audit
        .iter()
        .find(|r| r["tool"] == "set_user_mfa_preference")
        .expect("audited");
    assert_eq!(
        operations(set),
        ["AdminSetUserMFAPreference", "AdminGetUser"]
    );
}

#[tokio::test]
async fn bad_mfa_preferences_fail_before_aws() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let cases = [
        (
            json!({"username": "tom", "totp": {"enabled": true, "preferred": true},
                   "sms": {"enabled": true, "preferred": true}}),
            "`sms.preferred`",
            "only one method can be preferred",
        ),
        (
            json!({"username": "tom", "totp": {"enabled": false, "preferred": true}}),
            "`totp.preferred`",
            "`totp.enabled` is false",
        ),
        (json!({"username": "tom"}), "`totp`", "nothing to change"),
    ];
    for (args, field, problem) in cases {
        let (code, text) = s.err("set_user_mfa_preference", args).await;
        assert_eq!(code, "invalid_input", "{text}");
        assert!(
            text.contains(field) && text.contains(problem),
            "{field}: {text}"
        );
        assert!(text.contains("Example of a valid value"), "{text}");
    }
    // A misspelt field is refused by the schema, not ignored.
    let (code, text) = s
        .err(
            "set_user_mfa_preference",
            json!({"username": "tom", "totp": {"enabled": true, "prefered": true}}),
        )
        .await;
    assert_eq!(code, "invalid_arguments", "{text}");
    let audit = s.audit();
    assert_eq!(audit.len(), 4);
    for r in &audit {
        assert!(operations(r).is_empty(), "{r}");
    }
}

#[tokio::test]
async fn pool_mfa_config_round_trip() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let start = s.ok("get_user_pool_mfa_config", json!({})).await;
    assert_eq!(
        start,
        json!({"mode": "OFF", "software_token": false, "sms": false, "email": false})
    );

    // Nothing enabled: refused, before AWS when the call itself turns everything off.
    let (code, text) = s
        .err(
            "set_user_pool_mfa_config",
            json!({"confirm": pool.id, "mode": "on", "software_token": false, "sms": false, "email": false}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("`mode` is `on`"), "{text}");
    // ... and after reading the pool when it leaves the methods as they are (all off).
    let (code, text) = s
        .err(
            "set_user_pool_mfa_config",
            json!({"confirm": pool.id, "mode": "optional"}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("no method would be enabled"), "{text}");
    // SMS needs the pool's SMS configuration, which this pool lacks.
    let (code, text) = s
        .err(
            "set_user_pool_mfa_config",
            json!({"confirm": pool.id, "mode": "optional", "sms": true}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(
        text.contains("`sms`") && text.contains("no SMS configuration"),
        "{text}"
    );

    let set = s
        .ok(
            "set_user_pool_mfa_config",
            json!({"confirm": pool.id, "mode": "optional", "software_token": true}),
        )
        .await;
    assert_eq!(set["mode"], "OPTIONAL");
    assert_eq!(set["software_token"], true);
    assert_eq!(set["sms"], false);
    assert_eq!(s.ok("get_user_pool_mfa_config", json!({})).await, set);
    // describe_user_pool agrees.
    let pool_desc = s.ok("describe_user_pool", json!({})).await;
    assert_eq!(pool_desc["mfa"], set);

    // Back to off: the method left out keeps its setting.
    let off = s
        .ok(
            "set_user_pool_mfa_config",
            json!({"confirm": pool.id, "mode": "off"}),
        )
        .await;
    assert_eq!(off["mode"], "OFF");
    assert_eq!(off["software_token"], true);

    let audit = s.audit();
    let refused_early = &audit[1];
    assert!(operations(refused_early).is_empty(), "{refused_early}");
    let refused_after_read = &audit[2];
    assert_eq!(operations(refused_after_read), ["GetUserPoolMfaConfig"]);
    let no_sms = &audit[3];
    assert_eq!(
        operations(no_sms),
        ["GetUserPoolMfaConfig", "DescribeUserPool"]
    );
    let done = &audit[4];
    assert_eq!(
        operations(done),
        ["GetUserPoolMfaConfig", "SetUserPoolMfaConfig"]
    );
    // `software_token` is a switch, not a secret: the audit keeps it.
    assert_eq!(done["arguments"]["software_token"], true, "{done}");
}

#[tokio::test]
async fn list_users_includes_mfa_only_when_asked() {
    let pool = new_pool().await;
    user(&pool, "ann", &[], false).await;
    user(&pool, "tom", &[], false).await;
    enroll_totp(&pool, "tom").await;
    prefer_totp(&pool, "tom").await;
    let s = serve(&pool, &[], &[]).await;

    let plain = s.ok("list_users", json!({})).await;
    assert_eq!(plain["count"], 2);
    for u in plain["users"].as_array().expect("users") {
        assert!(u.get("mfa").is_none(), "{u}");
    }

    let page = s.ok("list_users", json!({"include_mfa": true})).await;
    let users = page["users"].as_array().expect("users");
    let by_name = |name: &str| {
        users
            .iter()
            .find(|u| u["username"] == name)
            .unwrap_or_else(|| panic!("{name} listed: {page}"))
    };
    assert_eq!(
        by_name("tom")["mfa"],
        json!({"preferred": "SOFTWARE_TOKEN_MFA", "enabled": ["SOFTWARE_TOKEN_MFA"]})
    );
    assert_eq!(
        by_name("ann")["mfa"],
        json!({"preferred": null, "enabled": []})
    );

    let audit = s.audit();
    assert_eq!(operations(&audit[0]), ["ListUsers"]);
    assert_eq!(
        operations(&audit[1]),
        ["ListUsers", "AdminGetUser", "AdminGetUser"]
    );
}

#[tokio::test]
async fn sign_in_checks_are_hidden_and_refused_by_default() {
    let pool = new_pool().await;
    let s = serve(
        &pool,
        &[],
        &[("COGNITO_CLIENT_ID", pool.client_id.as_str())],
    )
    .await;
    let names = tool_names(&s).await;
    assert!(names.contains(&"set_user_mfa_preference".to_owned()));
    assert!(!names.contains(&"test_sign_in".to_owned()), "{names:?}");
    assert!(!names.contains(&"respond_to_auth_challenge".to_owned()));
    let (code, text) = s
        .err(
            "test_sign_in",
            json!({"username": "tom", "password": PASSWORD}),
        )
        .await;
    assert_eq!(code, "tool_disabled");
    assert!(text.contains("[sign_in] enabled = true"), "{text}");
    let (code, _) = s
        .err(
            "respond_to_auth_challenge",
            json!({"username": "tom", "challenge": "SMS_MFA", "session": "s", "code": "123456"}),
        )
        .await;
    assert_eq!(code, "tool_disabled");
    let audit = s.audit();
    assert!(
        audit
            .iter()
            .all(|r| r["outcome"] == "refused" && operations(r).is_empty())
    );
    assert!(!audit_text(&s).contains(PASSWORD));
}

#[tokio::test]
async fn test_sign_in_answers_a_summary_without_tokens() {
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "ada", &["Admins"], false).await;
    let (s, _dir) = serve_sign_in(&pool, &client, "").await;
    let names = tool_names(&s).await;
    assert!(names.contains(&"test_sign_in".to_owned()), "{names:?}");
    assert!(names.contains(&"respond_to_auth_challenge".to_owned()));

    let r = s
        .call(
            "test_sign_in",
            json!({"username": "ada", "password": PASSWORD}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", common::text(&r));
    let out = r.structured_content.clone().expect("structured");
    assert_eq!(out["status"], "signed_in");
    assert_eq!(out["token_use"], "access");
    assert_eq!(out["username"], "ada");
    assert_eq!(out["client_id"], client.0.as_str());
    assert_eq!(out["groups"], json!(["Admins"]));
    assert!(
        out["scopes"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "aws.cognito.signin.user.admin")),
        "{out}"
    );
    assert_eq!(out["expires_in"], 3600);
    assert!(out["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(out["sub"].as_str().is_some_and(|s| !s.is_empty()));
    for key in ["access_token", "id_token", "refresh_token", "session"] {
        assert!(out.get(key).is_none(), "{key} in {out}");
    }
    // No JWT anywhere in the answer (a JWT's header starts eyJ).
    let everything = format!("{r:?}");
    assert!(!everything.contains("eyJ"), "{everything}");

    // A wrong password: a clear refusal that names the lockout, and never the password.
    let (code, text) = s
        .err(
            "test_sign_in",
            json!({"username": "ada", "password": "Wrong-Horse-42"}),
        )
        .await;
    assert_eq!(code, "sign_in_refused", "{text}");
    assert!(text.contains("lockout"), "{text}");
    assert!(!text.contains("Wrong-Horse-42"), "{text}");
    // An unknown user.
    let (code, _) = s
        .err(
            "test_sign_in",
            json!({"username": "nobody", "password": PASSWORD}),
        )
        .await;
    assert_eq!(code, "user_not_found");

    let audit = audit_text(&s);
    for secret in [PASSWORD, "Wrong-Horse-42", "eyJ"] {
        assert!(!audit.contains(secret), "{secret} in {audit}");
    }
    assert!(audit.contains("AdminInitiateAuth"), "{audit}");
}

#[tokio::test]
async fn new_password_required_is_answered_with_a_new_password() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "newbie", &["ReadOnly"], true).await;
    let (s, _dir) = serve_sign_in(&pool, &client, "").await;

    let first = s
        .ok(
            "test_sign_in",
            json!({"username": "newbie", "password": TEMPORARY}),
        )
        .await;
    assert_eq!(first["status"], "challenge", "{first}");
    assert_eq!(first["challenge"], "NEW_PASSWORD_REQUIRED");
    assert_eq!(first["answer_with"], "new_password");
    assert_eq!(first["username"], "newbie");
    assert!(
        first["next"]
            .as_str()
            .is_some_and(|n| n.contains("respond_to_auth_challenge")),
        "{first}"
    );
    let session = first["session"].as_str().expect("session").to_owned();
    assert!(!session.is_empty());

    // A weak password is refused before Cognito sees it.
    let (code, text) = s
        .err(
            "respond_to_auth_challenge",
            json!({"username": "newbie", "challenge": "NEW_PASSWORD_REQUIRED",
                   "session": session, "new_password": "Short-1"}),
        )
        .await;
    assert_eq!(code, "weak_password", "{text}");
    assert!(text.contains("`new_password`"), "{text}");
    // The wrong answer field for the challenge.
    let (code, text) = s
        .err(
            "respond_to_auth_challenge",
            json!({"username": "newbie", "challenge": "NEW_PASSWORD_REQUIRED",
                   "session": session, "code": "123456"}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("`code` is given"), "{text}");

    let done = s
        .ok(
            "respond_to_auth_challenge",
            json!({"username": "newbie", "challenge": "NEW_PASSWORD_REQUIRED",
                   "session": session, "new_password": "Brand-New-Pass-7"}),
        )
        .await;
    assert_eq!(done["status"], "signed_in", "{done}");
    assert_eq!(done["groups"], json!(["ReadOnly"]));
    let got = s.ok("get_user", json!({"username": "newbie"})).await;
    assert_eq!(got["status"], "CONFIRMED");

    let audit = s.audit();
    let responds: Vec<&Value> = audit
        .iter()
        .filter(|r| r["tool"] == "respond_to_auth_challenge")
        .collect();
    assert_eq!(responds.len(), 3);
    for r in &responds[..2] {
        assert!(
            !operations(r).contains(&"AdminRespondToAuthChallenge".to_owned()),
            "{r}"
        );
    }
    assert!(operations(responds[2]).contains(&"AdminRespondToAuthChallenge".to_owned()));
    let text = audit_text(&s);
    for secret in [
        TEMPORARY,
        "Short-1",
        "Brand-New-Pass-7",
        session.as_str(),
        "eyJ",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn totp_challenge_is_answered_with_a_code() {
    let pool = new_pool().await;
    // A client with a secret: every call carries SECRET_HASH, and moto checks it on the answer.
    let client = password_client(&pool, true).await;
    user(&pool, "tom", &["Developers"], false).await;
    let key = enroll_totp(&pool, "tom").await;
    let (s, _dir) = serve_sign_in(&pool, &client, "").await;
    s.ok(
        "set_user_pool_mfa_config",
        json!({"confirm": pool.id, "mode": "optional", "software_token": true}),
    )
    .await;
    s.ok(
        "set_user_mfa_preference",
        json!({"username": "tom", "totp": {"enabled": true, "preferred": true}}),
    )
    .await;

    let ask = s
        .ok(
            "test_sign_in",
            json!({"username": "tom", "password": PASSWORD}),
        )
        .await;
    assert_eq!(ask["status"], "challenge", "{ask}");
    assert_eq!(ask["challenge"], "SOFTWARE_TOKEN_MFA");
    assert_eq!(ask["answer_with"], "code");
    let session = ask["session"].as_str().expect("session").to_owned();

    // Malformed: refused before AWS. Wrong: refused by Cognito.
    let answer = |code: &str| {
        json!({"username": "tom", "challenge": "SOFTWARE_TOKEN_MFA", "session": session,
               "code": code})
    };
    let (code, text) = s.err("respond_to_auth_challenge", answer("12ab56")).await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("`code` is not 6 to 8 digits"), "{text}");
    let good = fresh_totp(&key).await;
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let (code, text) = s.err("respond_to_auth_challenge", answer(wrong)).await;
    assert_eq!(code, "code_mismatch", "{text}");
    assert!(text.contains("fresh code"), "{text}");

    let code_used = fresh_totp(&key).await;
    let done = s.ok("respond_to_auth_challenge", answer(&code_used)).await;
    assert_eq!(done["status"], "signed_in", "{done}");
    assert_eq!(done["username"], "tom");
    assert_eq!(done["groups"], json!(["Developers"]));
    assert!(done.get("access_token").is_none(), "{done}");

    let audit = s.audit();
    let responds: Vec<&Value> = audit
        .iter()
        .filter(|r| r["tool"] == "respond_to_auth_challenge")
        .collect();
    assert!(operations(responds[0]).is_empty(), "{}", responds[0]);
    assert_eq!(operations(responds[1]), ["AdminRespondToAuthChallenge"]);
    assert_eq!(responds[1]["error"], "code_mismatch");
    assert_eq!(responds[2]["outcome"], "ok");
    let text = audit_text(&s);
    for secret in [PASSWORD, session.as_str(), code_used.as_str(), wrong, "eyJ"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn return_tokens_adds_the_raw_tokens() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "ada", &["Admins"], false).await;
    let (s, _dir) = serve_sign_in(&pool, &client, "return_tokens = true\n").await;
    let out = s
        .ok(
            "test_sign_in",
            json!({"username": "ada", "password": PASSWORD}),
        )
        .await;
    assert_eq!(out["status"], "signed_in");
    for key in ["access_token", "id_token"] {
        assert!(
            out[key].as_str().is_some_and(|t| t.starts_with("eyJ")),
            "{key}: {out}"
        );
    }
    assert!(out["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(out["groups"], json!(["Admins"]));
    // The audit records the call, never the tokens.
    let text = audit_text(&s);
    let access = out["access_token"].as_str().expect("token");
    assert!(!text.contains(access) && !text.contains("eyJ"), "{text}");
}

/// Sign-in checks through `client_id` with `secrets` (the client secret settings), TOTP on for
/// `username`: the answer to the TOTP challenge (moto checks its `SECRET_HASH`).
async fn totp_answer_with(
    pool: &Pool,
    client_id: &str,
    username: &str,
    secrets: &[(&str, &str)],
) -> (Value, String) {
    let key = enroll_totp(pool, username).await;
    prefer_totp(pool, username).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("cognito-mcp.toml");
    std::fs::write(&config, "[sign_in]\nenabled = true\n").expect("config");
    let mut env = vec![("COGNITO_CLIENT_ID", client_id)];
    env.extend_from_slice(secrets);
    let s = serve(
        pool,
        &["--config", config.to_str().expect("utf-8 path")],
        &env,
    )
    .await;
    s.ok(
        "set_user_pool_mfa_config",
        json!({"confirm": pool.id, "mode": "optional", "software_token": true}),
    )
    .await;
    let ask = s
        .ok(
            "test_sign_in",
            json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_eq!(ask["challenge"], "SOFTWARE_TOKEN_MFA", "{ask}");
    let r = s
        .call(
            "respond_to_auth_challenge",
            json!({"username": username, "challenge": "SOFTWARE_TOKEN_MFA",
                   "session": ask["session"], "code": fresh_totp(&key).await}),
        )
        .await;
    let out = r
        .structured_content
        .clone()
        .unwrap_or_else(|| json!({"error": common::text(&r)}));
    (out, s.file("stderr.log") + &audit_text(&s))
}

#[tokio::test]
async fn during_a_client_secret_rotation_the_previous_secret_answers_the_challenge() {
    let pool = new_pool().await;
    let (client_id, secret) = password_client(&pool, true).await;
    let secret = secret.expect("a client secret");
    user(&pool, "rae", &["Developers"], false).await;
    let (out, written) = totp_answer_with(
        &pool,
        &client_id,
        "rae",
        &[
            ("COGNITO_CLIENT_SECRET", "not-yet-added-to-the-app-client"),
            ("COGNITO_CLIENT_SECRET_PREVIOUS", &secret),
        ],
    )
    .await;
    assert_eq!(out["status"], "signed_in", "{out}");
    assert!(!written.contains(&secret), "the client secret leaked");
}

#[tokio::test]
async fn a_wrong_client_secret_without_a_previous_one_fails_the_challenge() {
    let pool = new_pool().await;
    let (client_id, _) = password_client(&pool, true).await;
    user(&pool, "rob", &["Developers"], false).await;
    let (out, _) = totp_answer_with(
        &pool,
        &client_id,
        "rob",
        &[("COGNITO_CLIENT_SECRET", "not-the-app-clients-secret")],
    )
    .await;
    assert_ne!(out["status"], "signed_in", "{out}");
    assert!(
        out["error"]
            .as_str()
            .is_some_and(|e| e.contains("not_authorized")),
        "{out}"
    );
}
