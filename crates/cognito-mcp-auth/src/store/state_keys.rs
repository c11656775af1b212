//! [`StateKeys`]: the state key now and, during a rotation, the one before it.

use std::sync::{Arc, PoisonError, RwLock};

use cognito_idp::RotatingSecret;

use super::{StateKey, StateKeyError};

/// The keys at one moment: the current one seals and signs; the previous one, during a
/// rotation, still opens and verifies.
#[derive(Debug, Clone)]
pub struct StateKeySet {
    /// The key new entries are sealed (and new states signed) with.
    pub current: StateKey,
    /// The key before it, while a rotation keeps it.
    pub previous: Option<StateKey>,
}

/// The state key of [`super::SealedStore`] and of anything else keyed by it (the binary's
/// confirmation states): fixed, or read at the time of use from a [`RotatingSecret`] holding
/// base64 keys, which a refresh of `COGNITO_MCP_STATE_KEY` replaces. Clones share it.
#[derive(Clone)]
pub struct StateKeys {
    secret: Option<RotatingSecret>,
    parsed: Arc<RwLock<(u64, Arc<StateKeySet>)>>,
}

impl std::fmt::Debug for StateKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateKeys")
            .field("rotating", &self.secret.is_some())
            .finish_non_exhaustive()
    }
}

impl StateKeys {
    /// One key, for the life of the process.
    pub fn fixed(key: StateKey) -> Self {
        Self {
            secret: None,
            parsed: Arc::new(RwLock::new((
                0,
                Arc::new(StateKeySet {
                    current: key,
                    previous: None,
                }),
            ))),
        }
    }

    /// The keys `secret` holds now and after each refresh. Fails when they are not keys now.
    pub fn rotating(secret: RotatingSecret) -> Result<Self, StateKeyError> {
        let generation = secret.generation();
        let set = parse(&secret)?;
        Ok(Self {
            secret: Some(secret),
            parsed: Arc::new(RwLock::new((generation, Arc::new(set)))),
        })
    }

    /// The keys now. A refreshed value that is not a key (the refresh checks it first) leaves
    /// the last keys in use.
    pub fn get(&self) -> Arc<StateKeySet> {
        let held = self
            .parsed
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(secret) = &self.secret else {
            return held.1;
        };
        let generation = secret.generation();
        if generation == held.0 {
            return held.1;
        }
        let mut guard = self.parsed.write().unwrap_or_else(PoisonError::into_inner);
        if guard.0 != generation {
            match parse(secret) {
                Ok(set) => *guard = (generation, Arc::new(set)),
                Err(e) => {
                    tracing::warn!(error = %e, "the refreshed state key is not usable; keeping the last one");
                    guard.0 = generation;
                }
            }
        }
        guard.1.clone()
    }

    /// A number that moves whenever the keys may have changed.
    pub fn generation(&self) -> u64 {
        self.secret.as_ref().map_or(0, RotatingSecret::generation)
    }
}

fn parse(secret: &RotatingSecret) -> Result<StateKeySet, StateKeyError> {
    let v = secret.versions();
    Ok(StateKeySet {
        current: StateKey::from_base64(v.current().expose())?,
        previous: v
            .previous()
            .map(|p| StateKey::from_base64(p.expose()))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    const A: &str = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
    const B: &str = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";

    #[test]
    fn a_refresh_is_seen_at_the_next_use() {
        let secret = RotatingSecret::new(Secret::new(A));
        let keys = StateKeys::rotating(secret.clone()).expect("keys");
        let before = keys.get();
        assert!(before.previous.is_none());
        secret.replace(Secret::new(B), Some(Secret::new(A)));
        let after = keys.get();
        assert_eq!(
            after.previous.as_ref().map(|k| k.derive(b"x")),
            Some(before.current.derive(b"x"))
        );
        assert_ne!(after.current.derive(b"x"), before.current.derive(b"x"));
    }

    #[test]
    fn a_value_that_is_not_a_key_keeps_the_last_keys() {
        let secret = RotatingSecret::new(Secret::new(A));
        let keys = StateKeys::rotating(secret.clone()).expect("keys");
        let before = keys.get().current.derive(b"x");
        secret.replace(Secret::new("not a key"), None);
        assert_eq!(keys.get().current.derive(b"x"), before);
        assert!(StateKeys::rotating(RotatingSecret::new(Secret::new("short"))).is_err());
    }
}
