//! `serve --transport http`: Streamable HTTP at `/mcp`, guarded as an OAuth protected resource
//! whose callers hold Cognito tokens; metadata, `/healthz` (liveness), `/readyz` (the key set
//! and the store), graceful shutdown.

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use cognito_mcp_auth::{AuthMode, CognitoAuth};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::catalog;
use crate::config::Settings;
use crate::mcp::server::CognitoMcp;
use crate::policy::ToolScopes;

fn host_of(url: &str) -> Option<(&str, Option<&str>)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    Some(match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    })
}

/// The parts of the HTTP app that do not depend on its public URL. [`AppBase::build`] turns it
/// into the router for one public URL; `serve --transport http` knows that URL once it has
/// bound, `--transport lambda` may only learn it from the first request.
pub(crate) struct AppBase {
    settings: Settings,
    server: CognitoMcp,
    /// The pool's verifier for the accepted app clients: the bearer check's and the
    /// `verify_token` tool's (one key cache).
    verifier: Option<cognito_jwt::CognitoVerifier>,
    /// The scope each tool needs: one object for the bearer check's 403 and the tools' own
    /// refusal.
    scopes: Arc<ToolScopes>,
}

/// The HTTP app for one public URL.
pub(crate) struct App {
    /// `/mcp`, the metadata documents, `/healthz`, `/readyz`, and in proxy mode the
    /// authorization server.
    pub(crate) router: Router,
    /// `{public_url}/mcp`.
    pub(crate) resource_url: String,
    /// Cancels the MCP service's work at shutdown.
    pub(crate) shutdown: CancellationToken,
    /// The Cognito protection in front of `/mcp`.
    pub(crate) auth: CognitoAuth,
}

impl AppBase {
    /// Checks that every caller will need a token and gives the tools the pool's verifier.
    pub(crate) fn new(settings: Settings, server: CognitoMcp) -> anyhow::Result<Self> {
        let native = settings.auth.mode == AuthMode::Native;
        if settings.auth.proxy.is_none() && !native && settings.auth.accepted_clients().is_empty() {
            anyhow::bail!(
                "over HTTP every caller needs a Cognito token, checked against an app client id: set \
                 COGNITO_CLIENT_ID (or auth.client_ids in the config file), or turn on the \
                 authorization server with auth.mode = \"proxy\" (or the pool's own with \
                 auth.mode = \"native\")"
            );
        }
        // Native mode binds tokens to this server's URL, so it must be known now.
        let resource = match (&settings.auth.public_url, native) {
            (Some(url), true) => Some(format!("{url}/mcp")),
            (None, true) => anyhow::bail!(
                "native mode accepts the pool's tokens bound to this server's URL (their aud), so \
                 it needs that URL: set COGNITO_MCP_PUBLIC_URL (server.public_url), like \
                 https://mcp.example.com"
            ),
            (_, false) => None,
        };
        let verifier = settings
            .auth
            .verifier_for(resource.as_deref())
            .context("the pool's token verifier")?;
        let scopes = Arc::new(ToolScopes::from_settings(&settings));
        let server = server.with_auth(
            scopes.clone(),
            &settings.auth.scope_policy(),
            verifier.clone(),
        );
        Ok(Self {
            settings,
            server,
            verifier,
            scopes,
        })
    }

    /// The pool's verifier, to fetch its key set ahead of the first request.
    pub(crate) fn verifier(&self) -> Option<&cognito_jwt::CognitoVerifier> {
        self.verifier.as_ref()
    }

    /// The settings.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The router for `public_url` (no trailing slash), protected by [`CognitoAuth`] built
    /// from the settings. In proxy mode this opens the state store.
    pub(crate) async fn build(&self, public_url: &str) -> anyhow::Result<App> {
        let settings = &self.settings;
        let mut auth = auth_builder(settings, &self.scopes, public_url);
        if let Some(v) = &self.verifier {
            auth = auth.verifier(v.clone());
        }
        if settings
            .auth
            .proxy
            .as_ref()
            .is_some_and(|p| p.uses_login_page())
        {
            // The sign-in page calls Cognito through the server's paced client.
            auth = auth.cognito_client(crate::aws::client(settings).await);
        }
        let auth = auth.build().await?;
        let resource_url = auth.resource().to_owned();

        let server = self.server.clone();
        let (allowed_hosts, allowed_origins) = allow_lists(
            &settings.http.allowed_hosts,
            &settings.http.allowed_origins,
            public_url,
        );
        let shutdown = CancellationToken::new();
        let origins = Arc::new(allowed_origins.clone());
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

        let router = Router::new()
            .nest_service(
                "/mcp",
                tower::ServiceBuilder::new()
                    .layer(axum::middleware::from_fn(move |req, next| {
                        super::origin::check(origins.clone(), req, next)
                    }))
                    .layer(auth.layer())
                    .service(mcp),
            )
            .merge(auth.routes())
            .route(
                "/healthz",
                get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
            )
            .route("/readyz", get(readyz).with_state(auth.clone()));
        Ok(App {
            router,
            resource_url,
            shutdown,
            auth,
        })
    }
}

