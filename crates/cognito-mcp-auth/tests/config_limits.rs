//! `[auth.limits]`, the registration limits and lifetimes of `[auth.dcr]`, and
//! `auth.transaction_ttl_secs`: defaults, parsing, and the problems bad values give.

use std::time::Duration;

use cognito_mcp_auth::{AuthConfig, Limits};

fn load(toml: &str) -> AuthConfig {
    let dir = std::env::temp_dir().join(format!(
        "cognito-mcp-auth-limits-{}-{}",
        std::process::id(),
        toml.len()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{:x}.toml", fxhash(toml)));
    std::fs::write(&path, format!("[auth]\nenabled = true\n{toml}")).expect("write");
    let env = |k: &str| match k {
        "COGNITO_USER_POOL_ID" => Some("us-east-1_AbCdEf123".to_owned()),
        "COGNITO_CLIENT_ID" => Some("1example23456789".to_owned()),
        "COGNITO_DOMAIN" => Some("https://x.auth.us-east-1.amazoncognito.com".to_owned()),
        _ => None,
    };
    let c = AuthConfig::load(Some(&path), &env).expect("loads");
    let _ = std::fs::remove_file(&path);
    c
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn problems(toml: &str) -> Vec<String> {
    load(toml)
        .problems()
        .into_iter()
        .map(|p| p.message().to_owned())
        .collect()
}

#[test]
fn defaults_are_the_documented_ones() {
    let c = load("");
    assert!(c.problems().is_empty(), "{:?}", c.problems());
    let p = c.proxy.expect("proxy mode");
    assert_eq!(p.limits, Limits::default());
    assert_eq!(p.limits.authorize_per_minute, 60);
    assert_eq!(p.limits.authorize_per_minute_total, 600);
    assert_eq!(p.limits.pending_per_address, 100);
    assert_eq!(p.limits.pending_total, 10_000);
    assert_eq!(p.dcr.registrations_per_minute, 20);
    assert_eq!(p.dcr.registrations_per_minute_total, 120);
    assert_eq!(p.dcr.unused_client_ttl, Duration::from_secs(86_400));
    assert_eq!(p.dcr.idle_client_ttl, Duration::from_secs(90 * 86_400));
    assert_eq!(p.lifetimes.transaction, Duration::from_secs(600));
}

#[test]
fn every_key_is_read() {
    let c = load(
        "transaction_ttl_secs = 30\n\
         [auth.limits]\nauthorize_per_minute = 1\nauthorize_per_minute_total = 2\n\
         pending_per_address = 3\npending_total = 4\n\
         [auth.dcr]\nregistrations_per_minute_total = 5\nunused_client_ttl_secs = 0\n\
         idle_client_ttl_secs = 0\n",
    );
    assert!(c.problems().is_empty(), "{:?}", c.problems());
    let p = c.proxy.expect("proxy mode");
    assert_eq!(
        (
            p.limits.authorize_per_minute,
            p.limits.authorize_per_minute_total,
            p.limits.pending_per_address,
            p.limits.pending_total
        ),
        (1, 2, 3, 4)
    );
    assert_eq!(p.dcr.registrations_per_minute_total, 5);
    assert!(p.dcr.unused_client_ttl.is_zero(), "0 keeps registrations");
    assert!(p.dcr.idle_client_ttl.is_zero());
    assert_eq!(p.lifetimes.transaction, Duration::from_secs(30));
}

#[test]
fn a_zero_limit_is_a_problem_fails() {
    for (table, key) in [
        ("auth.limits", "authorize_per_minute"),
        ("auth.limits", "authorize_per_minute_total"),
        ("auth.limits", "pending_per_address"),
        ("auth.limits", "pending_total"),
        ("auth.dcr", "registrations_per_minute"),
        ("auth.dcr", "registrations_per_minute_total"),
    ] {
        let p = problems(&format!("[{table}]\n{key} = 0\n"));
        assert!(
            p.iter().any(|m| m.contains(&format!("{table}.{key} is 0"))),
            "{key}: {p:?}"
        );
    }
}

#[test]
fn an_idle_lifetime_below_the_refresh_lifetime_is_a_problem_fails() {
    let p = problems("refresh_token_ttl_secs = 1000\n[auth.dcr]\nidle_client_ttl_secs = 999\n");
    assert!(
        p.iter()
            .any(|m| m.contains("auth.dcr.idle_client_ttl_secs is 999")),
        "{p:?}"
    );
    assert!(
        problems("refresh_token_ttl_secs = 1000\n[auth.dcr]\nidle_client_ttl_secs = 1000\n")
            .is_empty()
    );
}

#[test]
fn a_transaction_lifetime_out_of_range_is_a_problem_fails() {
    for v in [0, 3601] {
        let p = problems(&format!("transaction_ttl_secs = {v}\n"));
        assert!(
            p.iter()
                .any(|m| m.contains(&format!("auth.transaction_ttl_secs is {v}"))),
            "{p:?}"
        );
    }
}

#[test]
fn an_unknown_limits_key_is_refused_fails() {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "cognito-mcp-auth-limits-unknown-{}.toml",
        std::process::id()
    ));
    std::fs::write(
        &path,
        "[auth]\nenabled = true\n[auth.limits]\nauthorise_per_minute = 5\n",
    )
    .expect("write");
    let env = |_: &str| None;
    let r = AuthConfig::load(Some(&path), &env);
    let _ = std::fs::remove_file(&path);
    let msg = match r {
        Err(e) => e.to_string(),
        Ok(c) => format!("{:?}", c.problems()),
    };
    assert!(msg.contains("authorise_per_minute"), "{msg}");
}
