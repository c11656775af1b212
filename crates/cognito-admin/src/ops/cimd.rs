//! Client ID metadata document (CIMD) policies: which https URLs may sign in as MCP clients
//! without registering, and as which app client.
//!
//! A CIMD policy maps one to five https URL patterns to one app client of the pool. An MCP
//! client whose `client_id` is a URL matching a pattern signs in with the metadata document
//! found there, within what that app client allows; Cognito caches each document. The SDK does
//! not model these operations yet: they go through [`json_api`](crate::json_api). Names,
//! constraints and shapes are those of botocore 1.44.8's cognito-idp model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::Subject;
use crate::model::json_date;
use crate::validate::{self, Invalid};
use crate::{AdminError, CognitoAdmin, Operation};

/// The shortest and longest time Cognito caches a metadata document (a day, a year).
const CACHE_RANGE: std::ops::RangeInclusive<u32> = 86_400..=31_556_952;

/// How many pages of cached URLs `describe_cimd_policy` reads at most.
const MAX_URL_PAGES: usize = 10;

/// A policy, by id.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CimdPolicyRef {
    /// The CIMD policy id, as `list_cimd_policies` shows it.
    pub policy_id: String,
}

/// Input of `list_cimd_policies`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListCimdPolicies {
    /// Policies per page, 1 to 60. Default: 60.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60))]
    pub limit: Option<i32>,
    /// The `pagination_token` of the previous page.
    #[serde(default)]
    pub pagination_token: Option<String>,
}

/// Input of `create_cimd_policy`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCimdPolicy {
    /// A name for the policy, 1 to 32 characters.
    pub policy_name: String,
    /// The app client whose settings (callback rules, grants, scopes) bound the clients the
    /// policy admits.
    pub client_id: String,
    /// One to five https URL patterns a metadata document's URL must match; `*` is a
    /// wildcard. Example: `https://clients.example.com/mcp/*`.
    pub url_patterns: Vec<String>,
    /// How long Cognito caches a document, in seconds: 86400 (a day) to 31556952 (a year).
    /// Default: Cognito's.
    #[serde(default)]
    #[schemars(range(min = 86400, max = 31556952))]
    pub cache_duration_secs: Option<u32>,
}

/// Input of `update_cimd_policy`: what is given is replaced, the rest kept.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCimdPolicy {
    /// The CIMD policy id.
    pub policy_id: String,
    /// The new URL patterns (one to five, replacing the old list).
    #[serde(default)]
    pub url_patterns: Option<Vec<String>>,
    /// The app client the policy maps to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The new name.
    #[serde(default)]
    pub policy_name: Option<String>,
    /// The new cache duration in seconds (86400 to 31556952).
    #[serde(default)]
    #[schemars(range(min = 86400, max = 31556952))]
    pub cache_duration_secs: Option<u32>,
}

/// Input of `invalidate_client_metadata_url`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvalidateMetadataUrl {
    /// The CIMD policy id.
    pub policy_id: String,
    /// The metadata document URL, exactly as `describe_cimd_policy` lists it.
    pub url: String,
    /// Fetch the document again now (`REFRESH`) instead of only dropping the cached copy
    /// (`INVALIDATE`, the default: it is fetched at the client's next sign-in).
    #[serde(default)]
    pub refetch: bool,
}

/// A CIMD policy in a list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CimdPolicySummary {
    /// The policy id.
    pub policy_id: String,
    /// The policy name.
    pub policy_name: String,
    /// The app client it maps to; absent when that client no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// How long documents are cached, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_duration_secs: Option<u64>,
    /// When it was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it was last changed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// A page of CIMD policies.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CimdPolicyPage {
    /// The policies.
    pub policies: Vec<CimdPolicySummary>,
    /// How many are in `policies`.
    pub count: usize,
    /// Pass this back as `pagination_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
}

/// A metadata document URL Cognito has fetched for a policy.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct MetadataUrl {
    /// The URL (a client's `client_id`).
    pub url: String,
    /// When the document was cached (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<String>,
    /// When the cached copy expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A CIMD policy, whole.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CimdPolicy {
    /// Its id, name, client, cache duration and dates.
    #[serde(flatten)]
    pub summary: CimdPolicySummary,
    /// The URL patterns.
    pub url_patterns: Vec<String>,
    /// The metadata document URLs fetched under it, with their cache state (describe only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_urls: Option<Vec<MetadataUrl>>,
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn summary(p: &Value) -> CimdPolicySummary {
    CimdPolicySummary {
        policy_id: text(&p["CIMDPolicyId"]).unwrap_or_default(),
        policy_name: text(&p["PolicyName"]).unwrap_or_default(),
        client_id: text(&p["ClientId"]),
        cache_duration_secs: p["CacheDuration"].as_u64(),
        created: json_date(&p["CreationDate"]),
        last_modified: json_date(&p["LastModifiedDate"]),
    }
}

