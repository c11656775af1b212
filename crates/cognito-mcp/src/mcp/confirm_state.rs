//! The `requestState` of an `input_required` confirmation round: keyed, bound to the call,
//! expiring and single-use.
//!
//! A client on protocol 2026-07-28 gets the confirmation form in an `input_required` result
//! with a `requestState`, and retries the call with the person's answer and that state. The
//! state is the only thing that ties the answer to the call it was asked for, and it passes
//! through the agent's hands, so the server trusts none of it that it did not sign:
//!
//! ```text
//! v1.<expiry, unix seconds>.<nonce, 32 hex>.<HMAC-SHA256, 64 hex>
//! HMAC over the JSON array ["cognito-mcp/confirm/v1", expiry, nonce, actor, tool,
//!                           arguments (keys sorted), target]
//! ```
//!
//! The HMAC key is derived (HMAC-SHA256 of the label [`KEY_LABEL`]) from the server's state key:
//! `COGNITO_MCP_STATE_KEY`, else the proxy's key file in the state directory, else a random
//! key made when the process starts. A state is redeemed once: the nonces of redeemed states
//! are remembered, in this process's memory, until they expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use serde_json::{Value, json};

/// How long a person has to answer an `input_required` confirmation.
pub(crate) const STATE_TTL: Duration = Duration::from_secs(600);
/// The label the confirmation key is derived from the state key with.
pub(crate) const KEY_LABEL: &[u8] = b"cognito-mcp confirmation state v1";
/// The first element of every signed array, so no other signed text is a valid state.
const DOMAIN: &str = "cognito-mcp/confirm/v1";

/// Where the key came from, for the docs' promise about several instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// `COGNITO_MCP_STATE_KEY` or the proxy's key file: every instance that shares it accepts
    /// the others' states, and states outlive a restart.
    StateKey,
    /// A random key of this process: states die with it, and another instance refuses them.
    Random,
}

/// What one confirmation is bound to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Binding<'a> {
    /// The caller (the audit actor): `local` over stdio, the principal over HTTP.
    pub(crate) actor: &'a str,
    pub(crate) tool: &'a str,
    /// The arguments without `confirm`.
    pub(crate) arguments: &'a Value,
    /// The exact target (username, group, pool id, `N users`).
    pub(crate) target: &'a str,
}

/// Why a `requestState` was refused; one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StateError {
    /// Not a state this server writes (forged, truncated, another version).
    #[error("the requestState is not one this server issued")]
    Malformed,
    /// Signed by another key, or for another call: caller, tool, arguments or target differ.
    #[error(
        "the requestState was not issued for this call: the caller, the tool, the arguments or \
         the target differ from the call it was asked for (for a bulk tool, the number of users \
         may have changed), or another server (key) issued it"
    )]
    Mismatch,
    /// Past its expiry.
    #[error("the requestState has expired (a person has {} minutes to answer)", STATE_TTL.as_secs() / 60)]
    Expired,
    /// Redeemed before.
    #[error("the requestState was already used; each confirmation counts once")]
    Used,
}

impl StateError {
    /// The tool error code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "confirmation_state_malformed",
            Self::Mismatch => "confirmation_state_mismatch",
            Self::Expired => "confirmation_state_expired",
            Self::Used => "confirmation_state_used",
        }
    }
}

type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Issues and redeems confirmation states; clones share the key and the used nonces.
#[derive(Clone)]
pub(crate) struct ConfirmStates {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Keys,
    source: KeySource,
    /// Redeemed nonces and their expiry.
    used: Mutex<HashMap<String, u64>>,
    /// Unix seconds.
    now: Clock,
}

impl std::fmt::Debug for ConfirmStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmStates")
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

/// The HMAC keys: one of this process, or derived from the state key now and, during its
/// rotation, the previous one (states signed with it verify until they expire).
enum Keys {
    Fixed(Box<hmac::Key>),
    State(cognito_mcp_auth::store::StateKeys),
}

