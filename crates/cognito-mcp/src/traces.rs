//! OpenTelemetry export of the spans `spans.rs` and `cognito_admin::trace` define (`[traces]
//! enabled = true`, in a build with the `otel` feature): a `tracing-opentelemetry` layer over
//! an SDK tracer provider whose batch processor runs on the server's tokio runtime and sends
//! OTLP/HTTP protobuf with the workspace's reqwest; the HTTP request span with an incoming W3C
//! `traceparent` continued; the batch exported at exit ([`Exporter::shutdown`]).
//!
//! Without the feature there is nothing to export: [`start`] gives no layer, and `serve`
//! refuses traces that are on before it gets here (`config::traces::unbuilt`).

use tracing_subscriber::Layer;
use tracing_subscriber::Registry;

use crate::config::TracesSettings;

/// The layer a subscriber exports spans with.
pub(crate) type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// The tracer provider, held to export what is left at exit.
#[derive(Debug)]
pub(crate) struct Exporter {
    #[cfg(feature = "otel")]
    provider: opentelemetry_sdk::trace::SdkTracerProvider,
}

/// The layer exporting the trace spans as `settings` say, and its exporter; neither when
/// traces are off (or not built). Call it inside the tokio runtime: the batch processor is a
/// task of it.
pub(crate) fn start(
    settings: Option<&TracesSettings>,
) -> anyhow::Result<(Option<Exporter>, Option<BoxedLayer>)> {
    let Some(settings) = settings else {
        return Ok((None, None));
    };
    #[cfg(feature = "otel")]
    {
        let (exporter, layer) = otel::start(settings)?;
        Ok((Some(exporter), Some(layer)))
    }
    #[cfg(not(feature = "otel"))]
    {
        let _ = settings;
        Ok((None, None))
    }
}

impl Exporter {
    /// Exports the spans still queued and stops the batch processor. It blocks until the
    /// collector answers or the export times out (`OTEL_EXPORTER_OTLP_TIMEOUT`, 10 s): call it
    /// outside the runtime's worker threads, which run the export.
    pub(crate) fn shutdown(self) {
        #[cfg(feature = "otel")]
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "the last spans could not be exported at exit");
        }
    }
}

#[cfg(feature = "otel")]
pub(crate) use otel::request;

#[cfg(feature = "otel")]
mod otel {
    use anyhow::Context as _;
    use axum::extract::Request;
    use axum::middleware::Next;
    use axum::response::Response;
    use opentelemetry::propagation::TextMapPropagator as _;
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{Protocol, WithExportConfig as _};
    use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
    use tracing::Instrument as _;
    use tracing::field::Empty;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::filter::filter_fn;

    use super::{BoxedLayer, Exporter};
    use crate::config::TracesSettings;
    use crate::config::traces::Sampler as Configured;
    use crate::spans::{self, RequestSpan};

    pub(super) fn start(settings: &TracesSettings) -> anyhow::Result<(Exporter, BoxedLayer)> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(settings.endpoint.clone())
            .build()
            .with_context(|| format!("the OTLP exporter to {}", settings.endpoint))?;
        let batch =
            opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
                exporter,
                opentelemetry_sdk::runtime::Tokio,
            )
            .build();
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(settings.service_name.clone())
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(batch)
            .with_sampler(sampler(settings.sampler))
            .with_resource(resource)
            .build();
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("cognito-mcp"))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_level(false)
            .with_filter(filter_fn(spans::exported));
        Ok((Exporter { provider }, Box::new(layer)))
    }

    fn sampler(configured: Configured) -> Sampler {
        let parent_based = |root: Sampler| Sampler::ParentBased(Box::new(root));
        match configured {
            Configured::AlwaysOn => Sampler::AlwaysOn,
            Configured::AlwaysOff => Sampler::AlwaysOff,
            Configured::Ratio(r) => Sampler::TraceIdRatioBased(r),
            Configured::ParentBasedAlwaysOn => parent_based(Sampler::AlwaysOn),
            Configured::ParentBasedAlwaysOff => parent_based(Sampler::AlwaysOff),
            Configured::ParentBasedRatio(r) => parent_based(Sampler::TraceIdRatioBased(r)),
        }
    }

    /// The method as a bounded value: the standard ones, else `_OTHER` (OpenTelemetry's).
    fn method_of(method: &http::Method) -> &'static str {
        match *method {
            http::Method::GET => "GET",
            http::Method::POST => "POST",
            http::Method::DELETE => "DELETE",
            http::Method::HEAD => "HEAD",
            http::Method::OPTIONS => "OPTIONS",
            http::Method::PUT => "PUT",
            http::Method::PATCH => "PATCH",
            _ => "_OTHER",
        }
    }

    /// The span of one HTTP request: its method, its route (the template, never the path a
    /// caller wrote, its query or a token) and its status; the child of the caller's
    /// `traceparent` when it sent one.
    /// Probes (`/healthz`, `/readyz`) and scrapes (`/metrics`) get no span: they would be
    /// most of the traces and tell nothing.
    pub(crate) async fn request(mut req: Request, next: Next) -> Response {
        let route = crate::metrics::route_of(req.uri().path());
        if matches!(route, "/healthz" | "/readyz" | "/metrics") {
            return next.run(req).await;
        }
        let method = method_of(req.method());
        let span = tracing::info_span!(
            target: spans::TARGET,
            parent: None,
            "http_request",
            otel.name = format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = method,
            http.route = route,
            http.response.status_code = Empty,
        );
        let caller = opentelemetry_sdk::propagation::TraceContextPropagator::new()
            .extract(&opentelemetry_http::HeaderExtractor(req.headers()));
        // A request without a (valid) traceparent gets an empty context: a trace of its own.
        let _ = span.set_parent(caller);
        req.extensions_mut().insert(RequestSpan(span.clone()));
        let response = next.run(req).instrument(span.clone()).await;
        let status = response.status().as_u16();
        span.record("http.response.status_code", status);
        if status >= 500 {
            span.record("otel.status_code", "ERROR");
        }
        response
    }
}
