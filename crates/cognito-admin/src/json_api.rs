//! Cognito operations the Rust SDK does not model yet, called as signed JSON 1.1 through the
//! SDK's own pipeline.
//!
//! aws-sdk-cognitoidentityprovider 1.144 (the newest) has neither the CIMD-policy operations
//! nor the `ClientType` member of app clients. Rather than a second HTTP stack, a call here is
//! a carrier request of the SDK (DescribeUserPool) whose `X-Amz-Target` and body are replaced
//! before signing ([`CustomizableOperation::mutate_request`] runs before the signer). So the
//! request is SigV4-signed over the real body with the client's own credentials, resolved to
//! the client's endpoint, retried by its retry policy, and sent through its HTTP client, which
//! is the paced one: the pacer reads `X-Amz-Target` and waits for the real operation's slot.
//! The answer's raw body is read once the SDK has loaded it; the carrier's own parse of it
//! finds none of its members, and its error parse still gives the error code and message.
//!
//! When the SDK ships an operation, switch its caller to the SDK's builder; the wire-shape test
//! (`tests/json_api.rs`) pins what goes out until then.
//!
//! [`CustomizableOperation::mutate_request`]: aws_sdk_cognitoidentityprovider::client::customize::CustomizableOperation::mutate_request

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

use crate::error::{Subject, finish};
use crate::{AdminError, CognitoAdmin, Operation};

/// The JSON 1.1 target prefix of the user-pool API.
pub(crate) const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService";

impl CognitoAdmin {
    /// Calls `operation` with `body` (its JSON request) and returns its JSON answer; an
    /// error answer becomes the [`AdminError`] its code names, with `subject` in the message.
    pub(crate) async fn call_json(
        &self,
        operation: Operation,
        subject: Subject<'_>,
        body: Value,
    ) -> Result<Value, AdminError> {
        let target = format!("{TARGET_PREFIX}.{}", operation.name());
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let answer = Answer::default();
        let result = self
            .client()
            .describe_user_pool()
            .user_pool_id(self.pool_id())
            .customize()
            .mutate_request(move |req| {
                let headers = req.headers_mut();
                headers.insert("x-amz-target", target.clone());
                headers.insert("content-length", bytes.len().to_string());
                *req.body_mut() = SdkBody::from(bytes.clone());
            })
            .interceptor(answer.clone())
            .send()
            .await;
        finish(operation, subject, result)?;
        let raw = answer.take();
        if raw.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&raw).map_err(|e| AdminError::Aws {
            operation,
            code: "MalformedAnswer".into(),
            message: format!("the answer is not JSON: {e}"),
        })
    }
}

/// The raw body of the last answer, kept by an interceptor.
#[derive(Debug, Clone, Default)]
struct Answer(Arc<Mutex<Vec<u8>>>);

impl Answer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Intercept for Answer {
    fn name(&self) -> &'static str {
        "cognito_admin::json_api::Answer"
    }

    // After the attempt: the SDK has read the body into memory by then.
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().and_then(|r| r.body().bytes()) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = bytes.to_vec();
        }
        Ok(())
    }
}
