//! The pacer at the HTTP layer: a [`SharedHttpClient`] whose every request to a Cognito
//! operation waits for its slot first, and whose throttling answers slow the category down.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use tokio::time::Instant;
use tracing::Instrument as _;

use super::Pacer;
use crate::{Operation, calls, trace};

impl Pacer {
    /// `inner`, paced: each request to a Cognito operation this crate knows waits for its
    /// slot, and throttling answers are counted (also in [`calls::throttled`]).
    pub fn wrap(&self, inner: SharedHttpClient) -> SharedHttpClient {
        PacedClient {
            inner,
            pacer: self.clone(),
        }
        .into_shared()
    }

    /// The SDK's default HTTPS client (rustls with aws-lc, proxy settings from the
    /// environment), paced. Give it to the Cognito client's config:
    ///
    /// ```no_run
    /// # async fn f() {
    /// use cognito_admin::pace::Pacer;
    /// let sdk = aws_config::load_from_env().await;
    /// let conf = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk)
    ///     .http_client(Pacer::default().http_client())
    ///     .build();
    /// let client = aws_sdk_cognitoidentityprovider::Client::from_conf(conf);
    /// # let _ = client;
    /// # }
    /// ```
    pub fn http_client(&self) -> SharedHttpClient {
        use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig, tls};
        let inner = Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
        self.wrap(inner)
    }
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    pacer: Pacer,
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        }
        .into_shared()
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Pacer,
}

/// The operation a Cognito JSON request calls: `X-Amz-Target: AWSCognitoIdentityProviderService.AdminCreateUser`.
fn operation_of(request: &HttpRequest) -> Option<Operation> {
    let target = request.headers().get("x-amz-target")?;
    Operation::from_name(target.rsplit('.').next()?)
}

/// Whether Cognito answered "slow down".
fn is_throttle(response: &HttpResponse) -> bool {
    let status = response.status().as_u16();
    (status == 400 || status == 429)
        && response.headers().get("x-amzn-errortype").is_some_and(|t| {
            t.starts_with("TooManyRequestsException") || t.starts_with("ThrottlingException")
        })
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation_of(&request);
        let inner = self.inner.clone();
        let pacer = self.pacer.clone();
        let name = operation.map_or("other", Operation::name);
        // Opened here, where the caller's span is current: the tool call's span is its parent.
        let span = trace::aws_request(name);
        let recorded = span.clone();
        HttpConnectorFuture::new(async move {
            if let Some(op) = operation {
                let waited = Instant::now();
                pacer.wait(op).await;
                metrics::histogram!(
                    "cognito_mcp_pacing_wait_seconds",
                    "category" => op.quota_category().name()
                )
                .record(waited.elapsed().as_secs_f64());
                recorded.record("cognito_mcp.pacing_wait_ms", waited.elapsed().as_millis() as u64);
            }
            let sent = Instant::now();
            let response = match inner.call(request).await {
                Ok(r) => r,
                Err(e) => {
                    metrics::counter!("cognito_mcp_aws_requests_total", "operation" => name, "outcome" => "unreachable")
                        .increment(1);
                    trace::record_outcome(&recorded, "unreachable", None, None);
                    return Err(e);
                }
            };
            metrics::histogram!("cognito_mcp_aws_request_duration_seconds", "operation" => name)
                .record(sent.elapsed().as_secs_f64());
            let outcome = if is_throttle(&response) {
                if let Some(op) = operation {
                    pacer.note_throttle(op);
                }
                calls::record_throttle();
                "throttled"
            } else {
                if let Some(op) = operation {
                    pacer.note_success(op);
                }
                if response.status().is_success() {
                    "ok"
                } else {
                    "error"
                }
            };
            metrics::counter!("cognito_mcp_aws_requests_total", "operation" => name, "outcome" => outcome)
                .increment(1);
            let request_id = response.headers().get("x-amzn-requestid");
            trace::record_outcome(&recorded, outcome, Some(response.status().as_u16()), request_id);
            Ok(response)
        }.instrument(span))
    }
}
