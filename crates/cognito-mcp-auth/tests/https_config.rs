//! Proxy mode's public URL: an authorization server over plain http is refused unless it is this
//! machine's (MCP 2026-07-28: every authorization-server endpoint MUST be https). The attack it
//! stops: codes, refresh tokens and client secrets readable on the network.

use cognito_mcp_auth::AuthConfig;

fn problems(mode: &str, public_url: &str) -> Vec<String> {
    let env = |k: &str| match k {
        "COGNITO_USER_POOL_ID" => Some("us-east-1_Abc".to_owned()),
        "COGNITO_CLIENT_ID" => Some("client".to_owned()),
        "COGNITO_MCP_AUTH_MODE" => Some(mode.to_owned()),
        "COGNITO_MCP_PUBLIC_URL" => Some(public_url.to_owned()),
        "COGNITO_MCP_AUTH_DOMAIN" => Some("https://auth.example.com".to_owned()),
        _ => None,
    };
    AuthConfig::load(None, &env)
        .expect("loads")
        .problems()
        .iter()
        .map(|p| p.message().to_owned())
        .collect()
}

fn refused(p: &[String]) -> bool {
    p.iter().any(|m| m.contains("must be https"))
}

#[test]
fn proxy_mode_over_plain_http_on_a_network_host_fails() {
    for url in [
        "http://mcp.example.com",
        "http://10.0.0.5:8080",
        "http://mcp.example.com:8080/",
        "http://localhost.evil.net",
    ] {
        assert!(refused(&problems("proxy", url)), "{url}");
    }
}

#[test]
fn https_or_this_machine_passes() {
    for url in [
        "https://mcp.example.com",
        "http://localhost:8080",
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
        "http://127.0.0.2:9000",
    ] {
        assert!(!refused(&problems("proxy", url)), "{url}");
    }
    // The rule is the authorization server's: a resource alone may sit behind anything.
    assert!(!refused(&problems("jwt", "http://mcp.example.com")));
}
