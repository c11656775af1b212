//! [`SealedStore`]: encryption at rest over any [`Store`], and [`StateKey`], its key.
//!
//! Values are sealed with AES-256-GCM under a random 96-bit nonce; the additional data binds
//! each value to its kind and key, so an entry copied under another key does not open. Keys are
//! replaced by HMAC-SHA256 of the kind and key, so a code or refresh token never appears in the
//! backend, not even as a lookup key.

use std::path::Path;
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::{Kind, Store, StoreError, StoreFuture};

/// The 256-bit key that encrypts the state at rest. Its `Debug` never shows it.
#[derive(Clone)]
pub struct StateKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(..)")
    }
}

/// Why a state key could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateKeyError {
    /// The given text is not base64 of 32 bytes.
    #[error("the state key must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    Malformed,
    /// The key file could not be read or created.
    #[error("the state key file {path}: {error}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        error: String,
    },
}

impl StateKey {
    /// A key from base64 text (the `COGNITO_MCP_STATE_KEY` form).
    pub fn from_base64(text: &str) -> Result<Self, StateKeyError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| StateKeyError::Malformed)?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StateKeyError::Malformed)?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        crate::authz::crypto::fill(key.as_mut_slice());
        Self(key)
    }

    /// The key in `path`, created (mode 0600, base64) when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, StateKeyError> {
        let file_err = |e: std::io::Error| StateKeyError::File {
            path: path.display().to_string(),
            error: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                let text = Zeroizing::new(STANDARD.encode(key.0.as_slice()));
                write_private(path, text.as_bytes()).map_err(file_err)?;
                Ok(key)
            }
            Err(e) => Err(file_err(e)),
        }
    }

    /// A subkey for one purpose, named by `label` (HMAC-SHA256 of the label): the store's
    /// encryption and key hashing use two, and `cognito-mcp` keys its confirmation states with
    /// another, so no key serves two purposes.
    pub fn derive(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let k = hmac::Key::new(hmac::HMAC_SHA256, self.0.as_slice());
        let tag = hmac::sign(&k, label);
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(tag.as_ref());
        out
    }
}

/// Creates `path` readable by its owner only, failing if it exists (another process won).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Encrypts every value and hashes every key of the wrapped store.
pub struct SealedStore<S> {
    inner: S,
    aead: LessSafeKey,
    mac: hmac::Key,
}

impl<S: std::fmt::Debug> std::fmt::Debug for SealedStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedStore")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S: Store> SealedStore<S> {
    /// Wraps `inner`, sealing with `key`.
    pub fn new(inner: S, key: &StateKey) -> Self {
        let enc = key.derive(b"cognito-mcp state v1 encryption");
        let mac = key.derive(b"cognito-mcp state v1 key hashing");
        let aead = LessSafeKey::new(
            // A 32-byte key is always a valid AES-256 key.
            UnboundKey::new(&AES_256_GCM, enc.as_slice()).unwrap_or_else(|_| unreachable!()),
        );
        Self {
            inner,
            aead,
            mac: hmac::Key::new(hmac::HMAC_SHA256, mac.as_slice()),
        }
    }

    fn hashed(&self, kind: Kind, key: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.mac);
        ctx.update(kind.as_str().as_bytes());
        ctx.update(&[0]);
        ctx.update(key.as_bytes());
        let tag = ctx.sign();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    fn seal(&self, kind: Kind, hashed: &str, mut value: Vec<u8>) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::authz::crypto::fill(&mut nonce);
        let aad = format!("{}\0{hashed}", kind.as_str());
        // Sealing only fails for inputs past GCM's size limit (64 GiB).
        self.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut value,
            )
            .unwrap_or_else(|_| unreachable!());
        let mut out = Vec::with_capacity(NONCE_LEN + value.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&value);
        out
    }

    fn open(&self, kind: Kind, hashed: &str, sealed: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let (nonce, body) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(StoreError::Decrypt)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| StoreError::Decrypt)?;
        let aad = format!("{}\0{hashed}", kind.as_str());
        let mut body = body.to_vec();
        let plain = self
            .aead
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut body)
            .map_err(|_| StoreError::Decrypt)?;
        Ok(plain.to_vec())
    }
}

