//! The `pre-token-trigger` Lambda function: the configuration is read once, then every
//! invocation is answered by [`pre_token_trigger::handle`].

use lambda_runtime::{Diagnostic, service_fn};
use pre_token_trigger::{Config, handle, report_init_error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
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
