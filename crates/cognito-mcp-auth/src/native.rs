//! Whether a pool can be the MCP clients' authorization server itself (native mode): what an
//! MCP client of revision 2026-07-28 looks for in the pool's OpenID discovery document, and what
//! the pool's plan and domain allow. `cognito-mcp check` prints it line by line and recommends
//! native or proxy mode with the reason.

use serde_json::Value;

/// What the pool's description says (DescribeUserPool).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PoolFacts {
    /// The feature plan: `LITE`, `ESSENTIALS` or `PLUS`; `None` when not known.
    pub tier: Option<String>,
    /// Whether the pool has a domain (Cognito's or a custom one): managed login and
    /// registration live there.
    pub has_domain: bool,
}

impl PoolFacts {
    /// The facts of a pool on `tier` (`None`: unknown), with or without a domain.
    pub fn new(tier: Option<String>, has_domain: bool) -> Self {
        Self { tier, has_domain }
    }
}

/// How a finding bears on native mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Level {
    /// Present, as a client needs it.
    Ok,
    /// Missing, and some clients or flows will miss it.
    Warning,
    /// Missing, and the specification tells clients to refuse over it, though some proceed:
    /// native mode works only with those.
    Risk,
    /// Missing, and native mode cannot work without it.
    Blocker,
}

/// One line of the diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// How it bears on native mode.
    pub level: Level,
    /// What was found, and what to do about it.
    pub text: String,
}

/// Every finding, and the mode to use.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Diagnosis {
    /// One per thing a client looks for, in the order a client meets them.
    pub findings: Vec<Finding>,
    /// Native mode can serve MCP clients with this pool.
    pub native_possible: bool,
    /// The recommendation, with its reason.
    pub recommendation: String,
}

fn finding(level: Level, text: impl Into<String>) -> Finding {
    Finding {
        level,
        text: text.into(),
    }
}

