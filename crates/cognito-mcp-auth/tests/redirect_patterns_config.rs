//! `[auth.dcr]` redirect patterns in configuration: `trusted_redirect_patterns` is read, and
//! patterns that could match nothing, or trust every host, are problems naming the key.

use std::sync::atomic::{AtomicU32, Ordering};

use cognito_mcp_auth::AuthConfig;

fn load(dcr: &str) -> AuthConfig {
    static N: AtomicU32 = AtomicU32::new(0);
    let file = std::env::temp_dir().join(format!(
        "cognito-mcp-auth-patterns-{}-{}.toml",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(
        &file,
        format!(
            "[auth]\nenabled = true\ndomain = \"https://auth.example.com\"\n\n[auth.dcr]\n{dcr}\n"
        ),
    )
    .expect("write");
    let env = |k: &str| match k {
        "COGNITO_USER_POOL_ID" => Some("us-east-1_Abc".to_owned()),
        "COGNITO_CLIENT_ID" => Some("client".to_owned()),
        "COGNITO_MCP_PUBLIC_URL" => Some("https://mcp.example.com".to_owned()),
        _ => None,
    };
    let c = AuthConfig::load(Some(&file), &env).expect("loads");
    let _ = std::fs::remove_file(&file);
    c
}

fn problems(c: &AuthConfig) -> Vec<String> {
    c.problems()
        .iter()
        .map(|p| p.message().to_owned())
        .collect()
}

#[test]
fn trusted_redirect_patterns_default_to_none() {
    let c = load("");
    let p = c.proxy.as_ref().expect("proxy mode");
    assert!(p.dcr.trusted_redirect_patterns.is_empty());
    assert!(problems(&c).is_empty(), "{:?}", problems(&c));
}

#[test]
fn trusted_redirect_patterns_are_read() {
    let c = load(
        "trusted_redirect_patterns = [\"https://app.example.com/callback\", \"http://127.0.0.1:*/cb\"]",
    );
    let p = c.proxy.as_ref().expect("proxy mode");
    assert_eq!(
        p.dcr.trusted_redirect_patterns,
        ["https://app.example.com/callback", "http://127.0.0.1:*/cb"]
    );
    assert!(problems(&c).is_empty(), "{:?}", problems(&c));
}

#[test]
fn trusted_pattern_for_every_host_fails() {
    let c = load("trusted_redirect_patterns = [\"https://*/callback\"]");
    let p = problems(&c);
    assert!(
        p.iter()
            .any(|m| m.contains("auth.dcr.trusted_redirect_patterns")
                && m.contains("trusts every host")),
        "{p:?}"
    );
}

#[test]
fn pattern_that_can_match_nothing_fails() {
    for (key, pattern) in [
        ("allowed_redirect_patterns", "https://App.Example.com/*"),
        ("allowed_redirect_patterns", "https://*.example.com"),
        ("trusted_redirect_patterns", "*://app.example.com/cb"),
    ] {
        let c = load(&format!("{key} = [\"{pattern}\"]"));
        let p = problems(&c);
        assert!(
            p.iter()
                .any(|m| m.contains(&format!("auth.dcr.{key}")) && m.contains(pattern)),
            "{key} {pattern}: {p:?}"
        );
    }
}
