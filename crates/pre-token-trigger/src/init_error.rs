//! Reporting a failed start to the Lambda Runtime API, so Lambda (and Cognito's failed
//! trigger) shows the reason rather than a bare exit.

use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::{Client, build_request};

/// The Runtime API path of init errors.
pub const INIT_ERROR_PATH: &str = "/2018-06-01/runtime/init/error";

/// Posts `diagnostic` to `/runtime/init/error` of the Runtime API named by
/// `AWS_LAMBDA_RUNTIME_API` (`host:port`).
pub async fn report_init_error(diagnostic: &Diagnostic) -> Result<(), lambda_runtime::Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .map_err(|_| "AWS_LAMBDA_RUNTIME_API is not set: not running under a Lambda runtime")?;
    let base: http::Uri = api.parse()?;
    if base.authority().is_none() {
        return Err(format!("AWS_LAMBDA_RUNTIME_API {api:?} is not host:port").into());
    }
    let client = Client::builder().with_endpoint(base).build()?;
    let body = serde_json::to_vec(diagnostic)?;
    let request = build_request()
        .method(http::Method::POST)
        .uri(INIT_ERROR_PATH)
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body.into())?;
    let response = client.call(request).await?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "the Runtime API answered {} to the init error",
            response.status()
        )
        .into())
    }
}
