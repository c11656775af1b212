//! The verified-token cache: a token seen again costs a hash and a lookup, not an RSA verify.
//!
//! Entries are keyed by the SHA-256 of the token, kept until the token's `exp`, and bounded in
//! number: when full, expired entries go first, then the entries closest to expiry.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::digest::{SHA256, digest};

use crate::{Claims, TokenUse};

pub(crate) type TokenHash = [u8; 32];

pub(crate) fn hash(token: &str) -> TokenHash {
    let d = digest(&SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

#[derive(Debug)]
pub(crate) struct VerifiedCache {
    capacity: usize,
    map: RwLock<HashMap<(TokenHash, TokenUse), Arc<Claims>>>,
}

impl VerifiedCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            map: RwLock::new(HashMap::new()),
        }
    }

    /// Whether tokens are cached at all (capacity above 0).
    pub(crate) fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The cached claims for a token, if present and not past `exp + leeway` at `now`.
    pub(crate) fn get(
        &self,
        key: &(TokenHash, TokenUse),
        now: u64,
        leeway: u64,
    ) -> Option<Arc<Claims>> {
        if self.capacity == 0 {
            return None;
        }
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        let claims = map.get(key)?;
        (claims.exp.saturating_add(leeway) > now).then(|| claims.clone())
    }

    pub(crate) fn insert(
        &self,
        key: (TokenHash, TokenUse),
        claims: Arc<Claims>,
        now: u64,
        leeway: u64,
    ) {
        if self.capacity == 0 {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity {
            map.retain(|_, c| c.exp.saturating_add(leeway) > now);
        }
        if map.len() >= self.capacity {
            // Still full of live tokens: drop the eighth closest to expiry.
            let mut exps: Vec<u64> = map.values().map(|c| c.exp).collect();
            let cut = (self.capacity / 8).max(1).min(exps.len() - 1);
            let (_, nth, _) = exps.select_nth_unstable(cut);
            let threshold = *nth;
            map.retain(|_, c| c.exp > threshold);
        }
        map.insert(key, claims);
    }

    pub(crate) fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}