impl<S: Store> Store for SealedStore<S> {
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let h = self.hashed(kind, key);
            let v = self.seal(kind, &h, value);
            self.inner.put(kind, &h, v, ttl).await
        })
    }

    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let h = self.hashed(kind, key);
            let v = self.seal(kind, &h, value);
            self.inner.put_new(kind, &h, v, ttl).await
        })
    }

    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        // Each sealing has a fresh nonce, so the plaintext is compared here and the backend
        // compares the exact ciphertext read: a write in between makes the backend's fail.
        Box::pin(async move {
            let h = self.hashed(kind, key);
            let Some(current) = self.inner.get(kind, &h).await? else {
                return Ok(false);
            };
            if self.open(kind, &h, current.clone())? != expected {
                return Ok(false);
            }
            let v = self.seal(kind, &h, value);
            self.inner.replace(kind, &h, &current, v, ttl).await
        })
    }

    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let h = self.hashed(kind, key);
            match self.inner.get(kind, &h).await? {
                Some(v) => self.open(kind, &h, v).map(Some),
                None => Ok(None),
            }
        })
    }

    /// Presence only: nothing is opened, so the inner store's one round trip is kept.
    fn any_live<'a>(&'a self, kind: Kind, keys: &'a [&'a str]) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let hashed: Vec<String> = keys.iter().map(|k| self.hashed(kind, k)).collect();
            let refs: Vec<&str> = hashed.iter().map(String::as_str).collect();
            self.inner.any_live(kind, &refs).await
        })
    }

    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let h = self.hashed(kind, key);
            match self.inner.take(kind, &h).await? {
                Some(v) => self.open(kind, &h, v).map(Some),
                None => Ok(None),
            }
        })
    }

    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.inner.remove(kind, &self.hashed(kind, key)).await })
    }

    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        // Counters are not secret; only their keys (client addresses) are hashed.
        Box::pin(async move {
            self.inner
                .incr(kind, &self.hashed(kind, key), by, ttl)
                .await
        })
    }

    fn count(&self, kind: Kind) -> StoreFuture<'_, u64> {
        self.inner.count(kind)
    }

    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        self.inner.purge_expired()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn sealed_store_keeps_the_contract() {
        let key = StateKey::generate();
        let clock = cognito_jwt::testing::ManualClock::now();
        let backend = MemoryStore::with_clock(Arc::new(clock.clone()));
        super::super::contract::run(&SealedStore::new(backend, &key), &clock).await;
        super::super::contract::take_is_atomic(Arc::new(SealedStore::new(
            MemoryStore::new(),
            &key,
        )))
        .await;
        super::super::contract::replace_is_atomic(Arc::new(SealedStore::new(
            MemoryStore::new(),
            &key,
        )))
        .await;
        // Sealed over a backend that compares ciphertext across threads, not memory only.
        let dir = std::env::temp_dir().join(format!(
            "cognito-mcp-auth-sealed-redb-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let redb = crate::store::RedbStore::open(dir.join("state.redb")).expect("open");
        super::super::contract::replace_is_atomic(Arc::new(SealedStore::new(redb, &key))).await;
    }

    #[tokio::test]
    async fn nothing_readable_reaches_the_backend() {
        let key = StateKey::generate();
        let sealed = SealedStore::new(MemoryStore::new(), &key);
        sealed
            .put(
                Kind::Code,
                "the-code-value",
                b"the-secret-record".to_vec(),
                None,
            )
            .await
            .expect("put");
        let dump = format!("{:?}", sealed.inner);
        assert!(!dump.contains("the-code-value"), "key in clear: {dump}");
        let h = sealed.hashed(Kind::Code, "the-code-value");
        let raw = sealed
            .inner
            .get(Kind::Code, &h)
            .await
            .expect("get")
            .expect("some");
        assert!(!raw.windows(6).any(|w| w == b"secret"), "value in clear");
    }

    #[tokio::test]
    async fn another_key_cannot_open_the_state_fails() {
        let backend = Arc::new(MemoryStore::new());
        let a = SealedStore::new(backend.clone(), &StateKey::generate());
        a.put(Kind::Client, "c", b"x".to_vec(), None)
            .await
            .expect("put");
        // Same hashed key requires the same key; simulate a swapped key by copying raw entries.
        let h = a.hashed(Kind::Client, "c");
        let raw = backend
            .get(Kind::Client, &h)
            .await
            .expect("get")
            .expect("some");
        let b = SealedStore::new(backend.clone(), &StateKey::generate());
        let hb = b.hashed(Kind::Client, "c");
        backend
            .put(Kind::Client, &hb, raw, None)
            .await
            .expect("put");
        assert!(matches!(
            b.get(Kind::Client, "c").await,
            Err(StoreError::Decrypt)
        ));
    }

    #[tokio::test]
    async fn entry_moved_to_another_key_fails() {
        let backend = Arc::new(MemoryStore::new());
        let s = SealedStore::new(backend.clone(), &StateKey::generate());
        s.put(Kind::Client, "victim", b"x".to_vec(), None)
            .await
            .expect("put");
        let raw = backend
            .get(Kind::Client, &s.hashed(Kind::Client, "victim"))
            .await
            .expect("get")
            .expect("some");
        backend
            .put(Kind::Client, &s.hashed(Kind::Client, "other"), raw, None)
            .await
            .expect("put");
        assert!(matches!(
            s.get(Kind::Client, "other").await,
            Err(StoreError::Decrypt)
        ));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("cognito-mcp-auth-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("state.key");
        let a = StateKey::load_or_create(&path).expect("create");
        let b = StateKey::load_or_create(&path).expect("load");
        assert_eq!(a.0.as_slice(), b.0.as_slice());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(format!("{a:?}").contains(".."));
    }

    #[test]
    fn malformed_state_key_fails() {
        assert!(StateKey::from_base64("not base64!").is_err());
        assert!(StateKey::from_base64("c2hvcnQ=").is_err());
    }
}
