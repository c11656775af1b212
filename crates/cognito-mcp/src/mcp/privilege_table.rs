//! The whole decision table of the privilege rule, checked in process: every combination of
//! the caller's groups (none, each, each pair, all three), the token's scopes (none of the
//! server's, and each subset of them), each tool, and the target's groups (each subset) is
//! decided by the server's own code path and compared with the rule, stated separately below as
//! set arithmetic.
//!
//! The server's path: a token signed with a test key, verified by the bearer check that
//! `serve --transport http` builds (`http::auth_builder`, `ProtectedResource::authorize` on a
//! `tools/call` request: the challenge's scope, then the tool's), then the target check every
//! write operation makes (`cognito_admin::privilege::Privilege::missing_for`, with the groups
//! the server's settings map).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use cognito_admin::privilege::Privilege;
use cognito_jwt::testing::{TestKey, access_claims, jwks};
use cognito_jwt::{Principal, StaticJwks, VerifierBuilder};
use serde_json::json;

use crate::catalog::{self, Target};
use crate::config::Settings;

const POOL: &str = "us-east-1_TablePool";
const CLIENT: &str = "table-client";
const GROUPS: [&str; 3] = ["Admins", "Developers", "ReadOnly"];
const LEVELS: [&str; 3] = ["read", "write", "admin"];

/// Every subset of `items`.
fn subsets<'a>(items: &[&'a str]) -> Vec<Vec<&'a str>> {
    (0..1u32 << items.len())
        .map(|bits| {
            items
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, s)| *s)
                .collect()
        })
        .collect()
}

// ---- The rule, as set arithmetic (independent of the code under test) ----

/// What a group grants under the default mapping.
fn grants(group: &str) -> BTreeSet<&'static str> {
    match group {
        "Admins" => ["read", "write", "admin"].into(),
        "Developers" => ["read", "write"].into(),
        "ReadOnly" => ["read"].into(),
        _ => BTreeSet::new(),
    }
}

/// held = (∪ grants(caller groups)) ∩ (token scopes, when it carries any of ours).
fn held(caller: &[&str], token: &[&str]) -> BTreeSet<&'static str> {
    let from_groups: BTreeSet<&str> = caller.iter().flat_map(|g| grants(g)).collect();
    if token.is_empty() {
        from_groups
    } else {
        from_groups
            .into_iter()
            .filter(|s| token.contains(s))
            .collect()
    }
}

/// allowed = read ∈ held ∧ level(tool) ∈ held ∧ grants(target) ⊆ held.
fn rule(caller: &[&str], token: &[&str], level: Option<&str>, target: &[&str]) -> bool {
    let h = held(caller, token);
    let target_grants: BTreeSet<&str> = target.iter().flat_map(|g| grants(g)).collect();
    h.contains("read") && level.is_none_or(|l| h.contains(l)) && target_grants.is_subset(&h)
}

// ---- The server's path ----

async fn bearer_check(key: &TestKey) -> cognito_mcp_auth::CognitoAuth {
    let env = |k: &str| match k {
        "COGNITO_USER_POOL_ID" => Some(POOL.to_owned()),
        "COGNITO_CLIENT_ID" => Some(CLIENT.to_owned()),
        _ => None,
    };
    let settings = Settings::load(None, &env).expect("settings");
    let verifier = VerifierBuilder::for_pool("us-east-1", POOL)
        .jwks_source(StaticJwks(jwks(&[key])))
        .allow_client(CLIENT)
        .build()
        .expect("verifier");
    let scopes = crate::policy::ToolScopes::from_settings(&settings);
    crate::transport::http::auth_builder(&settings, &scopes, "http://127.0.0.1:9")
        .verifier(verifier)
        .build()
        .await
        .expect("the bearer check")
}

/// The bearer check's answer to `tools/call NAME` with `token`: the principal, or refused.
async fn layer_decision(
    auth: &cognito_mcp_auth::CognitoAuth,
    token: &str,
    tool: &str,
) -> Option<Principal> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": {}}});
    let req = http::Request::post("/mcp")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    match auth.protected_resource().authorize(req).await {
        Ok(req) => Some(
            req.extensions()
                .get::<Principal>()
                .expect("an authorized request carries its principal")
                .clone(),
        ),
        Err(resp) => {
            assert_eq!(resp.status(), 403, "only scope refusals are expected");
            None
        }
    }
}

#[tokio::test]
async fn decisions_equal_the_principle_everywhere() {
    let key = TestKey::generate("table-key");
    let auth = bearer_check(&key).await;
    let settings_grants = Arc::new(auth.config().scope_policy().groups().clone());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut checked = 0usize;
    let mut allowed = 0usize;
    for caller in subsets(&GROUPS) {
        for token_levels in subsets(&LEVELS) {
            // "None of ours" carries scopes the server does not know.
            let scope: Vec<String> = if token_levels.is_empty() {
                vec!["openid".into(), "aws.cognito.signin.user.admin".into()]
            } else {
                token_levels.iter().map(|l| format!("mcp/{l}")).collect()
            };
            let mut c = access_claims(&cognito_jwt::cognito_issuer("us-east-1", POOL), CLIENT, now);
            c["username"] = json!("caller");
            c["cognito:groups"] = json!(caller);
            c["scope"] = json!(scope.join(" "));
            let token = key.sign(&c);
            for tool in catalog::TOOLS {
                let level = (!tool.open).then(|| tool.access.name());
                let principal = layer_decision(&auth, &token, tool.name).await;
                let targets = match tool.target {
                    Target::None | Target::Pool | Target::Client => vec![vec![]],
                    Target::User | Target::Group => subsets(&GROUPS),
                };
                for target in targets {
                    let server = principal.as_ref().is_some_and(|p| {
                        Privilege::new(p.scopes().clone(), settings_grants.clone())
                            .missing_for(target.iter().copied())
                            .is_empty()
                    });
                    let want = rule(&caller, &token_levels, level, &target);
                    assert_eq!(
                        server, want,
                        "caller groups {caller:?}, token scopes {scope:?}, tool {}, target \
                         groups {target:?}",
                        tool.name
                    );
                    checked += 1;
                    allowed += usize::from(want);
                }
            }
        }
    }
    // Every combination was decided, and both answers occur.
    assert!(checked > 10_000, "{checked}");
    assert!(allowed > 0 && allowed < checked);
}

#[test]
fn the_rule_forbids_the_escalations_of_the_issue() {
    // A user in no group with a token carrying every scope.
    assert!(!rule(&[], &["read", "write", "admin"], Some("admin"), &[]));
    // A developer adding themselves to Admins, or setting an admin's password.
    assert!(!rule(&["Developers"], &[], Some("write"), &["Admins"]));
    // A developer changing a read-only user is fine.
    assert!(rule(&["Developers"], &[], Some("write"), &["ReadOnly"]));
}
