//! [`SealedStore`]: encryption at rest over any [`Store`], and [`StateKey`], its key.
//!
//! Values are sealed with AES-256-GCM under a random 96-bit nonce; the additional data binds
//! each value to its kind and key, so an entry copied under another key does not open. Keys are
//! replaced by HMAC-SHA256 of the kind and key, so a code or refresh token never appears in the
//! backend, not even as a lookup key.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::{Kind, StateKeys, Store, StoreError, StoreFuture};

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
    /// The given text is not base64 of 32 bytes, nor 64 hexadecimal characters.
    #[error(
        "the state key must be 32 bytes in base64 (e.g. `openssl rand -base64 32`) or in 64 hexadecimal characters"
    )]
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
    /// A key from its text (the `COGNITO_MCP_STATE_KEY` form): 32 bytes in base64, or in 64
    /// hexadecimal characters (what Secrets Manager can generate: `deploy template` has it
    /// make the Lambda function's key).
    pub fn from_base64(text: &str) -> Result<Self, StateKeyError> {
        let text = text.trim();
        let bytes = Zeroizing::new(
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                (0..32)
                    .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| StateKeyError::Malformed)?
            } else {
                STANDARD
                    .decode(text)
                    .map_err(|_| StateKeyError::Malformed)?
            },
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

/// The two keys of one state key: encryption and key hashing.
struct Sealer {
    aead: LessSafeKey,
    mac: hmac::Key,
}

