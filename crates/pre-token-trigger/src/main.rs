//! The `pre-token-trigger` Lambda function: the configuration is read once, then every
//! invocation is answered by [`pre_token_trigger::handle`].

use lambda_runtime::{Diagnostic, service_fn};
use pre_token_trigger::{Config, handle, report_init_error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(error = %error, "configuration refused");
            if let Err(report) = report_init_error(&Diagnostic::from(error.clone())).await {
                tracing::error!(error = %report, "could not report the init error");
            }
            return Err(error.into());
        }
    };
    tracing::info!(
        groups = config.group_scopes.len(),
        attribute_claims = config.attribute_claims.len(),
        "configuration loaded"
    );
    let config = &config;
    lambda_runtime::run(service_fn(move |event| handle(config, event))).await
}

/// Plain-text logs on standard error, which Lambda sends to CloudWatch: no colours (whatever
/// features the build unified into tracing-subscriber), no timestamps (CloudWatch adds its
/// own). The level comes from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls),
/// else `RUST_LOG`, else `info`.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .with_env_filter(filter)
        .init();
}
