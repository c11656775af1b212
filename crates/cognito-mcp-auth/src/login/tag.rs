//! Keyed tags of typed usernames, for logs and for the failure counters of unknown names.
//!
//! What a user types in the username field is not always a username: it is sometimes the
//! password, typed one field too early. So it never reaches a log or a store key as it is:
//! the page uses `HMAC-SHA256(key, trimmed lower-case text)`, cut to 96 bits. The key is
//! random, created once in the store (`Kind::Meta`, `put_new`, so every instance sharing the
//! store uses the same one and one name keeps one tag across restarts), and never leaves it.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::sync::OnceCell;

use crate::authz::crypto;
use crate::store::{Kind, Store, StoreError};

/// Where the key lives in the store.
const KEY_NAME: &str = "login-tag-key";

/// Tags typed names with the store's tag key (loaded on first use).
#[derive(Default)]
pub(super) struct Tagger {
    key: OnceCell<hmac::Key>,
}

impl Tagger {
    /// The tag of `typed`: 16 base64url characters; the same for the same name, whatever
    /// its case or surrounding spaces.
    pub(super) async fn tag(&self, store: &dyn Store, typed: &str) -> Result<String, StoreError> {
        let key = self.key.get_or_try_init(|| load_or_create(store)).await?;
        Ok(tag_with(key, typed))
    }
}

fn tag_with(key: &hmac::Key, typed: &str) -> String {
    let mac = hmac::sign(key, typed.trim().to_lowercase().as_bytes());
    URL_SAFE_NO_PAD.encode(&mac.as_ref()[..12])
}

async fn load_or_create(store: &dyn Store) -> Result<hmac::Key, StoreError> {
    let mut fresh = vec![0u8; 32];
    crypto::fill(&mut fresh);
    // Of several instances starting at once, the first write wins and all read it back.
    store.put_new(Kind::Meta, KEY_NAME, fresh, None).await?;
    let bytes = store
        .get(Kind::Meta, KEY_NAME)
        .await?
        .filter(|b| b.len() == 32)
        .ok_or_else(|| StoreError::Corrupt("the sign-in page's tag key is missing".into()))?;
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn tags_hide_the_text_and_ignore_case() {
        let store = MemoryStore::new();
        let t = Tagger::default();
        let a = t.tag(&store, "Correct-Horse-42").await.expect("tag");
        assert_eq!(a.len(), 16);
        assert!(!a.to_lowercase().contains("horse"), "{a}");
        assert_eq!(a, t.tag(&store, " correct-horse-42 ").await.expect("tag"));
        assert_ne!(a, t.tag(&store, "correct-horse-43").await.expect("tag"));
        // A second tagger on the same store (another instance) agrees.
        let other = Tagger::default();
        assert_eq!(a, other.tag(&store, "Correct-Horse-42").await.expect("tag"));
    }
}
