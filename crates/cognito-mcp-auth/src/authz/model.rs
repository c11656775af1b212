//! The records the authorization server keeps in its [`Store`](crate::store::Store).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::authz::binding::Binding;
use crate::authz::upstream::Identity;
use crate::store::StoreError;

/// A registered client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Client {
    pub(crate) client_id: String,
    /// SHA-256 of the secret; `None` for a public client.
    pub(crate) secret_hash: Option<String>,
    pub(crate) client_name: Option<String>,
    pub(crate) redirect_uris: Vec<String>,
    /// `none`, `client_secret_basic` or `client_secret_post`.
    pub(crate) auth_method: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) grant_types: Vec<String>,
    pub(crate) issued_at: u64,
    /// Described by a client ID metadata document rather than registered.
    #[serde(default)]
    pub(crate) metadata_document: bool,
    /// When a token was last issued or refreshed for it (seconds); `None` until the first.
    #[serde(default)]
    pub(crate) last_used: Option<u64>,
}

/// A client's authorization request, once checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AuthRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) state: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) resource: String,
}

/// A request shown on the consent page.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Consent {
    pub(crate) request: AuthRequest,
    /// The one-time CSRF token of the form.
    pub(crate) csrf: String,
    /// The browser-binding cookie issued for this request.
    pub(crate) binding: Binding,
}

/// A sign-in under way at the upstream.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Transaction {
    pub(crate) request: AuthRequest,
    /// The browser-binding cookie issued at `/authorize` (carried over from the consent).
    pub(crate) binding: Binding,
    pub(crate) code_verifier: String,
    pub(crate) nonce: String,
}

/// An authorization code's grant.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Code {
    pub(crate) request: AuthRequest,
    pub(crate) identity: Identity,
    /// What the user consented to, intersected with what their groups allow.
    pub(crate) scopes: Vec<String>,
    pub(crate) upstream_refresh: Option<String>,
    /// The upstream ID token (for identity-pool credentials).
    #[serde(default)]
    pub(crate) upstream_id: Option<String>,
    pub(crate) expires_at: u64,
}

/// One sign-in of one user at one client: its refresh tokens rotate within it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Family {
    pub(crate) client_id: String,
    pub(crate) resource: String,
    /// What the user consented to (the ceiling for every refresh).
    pub(crate) consented: Vec<String>,
    pub(crate) identity: Identity,
    pub(crate) upstream_refresh: Option<String>,
    /// The latest upstream ID token (for identity-pool credentials), replaced at each refresh
    /// that brings a new one.
    #[serde(default)]
    pub(crate) upstream_id: Option<String>,
    /// The live refresh token.
    pub(crate) refresh: String,
    pub(crate) expires_at: u64,
}

/// What the family's entry holds once the family is revoked, until it would have expired. A
/// refresh writes its family only over the exact version it read ([`Store::replace`]), so a
/// revocation landing during a refresh is never undone, and a family revoked before it was
/// created (a code replayed during its first exchange) can no longer be created.
///
/// [`Store::replace`]: crate::store::Store::replace
pub(crate) const REVOKED_FAMILY: &[u8] = b"revoked";

/// A family's entry: `None` once revoked.
pub(crate) fn decode_family(b: &[u8]) -> Result<Option<Family>, StoreError> {
    if b == REVOKED_FAMILY {
        Ok(None)
    } else {
        decode(b).map(Some)
    }
}

/// A live refresh token.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Refresh {
    pub(crate) family: String,
    pub(crate) client_id: String,
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing these plain structs to JSON cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

pub(crate) fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(e.to_string()))
}