/// The Cognito protection of `/mcp` for `settings` at `public_url`: the scope each tool needs
/// (the scope table's), what each scope allows on the consent page, and the resource metadata.
pub(crate) fn auth_builder(
    settings: &Settings,
    tool_scopes: &ToolScopes,
    public_url: &str,
) -> cognito_mcp_auth::CognitoAuthBuilder {
    let rs = &settings.auth.resource_server;
    let mut auth = CognitoAuth::builder(settings.auth.clone())
        .public_url(public_url)
        .resource_name("Cognito user pool administration (cognito-mcp)")
        .max_body_bytes(settings.http.max_body_bytes)
        .method_scope("resources/read", format!("{rs}/read"))
        .describe_scope("openid", "know who you are")
        .describe_scope("email", "see your email address")
        .describe_scope("profile", "see your profile");
    for row in crate::scopes::table(rs, tool_scopes) {
        let text = crate::scopes::consent_text(&row);
        auth = auth.describe_scope(row.scope, text);
    }
    for tool in catalog::TOOLS {
        if let Some(scope) = tool_scopes.required(tool) {
            auth = auth.tool_scope(tool.name, scope);
        }
    }
    auth
}

/// Readiness (`/readyz`): 200 when the pool's key set is held and (proxy mode) the state
/// store answers, else 503; the body names each check's state, never its detail.
async fn readyz(
    axum::extract::State(auth): axum::extract::State<CognitoAuth>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    let r = auth.readiness().await;
    let status = if r.is_ready() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({"status": r.to_string(), "checks": r})),
    )
}

/// Runs the HTTP server until Ctrl-C or SIGTERM.
pub(crate) async fn serve(settings: Settings, server: CognitoMcp) -> anyhow::Result<()> {
    // Bind first: with port 0 the public URL must name the port actually bound.
    let listener = tokio::net::TcpListener::bind(&settings.http.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.http.bind))?;
    let local = listener.local_addr()?;
    let mut settings = settings;
    let public_url = settings
        .auth
        .public_url
        .get_or_insert_with(|| format!("http://{local}"))
        .clone();
    let base = AppBase::new(settings, server)?;
    let settings = base.settings();
    let app = base.build(&public_url).await?;

    // Warm the key set so the first request pays no fetch; a failure is logged and retried on
    // the first request.
    let warm = app.auth.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.warm_up().await {
            tracing::warn!(error = %e, "could not fetch the pool's key set yet");
        }
    });

    tracing::info!(addr = %local, resource = %app.resource_url, "serving MCP over Streamable HTTP");
    let mut router = app.router;
    if let Some(metrics) = &settings.metrics {
        let handle = crate::metrics::install()?;
        router = router.layer(axum::middleware::from_fn(crate::metrics::count_request));
        match &metrics.bind {
            None => router = router.merge(crate::metrics::routes(handle)),
            Some(bind) => {
                let listener = tokio::net::TcpListener::bind(bind)
                    .await
                    .with_context(|| format!("cannot listen on {bind} for the metrics"))?;
                let addr = listener.local_addr()?;
                tracing::info!(addr = %addr, "serving metrics at /metrics");
                let metrics_app = crate::metrics::routes(handle);
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, metrics_app).await {
                        tracing::error!(error = %e, "the metrics listener failed");
                    }
                });
            }
        }
    }
    #[cfg(feature = "otel")]
    if settings.traces.is_some() {
        // Outermost: the request's span covers the bearer check and everything after it.
        router = router.layer(axum::middleware::from_fn(crate::traces::request));
    }
    let audit = base.server.auditor.writer().cloned();
    let served = run(listener, router, app.shutdown, settings.http.shutdown_grace).await;
    // Every record of the calls served (and of those stopped past the grace) is in the file
    // before the process exits.
    if let Some(writer) = audit {
        match tokio::task::spawn_blocking(move || writer.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the audit could not be flushed at shutdown"),
            Err(e) => tracing::error!(error = %e, "the audit flush at shutdown failed"),
        }
    }
    served
}

/// The Host and Origin allow-lists against DNS rebinding: the configured ones, else loopback
/// only; the public URL's host and origin are always allowed.
pub fn allow_lists(
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

/// Serves `app` on `listener` until Ctrl-C or SIGTERM. Then it stops accepting connections,
/// waits up to `grace` for the requests in flight to answer, and cancels `shutdown` (the MCP
/// service's work, and what is still running past the grace). Prints `listening on
/// http://ADDR` on stdout first.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
    grace: std::time::Duration,
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
    let (signalled, got_signal) = tokio::sync::oneshot::channel::<()>();
    let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
        signal.await;
        tracing::info!(
            grace_secs = grace.as_secs_f64(),
            "shutting down: no new connections; the calls in flight may finish"
        );
        let _ = signalled.send(());
    });
    let past_grace = async move {
        match got_signal.await {
            Ok(()) => tokio::time::sleep(grace).await,
            // The server ended without a signal: nothing to bound.
            Err(_) => std::future::pending().await,
        }
    };
    let result = tokio::select! {
        served = serving.into_future() => served.context("the HTTP server failed"),
        () = past_grace => {
            tracing::warn!(
                grace_secs = grace.as_secs_f64(),
                "calls still in flight after the shutdown grace are stopped (audited as interrupted)"
            );
            Ok(())
        }
    };
    shutdown.cancel();
    result
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