fn policy(p: &Value) -> CimdPolicy {
    CimdPolicy {
        summary: summary(p),
        url_patterns: p["URLPatterns"]
            .as_array()
            .map(|a| a.iter().filter_map(text).collect())
            .unwrap_or_default(),
        cached_urls: None,
    }
}

/// Checks a policy id: 1 to 64 lowercase letters and digits.
fn policy_id(field: &str, v: &str) -> Result<(), Invalid> {
    let ok = (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        return Ok(());
    }
    Err(Invalid::new(
        field,
        "is not a CIMD policy id",
        "1 to 64 lowercase letters and digits, as list_cimd_policies shows it",
        "a1b2c3d4e5",
    ))
}

/// Checks a policy name: 1 to 32 characters, no control characters.
fn policy_name(field: &str, v: &str) -> Result<(), Invalid> {
    let n = v.chars().count();
    if (1..=32).contains(&n) && !v.chars().any(char::is_control) {
        return Ok(());
    }
    Err(Invalid::new(
        field,
        format!("is {n} characters (or holds a control character)"),
        "1 to 32 printable characters",
        "mcp-clients",
    ))
}

/// Whether `c` may appear in a URL pattern (the model's `[!$-;=@-\[\]_a-z~]`).
fn pattern_char(c: char) -> bool {
    matches!(c, '!' | '$'..=';' | '=' | '@'..='[' | ']' | '_' | 'a'..='z' | '~')
}

/// Checks the URL patterns: one to five, each 12 to 256 characters, `https://`, only the
/// characters Cognito's model allows (no `?`, `#`, spaces, or `{`).
fn url_patterns(field: &str, v: &[String]) -> Result<(), Invalid> {
    const REQ: &str = "one to five https URL patterns of 12 to 256 characters; `*` is a \
                       wildcard; no query (`?`), fragment (`#`) or spaces";
    const EXAMPLE: &str = "[\"https://clients.example.com/mcp/*\"]";
    if v.is_empty() || v.len() > 5 {
        return Err(Invalid::new(
            field,
            format!("holds {} patterns", v.len()),
            REQ,
            EXAMPLE,
        ));
    }
    for (i, p) in v.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let problem = if !p.starts_with("https://") {
            Some("does not start with https://".to_owned())
        } else if !(12..=256).contains(&p.len()) {
            Some(format!("is {} characters long", p.len()))
        } else {
            p.chars()
                .find(|c| !pattern_char(*c))
                .map(|c| format!("holds {c:?}, which a pattern may not"))
        };
        if let Some(problem) = problem {
            return Err(Invalid::new(at, problem, REQ, EXAMPLE));
        }
    }
    Ok(())
}

fn cache_duration(field: &str, v: Option<u32>) -> Result<(), Invalid> {
    match v {
        Some(s) if !CACHE_RANGE.contains(&s) => Err(Invalid::new(
            field,
            format!("is {s} seconds"),
            "86400 (a day) to 31556952 (a year) seconds",
            "604800",
        )),
        _ => Ok(()),
    }
}

/// Checks a metadata document URL: https, 12 to 256 characters, no whitespace.
fn metadata_url(field: &str, v: &str) -> Result<(), Invalid> {
    if v.starts_with("https://")
        && (12..=256).contains(&v.len())
        && !v.chars().any(char::is_whitespace)
    {
        return Ok(());
    }
    Err(Invalid::new(
        field,
        "is not a metadata document URL",
        "the https URL of a client metadata document (12 to 256 characters, no spaces), as \
         describe_cimd_policy lists it",
        "https://clients.example.com/mcp/agent.json",
    ))
}

