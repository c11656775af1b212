//! `serve --transport http`: Streamable HTTP at `/mcp`, guarded as an OAuth protected resource
//! whose callers hold Cognito tokens; metadata, `/healthz`, graceful shutdown.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use cognito_jwt::{CognitoVerifier, ScopePolicy, VerifierBuilder, cognito_issuer};
use mcp_oauth::ProtectedResource;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::catalog;
use crate::config::Settings;
use crate::policy::ToolScopes;
use crate::server::CognitoMcp;

/// The JWKS URL: `COGNITO_JWKS_URL` / `auth.jwks_url`; else, with an endpoint override,
/// `{endpoint}/{pool}/.well-known/jwks.json` (moto, LocalStack); else `{issuer}/.well-known/jwks.json`.
pub(crate) fn jwks_url(settings: &Settings, pool_id: &str) -> String {
    if let Some(url) = &settings.auth.jwks_url {
        return url.clone();
    }
    match &settings.endpoint_url {
        Some(endpoint) => format!(
            "{}/{pool_id}/.well-known/jwks.json",
            endpoint.trim_end_matches('/')
        ),
        None => format!(
            "{}/.well-known/jwks.json",
            cognito_issuer(&settings.region, pool_id)
        ),
    }
}

/// The app clients whose tokens are accepted: `auth.client_ids`, else `COGNITO_CLIENT_ID`.
pub(crate) fn client_ids(settings: &Settings) -> Vec<String> {
    if settings.auth.client_ids.is_empty() {
        settings.client_id.iter().cloned().collect()
    } else {
        settings.auth.client_ids.clone()
    }
}

/// The token verifier for the configured pool, or `None` without an app client id.
pub(crate) fn verifier(settings: &Settings, pool_id: &str) -> Option<CognitoVerifier> {
    let ids = client_ids(settings);
    if ids.is_empty() {
        return None;
    }
    let mut b = VerifierBuilder::for_pool(&settings.region, pool_id)
        .jwks_url(jwks_url(settings, pool_id))
        .leeway(std::time::Duration::from_secs(settings.auth.leeway_secs))
        .min_refetch_interval(std::time::Duration::from_secs(
            settings.auth.jwks_refetch_interval_secs,
        ));
    for id in ids {
        b = b.allow_client(id);
    }
    b.build().ok()
}

/// The group-to-scope mapping: `auth.group_scopes`, else the standard one.
pub(crate) fn scope_policy(settings: &Settings) -> ScopePolicy {
    match &settings.auth.group_scopes {
        Some(groups) => groups.iter().fold(ScopePolicy::empty(), |p, (g, scopes)| {
            p.set(g.clone(), scopes.iter().cloned())
        }),
        None => ScopePolicy::standard(&settings.auth.resource_server),
    }
}

fn host_of(url: &str) -> Option<(&str, Option<&str>)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    Some(match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    })
}

/// The parts of the HTTP app that do not depend on its public URL: the checked settings and
/// the token verifiers. [`AppBase::build`] turns it into the router for one public URL; `serve
/// --transport http` knows that URL once it has bound, `--transport lambda` may only learn it
/// from the first request.
pub(crate) struct AppBase {
    settings: Settings,
    server: CognitoMcp,
    pool_id: String,
    /// The pool's verifier for the app clients of `auth.client_ids` (else `COGNITO_CLIENT_ID`):
    /// the bearer check outside proxy mode, and the `verify_token` tool.
    verifier: Option<CognitoVerifier>,
    /// Proxy mode: Cognito tokens accepted beside the server's own (machine-to-machine).
    m2m: Option<CognitoVerifier>,
}

/// The HTTP app for one public URL.
pub(crate) struct App {
    /// `/mcp`, the metadata documents, `/healthz`, and in proxy mode the authorization server.
    pub(crate) router: Router,
    /// `{public_url}/mcp`.
    pub(crate) resource_url: String,
    /// Cancels the MCP service's work at shutdown.
    pub(crate) shutdown: CancellationToken,
}