impl Keys {
    /// The keys a state may be signed with, the one new states are signed with first.
    fn all(&self) -> Vec<hmac::Key> {
        match self {
            Self::Fixed(k) => vec![(**k).clone()],
            Self::State(keys) => {
                let set = keys.get();
                std::iter::once(&set.current)
                    .chain(&set.previous)
                    .map(|k| hmac::Key::new(hmac::HMAC_SHA256, k.derive(KEY_LABEL).as_slice()))
                    .collect()
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// `v` with every object's keys sorted, so a client that reorders them is the same call.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The signed text of a state.
fn signed_text(expiry: u64, nonce: &str, b: &Binding<'_>) -> String {
    // serde_json writes a map in insertion order (sorted above), arrays in order.
    json!([
        DOMAIN,
        expiry,
        nonce,
        b.actor,
        b.tool,
        canonical(b.arguments),
        b.target
    ])
    .to_string()
}

impl ConfirmStates {
    /// States keyed by a subkey of the server's state key, as it is at each call.
    pub(crate) fn keyed(keys: cognito_mcp_auth::store::StateKeys) -> Self {
        Self::with_keys(Keys::State(keys), KeySource::StateKey, Arc::new(unix_now))
    }

    /// States keyed by a random key of this process.
    pub(crate) fn random() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source");
        Self::new(&key, KeySource::Random, Arc::new(unix_now))
    }

    fn new(key: &[u8], source: KeySource, now: Clock) -> Self {
        Self::with_keys(
            Keys::Fixed(Box::new(hmac::Key::new(hmac::HMAC_SHA256, key))),
            source,
            now,
        )
    }

    fn with_keys(keys: Keys, source: KeySource, now: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                keys,
                source,
                used: Mutex::new(HashMap::new()),
                now,
            }),
        }
    }