/// Diagnoses the pool from its discovery document (`None`: it could not be fetched, with the
/// reason) and its description.
pub fn diagnose(discovery: Result<&Value, &str>, facts: &PoolFacts) -> Diagnosis {
    let mut out = Vec::new();
    match facts.tier.as_deref() {
        Some("LITE") => out.push(finding(
            Level::Blocker,
            "the pool is on the Lite plan: Cognito's dynamic client registration and client ID \
             metadata documents need Essentials or Plus (change the plan, or use proxy mode)",
        )),
        Some(t) => out.push(finding(Level::Ok, format!("the pool is on the {t} plan"))),
        None => {}
    }
    if facts.has_domain {
        out.push(finding(Level::Ok, "the pool has a domain (managed login)"));
    } else {
        out.push(finding(
            Level::Blocker,
            "the pool has no domain, so no managed login (/oauth2/authorize) and no \
             registration endpoint: add a Cognito domain or a custom one (proxy mode's sign-in \
             page needs none)",
        ));
    }
    let doc = match discovery {
        Ok(doc) => doc,
        Err(why) => {
            out.push(finding(
                Level::Blocker,
                format!("the pool's discovery document could not be read ({why})"),
            ));
            return conclude(out);
        }
    };
    let list = |field: &str| -> Vec<&str> {
        doc.get(field)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    if list("code_challenge_methods_supported").contains(&"S256") {
        out.push(finding(
            Level::Ok,
            "PKCE S256 is listed (code_challenge_methods_supported)",
        ));
    } else {
        out.push(finding(
            Level::Risk,
            "code_challenge_methods_supported does not list S256: MCP clients that follow the \
             specification refuse an authorization server whose discovery does not show PKCE \
             S256 (Cognito's does not list it yet; the TypeScript SDK 1.32.2 proceeds anyway)",
        ));
    }
    let dcr = doc.get("registration_endpoint").and_then(Value::as_str);
    let cimd = doc
        .get("client_id_metadata_document_supported")
        .and_then(Value::as_bool)
        == Some(true);
    if cimd {
        out.push(finding(
            Level::Ok,
            "client ID metadata documents are supported (what 2026-07-28 clients try first)",
        ));
    } else {
        out.push(finding(
            Level::Warning,
            "client_id_metadata_document_supported is not true: 2026-07-28 clients try a client \
             ID metadata document first, then dynamic registration (add a CIMD policy)",
        ));
    }
    match dcr {
        Some(url) => out.push(finding(
            Level::Ok,
            format!("dynamic client registration at {url}"),
        )),
        None => out.push(finding(
            Level::Warning,
            "no registration_endpoint: clients cannot register dynamically (turn on \
             DcrConfiguration, Essentials or Plus plan)",
        )),
    }
    if dcr.is_none() && !cimd {
        out.push(finding(
            Level::Blocker,
            "a client has no way to register with the pool (neither dynamic registration nor \
             client ID metadata documents): only clients configured with an app client id by \
             hand can sign in",
        ));
    }
    if doc
        .get("authorization_response_iss_parameter_supported")
        .and_then(Value::as_bool)
        != Some(true)
    {
        out.push(finding(
            Level::Warning,
            "authorization_response_iss_parameter_supported is not true: clients cannot check \
             the iss of the authorization response (RFC 9207, a mix-up defence); proxy mode \
             sends it",
        ));
    }
    // SEP-2207: an authorization server listing offline_access is how clients learn they may
    // ask for it; only a protected resource's metadata and challenges should not name it.
    if list("scopes_supported").contains(&"offline_access") {
        out.push(finding(
            Level::Ok,
            "scopes_supported lists offline_access: clients that want refresh tokens may ask \
             for it (this server's own metadata never lists it)",
        ));
    }
    conclude(out)
}

fn conclude(findings: Vec<Finding>) -> Diagnosis {
    let first_clause = |level: Level| -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f.level == level)
            .map(|f| f.text.split(':').next().unwrap_or(&f.text))
            .collect()
    };
    let blockers = first_clause(Level::Blocker);
    let risks = first_clause(Level::Risk);
    let (native_possible, recommendation) = if blockers.is_empty() && !risks.is_empty() {
        (
            true,
            format!(
                "proxy mode (auth.mode = \"proxy\"): native mode works only with clients that \
                 overlook that {}",
                risks.join("; ")
            ),
        )
    } else if blockers.is_empty() {
        (
            true,
            "native mode (auth.mode = \"native\"): the pool can be the clients' authorization \
             server, and this server keeps no state; proxy mode still adds a consent page \
             naming each client and its redirect host, and audience-bound tokens on any plan"
                .to_owned(),
        )
    } else {
        (
            false,
            format!(
                "proxy mode (auth.mode = \"proxy\"): native mode cannot work because {}",
                blockers.join("; ")
            ),
        )
    };
    Diagnosis {
        findings,
        native_possible,
        recommendation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn essentials() -> PoolFacts {
        PoolFacts::new(Some("ESSENTIALS".into()), true)
    }

    fn ready() -> Value {
        json!({
            "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc",
            "code_challenge_methods_supported": ["S256"],
            "registration_endpoint": "https://auth.example.com/oauth2/register",
            "client_id_metadata_document_supported": true,
            "authorization_response_iss_parameter_supported": true,
        })
    }

    fn blockers(d: &Diagnosis) -> Vec<&str> {
        d.findings
            .iter()
            .filter(|f| f.level == Level::Blocker)
            .map(|f| f.text.as_str())
            .collect()
    }

    #[test]
    fn a_ready_pool_is_recommended_native() {
        let d = diagnose(Ok(&ready()), &essentials());
        assert!(d.native_possible, "{:?}", d.findings);
        assert!(blockers(&d).is_empty());
        assert!(d.recommendation.starts_with("native mode"));
    }

    #[test]
    fn the_lite_plan_and_a_missing_domain_each_block_native_mode() {
        for facts in [
            PoolFacts::new(Some("LITE".into()), true),
            PoolFacts::new(Some("ESSENTIALS".into()), false),
        ] {
            let d = diagnose(Ok(&ready()), &facts);
            assert!(!d.native_possible, "{facts:?}");
            assert!(
                d.recommendation.starts_with("proxy mode"),
                "{}",
                d.recommendation
            );
        }
    }

    #[test]
    fn discovery_without_s256_is_a_risk_and_tips_the_advice_to_proxy_mode() {
        let mut doc = ready();
        doc["code_challenge_methods_supported"] = json!(["plain"]);
        let d = diagnose(Ok(&doc), &essentials());
        assert!(d.native_possible, "clients that do not check still work");
        assert!(blockers(&d).is_empty());
        assert!(
            d.findings
                .iter()
                .any(|f| f.level == Level::Risk && f.text.contains("S256"))
        );
        assert!(
            d.recommendation.starts_with("proxy mode"),
            "{}",
            d.recommendation
        );
        assert!(
            d.recommendation
                .contains("code_challenge_methods_supported"),
            "{}",
            d.recommendation
        );
    }

    #[test]
    fn no_way_to_register_blocks_but_either_way_alone_does_not() {
        let mut doc = ready();
        doc.as_object_mut()
            .expect("object")
            .remove("registration_endpoint");
        assert!(
            diagnose(Ok(&doc), &essentials()).native_possible,
            "CIMD alone"
        );
        doc["client_id_metadata_document_supported"] = json!(false);
        let d = diagnose(Ok(&doc), &essentials());
        assert!(!d.native_possible);
        assert!(blockers(&d)[0].contains("no way to register"));
        let mut dcr_only = ready();
        dcr_only
            .as_object_mut()
            .expect("object")
            .remove("client_id_metadata_document_supported");
        let d = diagnose(Ok(&dcr_only), &essentials());
        assert!(d.native_possible, "DCR alone");
        assert!(
            d.findings
                .iter()
                .any(|f| f.level == Level::Warning && f.text.contains("metadata document"))
        );
    }

    #[test]
    fn a_missing_iss_parameter_is_warned_about_and_offline_access_is_not() {
        // The pool listing offline_access is right (SEP-2207 restricts only the resource's own
        // metadata): one warning, for iss.
        let mut doc = ready();
        doc["scopes_supported"] = json!(["openid", "offline_access"]);
        doc.as_object_mut()
            .expect("object")
            .remove("authorization_response_iss_parameter_supported");
        let d = diagnose(Ok(&doc), &essentials());
        assert!(d.native_possible);
        let warnings: Vec<_> = d
            .findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .text
                .contains("authorization_response_iss_parameter_supported")
        );
        assert!(
            d.findings
                .iter()
                .any(|f| f.level == Level::Ok && f.text.contains("offline_access"))
        );
    }

    #[test]
    fn an_unreadable_discovery_document_blocks_and_says_why() {
        let d = diagnose(Err("connection refused"), &essentials());
        assert!(!d.native_possible);
        assert!(blockers(&d)[0].contains("connection refused"));
    }
}