impl AppBase {
    /// Checks that every caller will need a token and builds the verifiers.
    pub(crate) fn new(
        settings: Settings,
        server: CognitoMcp,
        pool_id: String,
    ) -> anyhow::Result<Self> {
        let verifier = verifier(&settings, &pool_id);
        if settings.auth.proxy.is_none() && verifier.is_none() {
            anyhow::bail!(
                "over HTTP every caller needs a Cognito token, checked against an app client id: set \
                 COGNITO_CLIENT_ID (or auth.client_ids in the config file), or turn on the \
                 authorization server with auth.enabled = true"
            );
        }
        let m2m = settings
            .auth
            .proxy
            .as_ref()
            .and_then(|_| crate::authz::m2m_verifier(&settings, &pool_id));
        let server = server.with_auth(ToolScopes::from_settings(&settings), verifier.clone());
        Ok(Self {
            settings,
            server,
            pool_id,
            verifier,
            m2m,
        })
    }

    /// The settings.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The Cognito verifier the bearer check uses, if any, to fetch its key set ahead of the
    /// first request.
    pub(crate) fn cognito_verifier(&self) -> Option<&CognitoVerifier> {
        match &self.settings.auth.proxy {
            Some(_) => self.m2m.as_ref(),
            None => self.verifier.as_ref(),
        }
    }

    /// The router for `public_url` (no trailing slash). In proxy mode this opens the state store
    /// and starts its purge task.
    pub(crate) async fn build(&self, public_url: &str) -> anyhow::Result<App> {
        let settings = &self.settings;
        let pool_id = &self.pool_id;
        let resource_url = format!("{public_url}/mcp");
        let tool_scopes = ToolScopes::from_settings(settings);
        let policy = scope_policy(settings);
        let read_scope = format!("{}/read", settings.auth.resource_server);

        let mut supported: BTreeSet<String> = tool_scopes.all();
        for scopes in policy.groups().values() {
            supported.extend(scopes.iter().cloned());
        }
        let rule_scopes = tool_scopes.clone();
        let rule_read = read_scope.clone();
        let mut builder = ProtectedResource::builder(resource_url.clone());
        let mut authz = None;
        match &settings.auth.proxy {
            Some(p) => {
                let server = crate::authz::authorization_server(
                    settings,
                    p,
                    pool_id,
                    public_url,
                    &resource_url,
                    &policy,
                )
                .await?;
                builder = builder.authorization_server_tokens(server.clone());
                supported.extend(server.scopes_supported());
                // In proxy mode Cognito tokens pass only from app clients listed by name
                // (machine-to-machine callers), never by default.
                if let Some(v) = &self.m2m {
                    builder = builder.cognito(v.clone());
                }
                authz = Some(server);
            }
            None => {
                if let Some(v) = &self.verifier {
                    builder = builder.cognito(v.clone());
                }
            }
        }
        let auth = builder
            .scope_policy(policy)
            .scopes_supported(supported)
            .challenge_scope(read_scope.clone())
            .resource_name("cognito-mcp")
            .max_body_bytes(settings.http.max_body_bytes)
            .scope_rule(move |method, tool| match method {
                "tools/call" => tool
                    .and_then(catalog::find)
                    .and_then(|t| rule_scopes.required(t).map(str::to_owned)),
                "resources/read" => Some(rule_read.clone()),
                _ => None,
            })
            .build()?;

        let server = self.server.clone();
        let (allowed_hosts, allowed_origins) = allow_lists(
            &settings.http.allowed_hosts,
            &settings.http.allowed_origins,
            public_url,
        );
        let shutdown = CancellationToken::new();
        let config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_allowed_hosts(allowed_hosts)
            .with_allowed_origins(allowed_origins)
            .with_max_request_body_bytes(settings.http.max_body_bytes)
            .with_cancellation_token(shutdown.child_token());
        let mcp = StreamableHttpService::new(
            move || Ok(server.clone()),
            Arc::new(LocalSessionManager::default()),
            config,
        );

        let mut router = Router::new()
            .nest_service(
                "/mcp",
                tower::ServiceBuilder::new()
                    .layer(auth.layer())
                    .service(mcp),
            )
            .merge(auth.routes())
            .route(
                "/healthz",
                get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
            );
        if let Some(server) = &authz {
            router = router.merge(server.routes());
            let purge = server.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
                loop {
                    every.tick().await;
                    if let Err(e) = purge.purge_expired().await {
                        tracing::warn!(error = %e, "could not purge expired state");
                    }
                }
            });
        }
        Ok(App {
            router,
            resource_url,
            shutdown,
        })
    }
}

