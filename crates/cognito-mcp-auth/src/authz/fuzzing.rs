//! Entry points for the fuzz targets (feature `fuzzing`; not a public API): the parsers of
//! outside input that are private to this crate. Each is the function the server itself runs.

use super::{AuthorizationServer, redirect, register, token};

/// Whether a redirect URI may be registered, under `patterns` (`auth.dcr.allowed_redirect_patterns`).
pub fn redirect_check(uri: &str, patterns: &[String]) -> Result<(), String> {
    redirect::check(uri, patterns)
}

/// Whether `text` matches the redirect pattern `pattern`.
pub fn redirect_glob(pattern: &str, text: &str) -> bool {
    redirect::glob(pattern, text)
}

/// Whether an authorization request's `requested` redirect URI matches the `registered` one.
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    redirect::matches(registered, requested)
}

/// Reads a `/token` form body; `Ok` with its fields, or the refusal's description.
pub fn token_form(body: &[u8]) -> Result<usize, String> {
    token::parse_form(body)
        .map(|f| f.len())
        .map_err(|e| format!("{e:?}"))
}

/// Reads a client ID metadata document fetched from `url` and checks it as `server` would
/// before accepting the client; `Ok` with its redirect URIs.
pub fn client_metadata(
    server: &AuthorizationServer,
    url: &str,
    body: &[u8],
) -> Result<Vec<String>, String> {
    let m = register::parse_document(url, body)?;
    register::check_metadata(server, &m)
        .map(|c| c.redirect_uris)
        .map_err(|e| format!("{e:?}"))
}