impl CognitoAdmin {
    /// Lists one page of the pool's CIMD policies (ListCIMDPolicies).
    pub async fn list_cimd_policies(
        &self,
        req: &ListCimdPolicies,
    ) -> Result<CimdPolicyPage, AdminError> {
        let limit = req.limit.unwrap_or(validate::MAX_PAGE);
        validate::page_limit("limit", limit)?;
        let mut body = json!({"UserPoolId": self.pool_id(), "MaxResults": limit});
        if let Some(t) = &req.pagination_token {
            body["NextToken"] = json!(t);
        }
        let out = self
            .call_json(Operation::ListCimdPolicies, Subject::None, body)
            .await?;
        let policies: Vec<_> = out["CIMDPolicies"]
            .as_array()
            .map(|a| a.iter().map(summary).collect())
            .unwrap_or_default();
        Ok(CimdPolicyPage {
            count: policies.len(),
            policies,
            pagination_token: text(&out["NextToken"]).filter(|t| !t.is_empty()),
        })
    }

    /// Describes a CIMD policy (DescribeCIMDPolicy) and the metadata URLs cached under it
    /// (ListClientMetadataURLs, up to ten pages).
    pub async fn describe_cimd_policy(&self, id: &str) -> Result<CimdPolicy, AdminError> {
        let mut p = self.cimd_policy(id).await?;
        let mut urls = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_URL_PAGES {
            let mut body =
                json!({"UserPoolId": self.pool_id(), "CIMDPolicyId": id, "MaxResults": 60});
            if let Some(t) = &token {
                body["NextToken"] = json!(t);
            }
            let out = self
                .call_json(Operation::ListClientMetadataUrls, Subject::None, body)
                .await?;
            urls.extend(
                out["ClientMetadataURLs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|u| MetadataUrl {
                        url: text(&u["URL"]).unwrap_or_default(),
                        cached: json_date(&u["CachedDate"]),
                        expires: json_date(&u["ExpirationDate"]),
                    }),
            );
            match text(&out["NextToken"]).filter(|t| !t.is_empty()) {
                Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
                _ => break,
            }
        }
        p.cached_urls = Some(urls);
        Ok(p)
    }

    async fn cimd_policy(&self, id: &str) -> Result<CimdPolicy, AdminError> {
        policy_id("policy_id", id)?;
        let out = self
            .call_json(
                Operation::DescribeCimdPolicy,
                Subject::None,
                json!({"UserPoolId": self.pool_id(), "CIMDPolicyId": id}),
            )
            .await?;
        Ok(policy(&out["CIMDPolicy"]))
    }

    /// Creates a CIMD policy (CreateCIMDPolicy).
    pub async fn create_cimd_policy(
        &self,
        req: &CreateCimdPolicy,
    ) -> Result<CimdPolicy, AdminError> {
        policy_name("policy_name", &req.policy_name)?;
        validate::client_id("client_id", &req.client_id)?;
        url_patterns("url_patterns", &req.url_patterns)?;
        cache_duration("cache_duration_secs", req.cache_duration_secs)?;
        let mut body = json!({
            "UserPoolId": self.pool_id(),
            "ClientId": req.client_id,
            "PolicyName": req.policy_name,
            "URLPatterns": req.url_patterns,
        });
        if let Some(s) = req.cache_duration_secs {
            body["CacheDuration"] = json!(s);
        }
        let out = self
            .call_json(Operation::CreateCimdPolicy, Subject::None, body)
            .await?;
        Ok(policy(&out["CIMDPolicy"]))
    }

    /// Updates a CIMD policy (UpdateCIMDPolicy). Cognito replaces `ClientId` and
    /// `URLPatterns` on every update, so what the input leaves out is read first
    /// (DescribeCIMDPolicy) and sent as it was.
    pub async fn update_cimd_policy(
        &self,
        req: &UpdateCimdPolicy,
    ) -> Result<CimdPolicy, AdminError> {
        policy_id("policy_id", &req.policy_id)?;
        if let Some(p) = &req.url_patterns {
            url_patterns("url_patterns", p)?;
        }
        if let Some(c) = &req.client_id {
            validate::client_id("client_id", c)?;
        }
        if let Some(n) = &req.policy_name {
            policy_name("policy_name", n)?;
        }
        cache_duration("cache_duration_secs", req.cache_duration_secs)?;
        if req.url_patterns.is_none()
            && req.client_id.is_none()
            && req.policy_name.is_none()
            && req.cache_duration_secs.is_none()
        {
            return Err(Invalid::new(
                "url_patterns",
                "is missing, and so is every other change",
                "at least one of url_patterns, client_id, policy_name, cache_duration_secs",
                "{\"policy_id\": \"a1b2c3\", \"url_patterns\": [\"https://clients.example.com/*\"]}",
            )
            .into());
        }
        let current = self.cimd_policy(&req.policy_id).await?;
        let client_id = match (&req.client_id, &current.summary.client_id) {
            (Some(c), _) | (None, Some(c)) => c.clone(),
            (None, None) => {
                return Err(Invalid::new(
                    "client_id",
                    "is missing, and the policy's app client no longer exists",
                    "the id of the app client the policy should map to",
                    "1example23456789abcdefghij",
                )
                .into());
            }
        };
        let mut body = json!({
            "UserPoolId": self.pool_id(),
            "CIMDPolicyId": req.policy_id,
            "ClientId": client_id,
            "URLPatterns": req.url_patterns.as_ref().unwrap_or(&current.url_patterns),
        });
        if let Some(n) = &req.policy_name {
            body["PolicyName"] = json!(n);
        }
        if let Some(s) = req.cache_duration_secs {
            body["CacheDuration"] = json!(s);
        }
        let out = self
            .call_json(Operation::UpdateCimdPolicy, Subject::None, body)
            .await?;
        Ok(policy(&out["CIMDPolicy"]))
    }

    /// Deletes a CIMD policy (DeleteCIMDPolicy): the URLs only it matched can no longer sign
    /// in.
    pub async fn delete_cimd_policy(&self, id: &str) -> Result<(), AdminError> {
        policy_id("policy_id", id)?;
        self.call_json(
            Operation::DeleteCimdPolicy,
            Subject::None,
            json!({"UserPoolId": self.pool_id(), "CIMDPolicyId": id}),
        )
        .await?;
        Ok(())
    }

    /// Drops (or, with `refetch`, refreshes) Cognito's cached copy of one metadata document
    /// (UpdateClientMetadataURLState, `INVALIDATE` or `REFRESH`).
    pub async fn invalidate_metadata_url(
        &self,
        req: &InvalidateMetadataUrl,
    ) -> Result<(), AdminError> {
        policy_id("policy_id", &req.policy_id)?;
        metadata_url("url", &req.url)?;
        let action = if req.refetch { "REFRESH" } else { "INVALIDATE" };
        self.call_json(
            Operation::UpdateClientMetadataUrlState,
            Subject::None,
            json!({
                "UserPoolId": self.pool_id(),
                "CIMDPolicyId": req.policy_id,
                "URL": req.url,
                "Action": action,
            }),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn url_patterns_keep_to_the_model() {
        assert!(url_patterns("p", &patterns(&["https://clients.example.com/mcp/*"])).is_ok());
        for (bad, why) in [
            (vec![], "none"),
            (vec!["https://a.example.com/x"; 6], "six"),
            (vec!["http://clients.example.com/*"], "https://"),
            (vec!["https://a/"], "characters long"),
            (vec!["https://clients.example.com/?q=*"], "'?'"),
            (vec!["https://clients.example.com/#frag"], "'#'"),
            (vec!["https://clients.example.com/a b"], "' '"),
            (vec!["https://clients.example.com/{id}"], "'{'"),
        ] {
            let e = url_patterns("url_patterns", &patterns(&bad)).expect_err(why);
            assert!(
                e.problem.contains(why) || e.problem.contains("patterns"),
                "{why}: {}",
                e.problem
            );
        }
    }

    #[test]
    fn ids_names_and_durations_keep_to_the_model() {
        assert!(policy_id("id", "abc123").is_ok());
        assert!(policy_id("id", "ABC").is_err());
        assert!(policy_id("id", "").is_err());
        assert!(policy_id("id", &"a".repeat(65)).is_err());
        assert!(policy_name("n", "mcp clients").is_ok());
        assert!(policy_name("n", &"n".repeat(33)).is_err());
        assert!(policy_name("n", "a\nb").is_err());
        assert!(cache_duration("c", Some(86_399)).is_err());
        assert!(cache_duration("c", Some(31_556_953)).is_err());
        assert!(cache_duration("c", Some(86_400)).is_ok());
        assert!(cache_duration("c", None).is_ok());
        assert!(metadata_url("u", "https://clients.example.com/a.json").is_ok());
        assert!(metadata_url("u", "http://clients.example.com/a.json").is_err());
    }
}
