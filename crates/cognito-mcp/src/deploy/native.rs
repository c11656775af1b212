//! Native mode's part of the template (`auth.mode = "native"`): the pool's dynamic client
//! registration, the public app client MCP clients sign in as, the CIMD policy that maps
//! metadata documents to it, and their outputs.

use serde_json::{Value, json};

use super::model::{Output, Resource, r#ref, sub};
use super::spec::{Dcr, DeploySpec, Domain};
use crate::config::Settings;

/// The pool's `DcrConfiguration`, or none with `deploy.dcr = "off"`: registration at
/// `/oauth2/register` of app clients that may ask for `scopes` (and the OIDC ones), with the
/// code grant only (Cognito's default adds `client_credentials` to authenticated registration,
/// which no MCP client needs).
pub(super) fn dcr_configuration(spec: &DeploySpec, scopes: &[String]) -> Option<Value> {
    (spec.dcr != Dcr::Off).then(|| {
        json!({
            "EnableStatus": "Enabled",
            "OpenDcrEnabled": spec.dcr == Dcr::Open,
            "OpenDcrGrantTypes": ["code"],
            "AuthenticatedGrantTypes": ["code"],
            "AllowedScopes": scopes,
        })
    })
}

/// The public app client MCP clients sign in as (by a metadata document, the CIMD policy mapping
/// the documents' URLs to it and capping their grants, or configured by hand), with refresh
/// tokens that rotate as OAuth 2.1 asks of a public client's; and the CIMD policy of
/// `[auth.cimd]`, when it names patterns.
pub(super) fn resources(
    settings: &Settings,
    spec: &DeploySpec,
    scopes: &[String],
) -> Vec<Resource> {
    let mut allowed = vec!["openid".to_owned(), "email".into(), "profile".into()];
    allowed.extend(scopes.iter().cloned());
    let mut out = vec![Resource {
        id: "McpClients".into(),
        kind: "AWS::Cognito::UserPoolClient",
        properties: json!({
            "UserPoolId": r#ref("UserPool"),
            "ClientName": format!("{} MCP clients", spec.pool_name),
            "GenerateSecret": false,
            "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": true,
            "SupportedIdentityProviders": std::iter::once("COGNITO".to_owned())
                .chain(spec.identity_providers.iter().map(|i| i.name.clone()))
                .collect::<Vec<_>>(),
            "AllowedOAuthFlowsUserPoolClient": true,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": allowed,
            // An OAuth app client needs a callback URL; a CIMD client's come from its
            // document. Loopback, as MCP clients on a desktop use.
            "CallbackURLs": ["http://localhost/callback"],
            "RefreshTokenRotation": { "Feature": "ENABLED", "RetryGracePeriodSeconds": 10 },
        }),
        depends_on: vec!["ResourceServer".to_owned()],
        retain: false,
    }];
    let cimd = &settings.auth.cimd;
    if !cimd.url_patterns.is_empty() {
        let mut policy = json!({
            "UserPoolId": r#ref("UserPool"),
            "ClientId": r#ref("McpClients"),
            "PolicyName": "cognito-mcp",
            "URLPatterns": cimd.url_patterns,
        });
        if let Some(secs) = cimd.cache_duration_secs {
            policy["CacheDuration"] = json!(secs);
        }
        out.push(Resource {
            id: "CimdPolicy".into(),
            kind: "AWS::Cognito::CIMDPolicy",
            properties: policy,
            depends_on: vec![],
            retain: false,
        });
    }
    out
}

/// The outputs: the public client's id, and where clients register.
pub(super) fn outputs(spec: &DeploySpec) -> Vec<Output> {
    let mut out = vec![Output {
        id: "McpClientId",
        description: "The public app client of MCP clients (CIMD policy, or configured by hand)",
        value: r#ref("McpClients"),
    }];
    if spec.dcr != Dcr::Off {
        out.push(Output {
            id: "RegistrationEndpoint",
            description: "Dynamic client registration at the pool (RFC 7591)",
            value: match &spec.domain {
                Some(Domain::Custom(d)) => json!(format!("https://{d}/oauth2/register")),
                _ => sub(
                    "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com/oauth2/register",
                ),
            },
        });
    }
    out
}
