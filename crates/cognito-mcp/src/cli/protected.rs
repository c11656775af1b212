//! Protected users that resolve to no one: a `check` error and a startup warning, never silent
//! non-protection.

use cognito_admin::protect::Resolution;

use crate::mcp::server::CognitoMcp;

/// What to say about `r` when it names no user of `pool_id`.
pub(crate) fn unresolved(r: &Resolution, pool_id: &str) -> Option<String> {
    r.usernames.is_empty().then(|| {
        format!(
            "safety.protected_users entry {:?} names no user of pool {pool_id}, so it protects \
             no one (only that exact name); set it to the username, email, phone number, \
             preferred username or sub of an existing user, or remove it",
            r.entry
        )
    })
}

/// Resolves the protected users in the background once the server starts, warning on standard
/// error about every entry that names no user, or that they could not be resolved.
pub(crate) fn warn_unresolved(server: &CognitoMcp) {
    if server.admin.settings().safety.protected.users.is_empty() {
        return;
    }
    let server = server.clone();
    tokio::spawn(async move {
        let pool_id = server.admin.pool_id().to_owned();
        match server.admin.get().await.resolve_protected().await {
            Ok(resolutions) => {
                for r in &resolutions {
                    if let Some(problem) = unresolved(r, &pool_id) {
                        tracing::warn!("{problem}");
                    }
                }
            }
            Err(e) => tracing::warn!(
                "could not resolve safety.protected_users: {e}; writes to users are refused \
                 until they resolve. How to fix: {}",
                e.hint()
            ),
        }
    });
}