    /// The states `serve` uses: keyed by `COGNITO_MCP_STATE_KEY`, else by the proxy's key
    /// file (proxy mode with the embedded store, which creates it the same way), else random.
    pub(crate) fn for_serving(settings: &crate::config::Settings) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        use cognito_mcp_auth::config::StoreKind;
        use cognito_mcp_auth::store::{StateKey, StateKeys};
        if let Some(setting) = &settings.state_key {
            let keys =
                StateKeys::rotating(setting.value().clone()).context("COGNITO_MCP_STATE_KEY")?;
            return Ok(Self::keyed(keys));
        }
        if let Some(proxy) = settings
            .auth
            .proxy
            .as_ref()
            .filter(|p| p.store == StoreKind::Embedded)
        {
            let dir = &proxy.state_dir;
            std::fs::create_dir_all(dir).with_context(|| {
                format!(
                    "cannot create the state directory {}; set COGNITO_MCP_STATE_DIR to a \
                     writable one",
                    dir.display()
                )
            })?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            }
            let path = dir.join("state.key");
            let key = StateKey::load_or_create(&path)
                .with_context(|| format!("the state key in {}", path.display()))?;
            return Ok(Self::keyed(StateKeys::fixed(key)));
        }
        Ok(Self::random())
    }

    /// Where the key came from.
    pub(crate) fn source(&self) -> KeySource {
        self.inner.source
    }

    /// A fresh state for `binding`, valid for [`STATE_TTL`].
    pub(crate) fn issue(&self, binding: &Binding<'_>) -> String {
        let expiry = (self.inner.now)() + STATE_TTL.as_secs();
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).expect("the operating system's random source");
        let nonce = hex(&nonce);
        let keys = self.inner.keys.all();
        let tag = hmac::sign(&keys[0], signed_text(expiry, &nonce, binding).as_bytes());
        format!("v1.{expiry}.{nonce}.{}", hex(tag.as_ref()))
    }

    /// Accepts `state` once, for `binding` only, before it expires.
    pub(crate) fn redeem(&self, state: &str, binding: &Binding<'_>) -> Result<(), StateError> {
        let mut parts = state.split('.');
        let (Some("v1"), Some(expiry), Some(nonce), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(StateError::Malformed);
        };
        let expiry: u64 = expiry
            .parse()
            .ok()
            .filter(|_| expiry.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(StateError::Malformed)?;
        if nonce.len() != 32 || unhex(nonce).is_none() {
            return Err(StateError::Malformed);
        }
        let tag = unhex(tag)
            .filter(|t| t.len() == 32)
            .ok_or(StateError::Malformed)?;
        // Constant-time comparison, with the current key, then the previous one.
        let text = signed_text(expiry, nonce, binding);
        if !self
            .inner
            .keys
            .all()
            .iter()
            .any(|k| hmac::verify(k, text.as_bytes(), &tag).is_ok())
        {
            return Err(StateError::Mismatch);
        }
        let now = (self.inner.now)();
        if now >= expiry {
            return Err(StateError::Expired);
        }
        let mut used = self.inner.used.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|_, exp| *exp > now);
        if used.insert(nonce.to_owned(), expiry).is_some() {
            return Err(StateError::Used);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    fn states_at(clock: Arc<AtomicU64>) -> ConfirmStates {
        ConfirmStates::new(
            &[7u8; 32],
            KeySource::StateKey,
            Arc::new(move || clock.load(Ordering::SeqCst)),
        )
    }

    fn binding<'a>(args: &'a Value) -> Binding<'a> {
        Binding {
            actor: "alice",
            tool: "delete_user",
            arguments: args,
            target: "bob",
        }
    }

    #[test]
    fn a_state_is_accepted_once_for_its_call() {
        let states = states_at(Arc::new(AtomicU64::new(1_000)));
        let args = json!({"username": "bob"});
        let s = states.issue(&binding(&args));
        assert_eq!(states.redeem(&s, &binding(&args)), Ok(()));
    }

    #[test]
    fn argument_order_does_not_matter() {
        let states = states_at(Arc::new(AtomicU64::new(1_000)));
        let a =
            serde_json::from_str::<Value>(r#"{"username":"bob","x":{"b":1,"a":2}}"#).expect("json");
        let b =
            serde_json::from_str::<Value>(r#"{"x":{"a":2,"b":1},"username":"bob"}"#).expect("json");
        let s = states.issue(&binding(&a));
        assert_eq!(states.redeem(&s, &binding(&b)), Ok(()));
    }

    #[test]
    fn replayed_state_fails() {
        let states = states_at(Arc::new(AtomicU64::new(1_000)));
        let args = json!({"username": "bob"});
        let s = states.issue(&binding(&args));
        states.redeem(&s, &binding(&args)).expect("first use");
        assert_eq!(states.redeem(&s, &binding(&args)), Err(StateError::Used));
        // A clone (another request's handler) shares what was used.
        assert_eq!(
            states.clone().redeem(&s, &binding(&args)),
            Err(StateError::Used)
        );
    }

    #[test]
    fn expired_state_fails() {
        let clock = Arc::new(AtomicU64::new(1_000));
        let states = states_at(clock.clone());
        let args = json!({"username": "bob"});
        let s = states.issue(&binding(&args));
        clock.store(1_000 + STATE_TTL.as_secs(), Ordering::SeqCst);
        assert_eq!(states.redeem(&s, &binding(&args)), Err(StateError::Expired));
        clock.store(1_000 + STATE_TTL.as_secs() - 1, Ordering::SeqCst);
        assert_eq!(states.redeem(&s, &binding(&args)), Ok(()));
    }

    #[test]
    fn used_nonces_are_forgotten_once_expired() {
        let clock = Arc::new(AtomicU64::new(1_000));
        let states = states_at(clock.clone());
        let args = json!({"username": "bob"});
        let s = states.issue(&binding(&args));
        states.redeem(&s, &binding(&args)).expect("first use");
        clock.store(1_000 + STATE_TTL.as_secs() + 1, Ordering::SeqCst);
        let fresh = states.issue(&binding(&args));
        states.redeem(&fresh, &binding(&args)).expect("fresh");
        let used = states.inner.used.lock().expect("lock");
        assert_eq!(used.len(), 1, "the expired nonce is gone");
    }

    #[test]
    fn other_caller_state_fails() {
        let states = states_at(Arc::new(AtomicU64::new(1_000)));
        let args = json!({"username": "bob"});
        let s = states.issue(&binding(&args));
        let mallory = Binding {
            actor: "mallory",
            ..binding(&args)
        };
        assert_eq!(states.redeem(&s, &mallory), Err(StateError::Mismatch));
    }

    #[test]
    fn other_tool_arguments_or_target_fail() {
        let states = states_at(Arc::new(AtomicU64::new(1_000)));
        let args = json!({"username": "bob"});
        let other_args = json!({"username": "carol"});
        let s = states.issue(&binding(&args));
        for b in [
            Binding {
                tool: "disable_user",
                ..binding(&args)
            },
            binding(&other_args),
            Binding {
                target: "carol",
                ..binding(&args)
            },
        ] {
            assert_eq!(states.redeem(&s, &b), Err(StateError::Mismatch), "{b:?}");
        }
    }

    #[test]
    fn altered_state_fails() {
        let states = states_at(Arc::new(AtomicU64::new(1_000)));
        let args = json!({"username": "bob"});
        let s = states.issue(&binding(&args));
        let parts: Vec<&str> = s.split('.').collect();
        // A later expiry, a fresh nonce (to dodge the used list), a flipped tag bit.
        let later = format!("v1.{}.{}.{}", 99_999_999, parts[2], parts[3]);
        let nonce = format!("v1.{}.{}.{}", parts[1], "0".repeat(32), parts[3]);
        let mut tag = parts[3].to_owned();
        let flipped = if tag.ends_with('0') { '1' } else { '0' };
        tag.pop();
        tag.push(flipped);
        let bit = format!("v1.{}.{}.{tag}", parts[1], parts[2]);
        for altered in [later, nonce, bit] {
            assert_eq!(
                states.redeem(&altered, &binding(&args)),
                Err(StateError::Mismatch),
                "{altered}"
            );
        }
    }

    #[test]
    fn a_state_from_another_key_fails() {
        let args = json!({"username": "bob"});
        let s = ConfirmStates::random().issue(&binding(&args));
        let states = states_at(Arc::new(AtomicU64::new(unix_now())));
        assert_eq!(
            states.redeem(&s, &binding(&args)),
            Err(StateError::Mismatch)
        );
    }

    #[test]
    fn forged_state_fails() {
        let states = states_at(Arc::new(AtomicU64::new(1_000)));
        let args = json!({"username": "bob"});
        // The old unkeyed form: a bare SHA-256 of the call, which anyone can compute.
        let sha = "a".repeat(64);
        for forged in [
            "",
            "yes",
            sha.as_str(),
            "v1.2000.00000000000000000000000000000000",
            "v2.2000.00000000000000000000000000000000.00",
            "v1.+2000.00000000000000000000000000000000.00",
            "v1.2000.zz000000000000000000000000000000.00",
            "v1.2000.00000000000000000000000000000000.abc",
            "v1.2000.00000000000000000000000000000000.00.extra",
        ] {
            assert_eq!(
                states.redeem(forged, &binding(&args)),
                Err(StateError::Malformed),
                "{forged:?}"
            );
        }
        let well_formed_unsigned = format!("v1.2000.{}.{}", "0".repeat(32), "0".repeat(64));
        assert_eq!(
            states.redeem(&well_formed_unsigned, &binding(&args)),
            Err(StateError::Mismatch)
        );
    }

    /// Key A, then B with A as the previous one, then B alone.
    fn rotating_states() -> (ConfirmStates, cognito_admin::RotatingSecret, [Secret; 2]) {
        use base64::Engine as _;
        let b64 =
            |byte: u8| Secret::new(base64::engine::general_purpose::STANDARD.encode([byte; 32]));
        let (a, b) = (b64(1), b64(2));
        let secret = cognito_admin::RotatingSecret::new(a.clone());
        let keys = cognito_mcp_auth::store::StateKeys::rotating(secret.clone()).expect("keys");
        (ConfirmStates::keyed(keys), secret, [a, b])
    }

    use cognito_admin::Secret;

    #[test]
    fn a_state_signed_with_the_previous_key_verifies_after_a_rotation() {
        let (states, secret, [a, b]) = rotating_states();
        let args = json!({"username": "bob"});
        let before = states.issue(&binding(&args));
        secret.replace(b, Some(a));
        assert_eq!(states.redeem(&before, &binding(&args)), Ok(()));
        // And a new state is signed with the new key: it verifies with B alone.
        let after = states.issue(&binding(&args));
        secret.replace(secret.current(), None);
        assert_eq!(states.redeem(&after, &binding(&args)), Ok(()));
    }

    #[test]
    fn with_the_new_key_alone_an_old_state_fails() {
        let (states, secret, [_, b]) = rotating_states();
        let args = json!({"username": "bob"});
        let before = states.issue(&binding(&args));
        secret.replace(b, None);
        assert_eq!(
            states.redeem(&before, &binding(&args)),
            Err(StateError::Mismatch)
        );
    }
}
