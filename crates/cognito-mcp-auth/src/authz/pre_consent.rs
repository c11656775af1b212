//! Errors found at `/authorize` before the user consented (RFC 9700 §4.11.2).
//!
//! Redirecting with `error=` before consent would make this server an open redirector for
//! anyone who registers a client (or mints a client ID metadata document) with their own
//! redirect URI: a link to `/authorize` with a bad scope would bounce the browser, from this
//! trusted origin, straight to them. So such an error is a page here, naming what went wrong,
//! unless the operator trusts the redirect URI (`trusted_redirect_patterns`). A metadata
//! document's redirect URI is never trusted: anyone can publish one with any https redirect.

use axum::response::Response;
use http::StatusCode;

use super::authorize::error_redirect;
use super::model::Client;
use super::{AuthorizationServer, pages, redirect};

/// Whether an error before consent may be redirected to `redirect_uri` of `client`.
pub(crate) fn may_redirect(s: &AuthorizationServer, client: &Client, redirect_uri: &str) -> bool {
    !client.metadata_document
        && s.inner
            .dcr
            .trusted_redirect_patterns
            .iter()
            .any(|p| redirect::pattern_matches(p, redirect_uri))
}

/// The page's title for an OAuth error code.
fn title(code: &str) -> &'static str {
    match code {
        "unsupported_response_type" => "Unsupported response type",
        "invalid_scope" => "Scope not allowed",
        "invalid_target" => "Unknown resource",
        "temporarily_unavailable" => "Try again shortly",
        _ => "Invalid authorization request",
    }
}

fn status(code: &str) -> StatusCode {
    match code {
        "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
        "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The answer to an error with OAuth `code` and `description` found before consent: a redirect
/// to a trusted `redirect_uri`, else a page saying what the redirect would have said.
pub(crate) fn refuse(
    s: &AuthorizationServer,
    client: &Client,
    redirect_uri: &str,
    state: Option<&str>,
    code: &str,
    description: &str,
) -> Response {
    let redirected = may_redirect(s, client, redirect_uri);
    tracing::info!(
        client_id = %client.client_id,
        error = code,
        description,
        redirected,
        "authorization request refused before consent"
    );
    if redirected {
        return error_redirect(s, redirect_uri, state, code, description);
    }
    pages::error(
        status(code),
        title(code),
        &format!(
            "{description} (OAuth error {code}; the application at {} was not sent back).",
            redirect::host_of(redirect_uri)
        ),
    )
}
