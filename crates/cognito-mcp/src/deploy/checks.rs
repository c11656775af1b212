//! What `deploy template` refuses to build: scopes named but not defined, callback URLs
//! Cognito would refuse, and settings the chosen hosting cannot serve.

use std::collections::BTreeSet;

use super::spec::DeploySpec;
use crate::config::{Problem, Settings};
use cognito_mcp_auth::AuthMode;
use cognito_mcp_auth::config::StoreKind;

/// Native mode's MCP URL, which its resource server is named for: `server.public_url` + `/mcp`.
pub(crate) fn mcp_url(settings: &Settings) -> Option<String> {
    settings
        .auth
        .public_url
        .as_ref()
        .map(|u| format!("{u}/mcp"))
}

/// The proxy's callback URLs, which the app client must allow.
pub(crate) fn callback_urls(settings: &Settings) -> Vec<String> {
    settings
        .auth
        .proxy
        .as_ref()
        .map(|p| p.callback_urls.clone())
        .unwrap_or_default()
}

/// Every problem of `settings` and `spec` for a template, in the order they are found.
pub(crate) fn problems(settings: &Settings, spec: &DeploySpec) -> Vec<Problem> {
    let mut problems = Vec::new();
    let rs = settings.auth.resource_server.clone();
    let groups = settings.auth.scope_policy().groups().clone();

    // Every resource-server scope that groups, tools or registrations name must exist.
    let defined: BTreeSet<String> = spec.scopes.keys().map(|s| format!("{rs}/{s}")).collect();
    let mut named: Vec<(String, String)> = groups
        .iter()
        .flat_map(|(g, scopes)| {
            scopes
                .iter()
                .map(move |s| (s.clone(), format!("auth.group_scopes.{g}")))
        })
        .collect();
    named.extend(
        crate::policy::ToolScopes::from_settings(settings)
            .all()
            .into_iter()
            .map(|s| {
                (
                    s,
                    "a tool's scope (auth.tool_scopes or the default)".to_owned(),
                )
            }),
    );
    if let Some(p) = &settings.auth.proxy {
        named.extend(
            p.dcr
                .allowed_scopes
                .iter()
                .map(|s| (s.clone(), "auth.dcr.allowed_scopes".to_owned())),
        );
    }
    let mut reported = BTreeSet::new();
    for (scope, where_) in named {
        if scope.starts_with(&format!("{rs}/"))
            && !defined.contains(&scope)
            && reported.insert(scope.clone())
        {
            let short = scope.trim_start_matches(&format!("{rs}/"));
            problems.push(Problem::new(format!(
                "{where_} names the scope {scope}, which deploy.scopes does not define; add \
                 {short} = \"what it allows\" to [deploy.scopes]"
            )));
        }
    }
    let callback_urls = callback_urls(settings);
    for url in &callback_urls {
        let loopback = url.starts_with("http://localhost")
            || url.starts_with("http://127.0.0.1")
            || url.starts_with("http://[::1]");
        if !(url.starts_with("https://") || loopback) {
            problems.push(Problem::new(format!(
                "auth.callback_urls has {url:?}; Cognito accepts only https URLs, or http on \
                 localhost"
            )));
        }
    }
    if let Some(p) = settings
        .auth
        .proxy
        .as_ref()
        .filter(|p| spec.lambda && p.store != StoreKind::Redis)
    {
        problems.push(Problem::new(format!(
            "deploy.lambda with auth.enabled needs auth.store = \"redis\" (it is {:?}): Lambda \
             instances share no disk, so sign-ins must live in Redis",
            p.store.name()
        )));
    }
    problems.extend(settings.auth.cimd.problems());
    if settings.auth.mode == AuthMode::Native {
        if spec.feature_plan == "lite" {
            problems.push(Problem::new(
                "auth.mode = \"native\" needs deploy.feature_plan = \"essentials\" or \"plus\": \
                 the Lite plan has neither dynamic client registration, client ID metadata \
                 documents nor resource binding",
            ));
        }
        if spec.domain.is_none() {
            problems.push(Problem::new(
                "auth.mode = \"native\" needs deploy.domain: the pool's managed login is the \
                 MCP clients' authorization server",
            ));
        }
        match mcp_url(settings) {
            None => problems.push(Problem::new(
                "auth.mode = \"native\" needs server.public_url: the resource server is named \
                 for the MCP URL, which tokens are bound to",
            )),
            Some(url) if settings.auth.resource_server != url => {
                problems.push(Problem::new(format!(
                    "auth.resource_server is {:?}; in native mode it is the MCP URL, {url:?}: \
                     Cognito binds a token to the resource a client names (the MCP URL), so the \
                     scopes belong to the resource server of that name; set \
                     auth.resource_server = {url:?} and name the scopes {url}/read and so on",
                    settings.auth.resource_server
                )));
            }
            Some(_) => {}
        }
    }
    problems
}
