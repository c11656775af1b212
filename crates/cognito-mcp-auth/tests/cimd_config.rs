//! `[auth.cimd]` in configuration: native mode's CIMD policy is read, and what Cognito's
//! `CreateCIMDPolicy` would refuse (too many patterns, a pattern with a query or not https, a
//! cache duration outside a day to a year), or a policy outside native mode, is a problem naming
//! the key.

use std::sync::atomic::{AtomicU32, Ordering};

use cognito_mcp_auth::{AuthConfig, AuthMode};

fn load(mode: &str, cimd: &str) -> AuthConfig {
    static N: AtomicU32 = AtomicU32::new(0);
    let file = std::env::temp_dir().join(format!(
        "cognito-mcp-auth-cimd-{}-{}.toml",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(
        &file,
        format!("[auth]\nmode = \"{mode}\"\n\n[auth.cimd]\n{cimd}\n"),
    )
    .expect("write");
    let env = |k: &str| match k {
        "COGNITO_USER_POOL_ID" => Some("us-east-1_Abc".to_owned()),
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
fn a_native_mode_policy_is_read() {
    let c = load(
        "native",
        "url_patterns = [\"https://clients.example.com/mcp/*\"]\ncache_duration_secs = 604800",
    );
    assert_eq!(c.mode, AuthMode::Native);
    assert_eq!(c.cimd.url_patterns, ["https://clients.example.com/mcp/*"]);
    assert_eq!(c.cimd.cache_duration_secs, Some(604_800));
    assert!(problems(&c).is_empty(), "{:?}", problems(&c));
    assert!(load("native", "").cimd.url_patterns.is_empty());
}

#[test]
fn patterns_cognito_would_refuse_are_problems_naming_the_key() {
    for (cimd, expect) in [
        (
            "url_patterns = [\"http://clients.example.com/*\"]",
            "https URL",
        ),
        (
            "url_patterns = [\"https://a.example.com/c?x=1\"]",
            "without a query",
        ),
        (
            "url_patterns = [\"https://a.example.com/#x\"]",
            "without a query or fragment",
        ),
        ("url_patterns = [\"https://a.b\"]", "12 to 256"),
        (
            "url_patterns = [\"https://a.example.com/1\", \"https://a.example.com/2\", \"https://a.example.com/3\", \"https://a.example.com/4\", \"https://a.example.com/5\", \"https://a.example.com/6\"]",
            "at most 5",
        ),
        (
            "url_patterns = [\"https://a.example.com/*\"]\ncache_duration_secs = 3600",
            "86400",
        ),
        ("cache_duration_secs = 86400", "url_patterns is empty"),
    ] {
        let p = problems(&load("native", cimd));
        assert!(
            p.iter()
                .any(|m| m.contains("auth.cimd") && m.contains(expect)),
            "{cimd}: {p:?}"
        );
    }
}

#[test]
fn a_policy_outside_native_mode_is_a_problem() {
    let p = problems(&load(
        "jwt",
        "url_patterns = [\"https://clients.example.com/mcp/*\"]",
    ));
    assert!(
        p.iter().any(|m| m.contains("auth.mode is \"jwt\"")),
        "{p:?}"
    );
}