impl Sealer {
    fn new(key: &StateKey) -> Self {
        let enc = key.derive(b"cognito-mcp state v1 encryption");
        let mac = key.derive(b"cognito-mcp state v1 key hashing");
        let aead = LessSafeKey::new(
            // A 32-byte key is always a valid AES-256 key.
            UnboundKey::new(&AES_256_GCM, enc.as_slice()).unwrap_or_else(|_| unreachable!()),
        );
        Self {
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
}

/// The sealers of the current key and, during a rotation, the previous one.
struct Sealers {
    generation: u64,
    current: Sealer,
    previous: Option<Sealer>,
}

impl Sealers {
    fn new(keys: &StateKeys) -> Self {
        let generation = keys.generation();
        let set = keys.get();
        Self {
            generation,
            current: Sealer::new(&set.current),
            previous: set.previous.as_ref().map(Sealer::new),
        }
    }

    /// Where an entry may be: under the current key's hash, then the previous key's.
    fn locations(&self, kind: Kind, key: &str) -> Vec<String> {
        let mut out = vec![self.current.hashed(kind, key)];
        out.extend(self.previous.as_ref().map(|p| p.hashed(kind, key)));
        out
    }
}

/// Encrypts every value and hashes every key of the wrapped store.
///
/// During a rotation of the state key ([`StateKeys`] with a previous key) new entries are
/// sealed with the current key under its hash of their key, and an entry is looked for under
/// the current key's hash, then the previous key's, and opened with either key: what was
/// sealed before the rotation still opens. Writing an entry again moves it to the current key
/// (`put` removes the previous key's copy); `Meta` entries, which are written once and never
/// change (the signing key), are copied to the current key when read, so they outlive the next
/// rotation too. An entry sealed with a key that is neither is not found.
pub struct SealedStore<S> {
    inner: S,
    keys: StateKeys,
    sealers: RwLock<Arc<Sealers>>,
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
        Self::with_keys(inner, StateKeys::fixed(key.clone()))
    }

    /// Wraps `inner`, sealing with the current key of `keys` and opening with it or the
    /// previous one, as they are at the time of each call.
    pub fn with_keys(inner: S, keys: StateKeys) -> Self {
        let sealers = RwLock::new(Arc::new(Sealers::new(&keys)));
        Self {
            inner,
            keys,
            sealers,
        }
    }

    /// The sealers of the keys now.
    fn sealers(&self) -> Arc<Sealers> {
        let held = self
            .sealers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if held.generation == self.keys.generation() {
            return held;
        }
        let fresh = Arc::new(Sealers::new(&self.keys));
        *self.sealers.write().unwrap_or_else(PoisonError::into_inner) = fresh.clone();
        fresh
    }

    fn seal(s: &Sealer, kind: Kind, hashed: &str, mut value: Vec<u8>) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::authz::crypto::fill(&mut nonce);
        let aad = format!("{}\0{hashed}", kind.as_str());
        // Sealing only fails for inputs past GCM's size limit (64 GiB).
        s.aead
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

    /// Opens an entry found under `hashed` with the current key, else the previous one.
    fn open(
        sealers: &Sealers,
        kind: Kind,
        hashed: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let (nonce, body) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(StoreError::Decrypt)?;
        let aad = format!("{}\0{hashed}", kind.as_str());
        for s in std::iter::once(&sealers.current).chain(sealers.previous.as_ref()) {
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| StoreError::Decrypt)?;
            let mut body = body.to_vec();
            if let Ok(plain) = s
                .aead
                .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut body)
            {
                return Ok(plain.to_vec());
            }
        }
        Err(StoreError::Decrypt)
    }

    /// The entry under the first location that has one: where, and what it holds sealed.
    async fn find(
        &self,
        kind: Kind,
        locations: &[String],
    ) -> Result<Option<(usize, Vec<u8>)>, StoreError> {
        for (i, h) in locations.iter().enumerate() {
            if let Some(v) = self.inner.get(kind, h).await? {
                return Ok(Some((i, v)));
            }
        }
        Ok(None)
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
            let s = self.sealers();
            let at = s.locations(kind, key);
            let v = Self::seal(&s.current, kind, &at[0], value);
            self.inner.put(kind, &at[0], v, ttl).await?;
            // The copy under the previous key would come back once this one is removed.
            for old in &at[1..] {
                self.inner.remove(kind, old).await?;
            }
            Ok(())
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
            let s = self.sealers();
            let at = s.locations(kind, key);
            for old in &at[1..] {
                if self.inner.get(kind, old).await?.is_some() {
                    return Ok(false);
                }
            }
            let v = Self::seal(&s.current, kind, &at[0], value);
            self.inner.put_new(kind, &at[0], v, ttl).await
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
        // compares the exact ciphertext read: a write in between makes the backend's fail. An
        // entry under the previous key's hash is replaced where it is, sealed with the current
        // key, so the compare and set stays one atomic step.
        Box::pin(async move {
            let s = self.sealers();
            let at = s.locations(kind, key);
            let Some((i, current)) = self.find(kind, &at).await? else {
                return Ok(false);
            };
            if Self::open(&s, kind, &at[i], &current)? != expected {
                return Ok(false);
            }
            let v = Self::seal(&s.current, kind, &at[i], value);
            self.inner.replace(kind, &at[i], &current, v, ttl).await
        })
    }

    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let s = self.sealers();
            let at = s.locations(kind, key);
            let Some((i, sealed)) = self.find(kind, &at).await? else {
                return Ok(None);
            };
            let plain = Self::open(&s, kind, &at[i], &sealed)?;
            if i > 0 && kind == Kind::Meta {
                // Written once, never changed: a copy under the current key outlives the next
                // rotation, and the previous key's copy stays for instances not yet rotated.
                let v = Self::seal(&s.current, kind, &at[0], plain.clone());
                if let Err(e) = self.inner.put_new(kind, &at[0], v, None).await {
                    tracing::warn!(error = %e, "could not seal an entry with the new state key");
                }
            }
            Ok(Some(plain))
        })
    }

    /// Presence only: nothing is opened, so the inner store's one round trip is kept.
    fn any_live<'a>(&'a self, kind: Kind, keys: &'a [&'a str]) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let s = self.sealers();
            let hashed: Vec<String> = keys.iter().flat_map(|k| s.locations(kind, k)).collect();
            let refs: Vec<&str> = hashed.iter().map(String::as_str).collect();
            self.inner.any_live(kind, &refs).await
        })
    }

    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let s = self.sealers();
            for h in s.locations(kind, key) {
                if let Some(v) = self.inner.take(kind, &h).await? {
                    return Self::open(&s, kind, &h, &v).map(Some);
                }
            }
            Ok(None)
        })
    }

    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut removed = false;
            for h in self.sealers().locations(kind, key) {
                removed |= self.inner.remove(kind, &h).await?;
            }
            Ok(removed)
        })
    }

    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        // Counters are not secret; only their keys (client addresses) are hashed. A rotation
        // starts them afresh under the new key's hash.
        Box::pin(async move {
            let h = self.sealers().current.hashed(kind, key);
            self.inner.incr(kind, &h, by, ttl).await
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
        let h = sealed
            .sealers()
            .current
            .hashed(Kind::Code, "the-code-value");
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
        let h = a.sealers().current.hashed(Kind::Client, "c");
        let raw = backend
            .get(Kind::Client, &h)
            .await
            .expect("get")
            .expect("some");
        let b = SealedStore::new(backend.clone(), &StateKey::generate());
        let hb = b.sealers().current.hashed(Kind::Client, "c");
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
            .get(
                Kind::Client,
                &s.sealers().current.hashed(Kind::Client, "victim"),
            )
            .await
            .expect("get")
            .expect("some");
        backend
            .put(
                Kind::Client,
                &s.sealers().current.hashed(Kind::Client, "other"),
                raw,
                None,
            )
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
        assert!(StateKey::from_base64(&"g".repeat(64)).is_err(), "not hex");
        assert!(
            StateKey::from_base64(&"a".repeat(62)).is_err(),
            "31 bytes of hex"
        );
    }

    #[test]
    fn a_hex_key_is_the_same_key_as_its_base64() {
        let hex: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
        let b64 = STANDARD.encode((0u8..32).collect::<Vec<u8>>());
        let (a, b) = (
            StateKey::from_base64(&hex).expect("hex"),
            StateKey::from_base64(&b64).expect("base64"),
        );
        assert_eq!(a.0.as_slice(), b.0.as_slice());
    }

    use cognito_idp::RotatingSecret;

    /// A store sealed with key A over a memory backend, and the way to rotate it to key B.
    struct Rotation {
        backend: Arc<MemoryStore>,
        sealed: SealedStore<Arc<MemoryStore>>,
        secret: RotatingSecret,
        a: crate::config::Secret,
        b: crate::config::Secret,
    }

    fn rotation() -> Rotation {
        let text = |k: &StateKey| crate::config::Secret::new(STANDARD.encode(k.0.as_slice()));
        let (a, b) = (text(&StateKey::generate()), text(&StateKey::generate()));
        let backend = Arc::new(MemoryStore::new());
        let secret = RotatingSecret::new(a.clone());
        let sealed = SealedStore::with_keys(
            backend.clone(),
            StateKeys::rotating(secret.clone()).expect("keys"),
        );
        Rotation {
            backend,
            sealed,
            secret,
            a,
            b,
        }
    }

    impl Rotation {
        /// To key B, with A as the previous one (`keep_previous`) or alone.
        fn rotate(&self, keep_previous: bool) {
            self.secret
                .replace(self.b.clone(), keep_previous.then(|| self.a.clone()));
        }
    }

    #[tokio::test]
    async fn an_entry_sealed_with_the_previous_key_still_opens() {
        let r = rotation();
        let sealed = &r.sealed;
        for (kind, key) in [
            (Kind::Client, "c"),
            (Kind::Code, "code"),
            (Kind::Family, "f"),
        ] {
            sealed
                .put(kind, key, b"before".to_vec(), None)
                .await
                .expect("put");
        }
        r.rotate(true);
        assert_eq!(
            sealed.get(Kind::Client, "c").await.expect("get").as_deref(),
            Some(&b"before"[..])
        );
        assert!(sealed.any_live(Kind::Client, &["c"]).await.expect("live"));
        assert!(
            !sealed
                .put_new(Kind::Client, "c", b"x".to_vec(), None)
                .await
                .expect("put_new"),
            "the entry under the previous key counts as present"
        );
        assert_eq!(
            sealed
                .take(Kind::Code, "code")
                .await
                .expect("take")
                .as_deref(),
            Some(&b"before"[..])
        );
        assert_eq!(sealed.take(Kind::Code, "code").await.expect("take"), None);
        assert!(
            sealed
                .replace(Kind::Family, "f", b"before", b"after".to_vec(), None)
                .await
                .expect("replace")
        );
        assert_eq!(
            sealed.get(Kind::Family, "f").await.expect("get").as_deref(),
            Some(&b"after"[..])
        );
        assert!(sealed.remove(Kind::Client, "c").await.expect("remove"));
        assert_eq!(sealed.get(Kind::Client, "c").await.expect("get"), None);
    }

    #[tokio::test]
    async fn with_the_new_key_alone_an_old_entry_does_not_open_fails() {
        let r = rotation();
        let sealed = &r.sealed;
        sealed
            .put(Kind::Client, "c", b"before".to_vec(), None)
            .await
            .expect("put");
        r.rotate(false);
        assert_eq!(sealed.get(Kind::Client, "c").await.expect("get"), None);
        assert!(!sealed.any_live(Kind::Client, &["c"]).await.expect("live"));
    }

    #[tokio::test]
    async fn an_entry_written_again_moves_to_the_new_key() {
        let r = rotation();
        let (backend, sealed) = (&r.backend, &r.sealed);
        sealed
            .put(Kind::Client, "c", b"v1".to_vec(), None)
            .await
            .expect("put");
        r.rotate(true);
        sealed
            .put(Kind::Client, "c", b"v2".to_vec(), None)
            .await
            .expect("put");
        assert_eq!(
            backend.count(Kind::Client).await.expect("count"),
            1,
            "no copy left"
        );
        r.rotate(false);
        assert_eq!(
            sealed.get(Kind::Client, "c").await.expect("get").as_deref(),
            Some(&b"v2"[..])
        );
    }

    #[tokio::test]
    async fn meta_entries_are_copied_to_the_new_key_when_read() {
        let r = rotation();
        let sealed = &r.sealed;
        sealed
            .put_new(Kind::Meta, "signing-key", b"der".to_vec(), None)
            .await
            .expect("put_new");
        r.rotate(true);
        assert!(
            sealed
                .get(Kind::Meta, "signing-key")
                .await
                .expect("get")
                .is_some()
        );
        r.rotate(false);
        assert_eq!(
            sealed
                .get(Kind::Meta, "signing-key")
                .await
                .expect("get")
                .as_deref(),
            Some(&b"der"[..])
        );
    }

    #[tokio::test]
    async fn the_contract_holds_during_a_rotation() {
        let r = rotation();
        let sealed = &r.sealed;
        r.rotate(true);
        let clock = cognito_jwt::testing::ManualClock::now();
        let backend = MemoryStore::with_clock(Arc::new(clock.clone()));
        let during = SealedStore::with_keys(
            backend,
            StateKeys::rotating(r.secret.clone()).expect("keys"),
        );
        super::super::contract::run(&during, &clock).await;
        assert!(
            sealed
                .get(Kind::Client, "none")
                .await
                .expect("get")
                .is_none()
        );
    }
}