/// Runs the HTTP server until Ctrl-C or SIGTERM.
pub(crate) async fn serve(
    settings: Settings,
    server: CognitoMcp,
    pool_id: String,
) -> anyhow::Result<()> {
    let base = AppBase::new(settings, server, pool_id)?;
    let settings = base.settings();
    // Bind first: with port 0 the public URL must name the port actually bound.
    let listener = tokio::net::TcpListener::bind(&settings.http.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.http.bind))?;
    let local = listener.local_addr()?;
    let public_url = settings
        .http
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let app = base.build(&public_url).await?;

    // Warm the key set so the first request pays no fetch; a failure is logged and retried on
    // the first request.
    if let Some(warm) = base.cognito_verifier().cloned() {
        tokio::spawn(async move {
            if let Err(e) = warm.warm_up().await {
                tracing::warn!(error = %e, "could not fetch the pool's key set yet");
            }
        });
    }

    tracing::info!(addr = %local, resource = %app.resource_url, "serving MCP over Streamable HTTP");
    run(listener, app.router, app.shutdown).await
}

/// The Host and Origin allow-lists against DNS rebinding: the configured ones, else loopback
/// only; the public URL's host and origin are always allowed.
pub(crate) fn allow_lists(
    hosts: &[String],
    origins: &[String],
    public_url: &str,
) -> (Vec<String>, Vec<String>) {
    let mut allowed_hosts = if hosts.is_empty() {
        vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ]
    } else {
        hosts.to_vec()
    };
    if let Some((host, _)) = host_of(public_url) {
        allowed_hosts.push(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        );
    }
    let allowed_origins = if origins.is_empty() {
        vec![
            public_url.to_owned(),
            "http://localhost:*".into(),
            "http://127.0.0.1:*".into(),
        ]
    } else {
        origins.to_vec()
    };
    (allowed_hosts, allowed_origins)
}

/// Serves `app` on `listener` until Ctrl-C or SIGTERM, then cancels `shutdown` (the MCP
/// sessions) and drains the connections. Prints `listening on http://ADDR` on stdout first.
pub(crate) async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let local = listener.local_addr()?;
    // Register the signal handlers before announcing the address: a SIGTERM that arrives
    // right after must reach them, not the default action.
    let signal = shutdown_signal()?;
    // Printed on stdout so scripts and tests can find the port when bound to :0.
    println!("listening on http://{local}");
    use axum::serve::ListenerExt as _;
    let listener = listener.tap_io(|tcp| {
        // Without it, small SSE and JSON responses wait on Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
    });
    // The peer address reaches handlers (registration limits per client address).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            signal.await;
            tracing::info!("shutting down");
            shutdown.cancel();
        })
        .await
        .context("the HTTP server failed")?;
    Ok(())
}

/// A future that completes at Ctrl-C or SIGTERM; the handlers are registered when this returns.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term =
            signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
        let mut int =
            signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://mcp.example.com/x"),
            Some(("mcp.example.com", None))
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080"),
            Some(("127.0.0.1", Some("8080")))
        );
    }
}
