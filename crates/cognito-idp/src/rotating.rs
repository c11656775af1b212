//! [`RotatingSecret`]: a secret whose value may change while the process runs, with the value
//! before it kept during a rotation.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::Secret;

/// The values of a [`RotatingSecret`] at one moment: the current one and, during a rotation,
/// the one before it. Debug shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretVersions {
    current: Secret,
    previous: Option<Secret>,
}

impl SecretVersions {
    /// `current`, and `previous` unless it is empty or the same value.
    pub fn new(current: Secret, previous: Option<Secret>) -> Self {
        let previous = previous.filter(|p| !p.is_empty() && *p != current);
        Self { current, previous }
    }

    /// The current value: what new work uses (what is sent first, what seals and signs).
    pub fn current(&self) -> &Secret {
        &self.current
    }

    /// The value before the current one, while a rotation keeps it.
    pub fn previous(&self) -> Option<&Secret> {
        self.previous.as_ref()
    }
}

impl fmt::Debug for SecretVersions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretVersions")
            .field("current", &self.current)
            .field("previous", &self.previous)
            .finish()
    }
}

/// A secret that may be replaced while it is in use: an app client secret, a state key, a
/// Redis URL read from AWS Secrets Manager and refreshed on a schedule.
///
/// Clones share the value: whoever refreshes it calls [`RotatingSecret::replace`], and every
/// user reads the value at the time of use ([`RotatingSecret::versions`]), so a rotation needs
/// no restart. During a rotation it holds the previous value too:
///
/// - a key (a state key) seals and signs with the current value and opens or verifies with
///   either;
/// - a credential sent to someone else (an app client secret) is tried in
///   [`RotatingSecret::in_order`]: the one that last worked first, the other once after a
///   refusal, and [`RotatingSecret::worked`] remembers which one was taken.
///
/// `Debug` shows no value.
#[derive(Clone)]
pub struct RotatingSecret {
    inner: Arc<Inner>,
}

struct Inner {
    versions: RwLock<Arc<SecretVersions>>,
    generation: AtomicU64,
    previous_first: AtomicBool,
}

impl RotatingSecret {
    /// A secret with the one value `current`.
    pub fn new(current: Secret) -> Self {
        Self::with_previous(current, None)
    }

    /// A secret with `current` and, during a rotation, `previous`.
    pub fn with_previous(current: Secret, previous: Option<Secret>) -> Self {
        Self {
            inner: Arc::new(Inner {
                versions: RwLock::new(Arc::new(SecretVersions::new(current, previous))),
                generation: AtomicU64::new(0),
                previous_first: AtomicBool::new(false),
            }),
        }
    }

    /// The values now.
    pub fn versions(&self) -> Arc<SecretVersions> {
        self.inner
            .versions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current value now.
    pub fn current(&self) -> Secret {
        self.versions().current.clone()
    }

    /// How many times the values changed: a user that derives keys from them derives again
    /// when this moves.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Replaces the values; tells whether they changed. Unchanged values keep the remembered
    /// order of [`RotatingSecret::in_order`].
    pub fn replace(&self, current: Secret, previous: Option<Secret>) -> bool {
        let next = SecretVersions::new(current, previous);
        let mut guard = self
            .inner
            .versions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if **guard == next {
            return false;
        }
        *guard = Arc::new(next);
        self.inner.previous_first.store(false, Ordering::Release);
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// The values to try, in order: the one that last worked first (the current one until
    /// [`RotatingSecret::worked`] says otherwise), then the other, if there is one.
    pub fn in_order(&self) -> Vec<Secret> {
        let v = self.versions();
        let mut out = vec![v.current.clone()];
        if let Some(p) = &v.previous {
            if self.inner.previous_first.load(Ordering::Acquire) {
                out.insert(0, p.clone());
            } else {
                out.push(p.clone());
            }
        }
        out
    }

    /// Remembers that `value` was accepted, so [`RotatingSecret::in_order`] starts with it.
    pub fn worked(&self, value: &Secret) {
        let v = self.versions();
        let previous = v.previous.as_ref().is_some_and(|p| p == value);
        self.inner.previous_first.store(previous, Ordering::Release);
    }
}

impl From<Secret> for RotatingSecret {
    fn from(value: Secret) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for RotatingSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.versions();
        f.debug_struct("RotatingSecret")
            .field("current", &v.current)
            .field("previous", &v.previous)
            .field("generation", &self.generation())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Secret {
        Secret::new(v)
    }

    #[test]
    fn clones_share_the_replaced_value() {
        let a = RotatingSecret::new(s("one"));
        let b = a.clone();
        assert_eq!(b.generation(), 0);
        assert!(a.replace(s("two"), Some(s("one"))));
        assert_eq!(b.current().expose(), "two");
        assert_eq!(b.versions().previous().map(Secret::expose), Some("one"));
        assert_eq!(b.generation(), 1);
        assert!(!a.replace(s("two"), Some(s("one"))), "unchanged");
        assert_eq!(b.generation(), 1);
    }

    #[test]
    fn a_previous_equal_to_the_current_is_dropped() {
        let a = RotatingSecret::with_previous(s("same"), Some(s("same")));
        assert!(a.versions().previous().is_none());
        let b = RotatingSecret::with_previous(s("x"), Some(s("")));
        assert!(b.versions().previous().is_none());
    }

    #[test]
    fn in_order_starts_with_what_last_worked() {
        let a = RotatingSecret::with_previous(s("new"), Some(s("old")));
        let order = |r: &RotatingSecret| {
            r.in_order()
                .iter()
                .map(|v| v.expose().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(order(&a), ["new", "old"]);
        a.worked(&s("old"));
        assert_eq!(order(&a), ["old", "new"]);
        a.worked(&s("new"));
        assert_eq!(order(&a), ["new", "old"]);
        a.worked(&s("old"));
        // A rotation forgets the preference: the new current value goes first.
        a.replace(s("newer"), Some(s("new")));
        assert_eq!(order(&a), ["newer", "new"]);
        assert_eq!(order(&RotatingSecret::new(s("only"))), ["only"]);
    }

    #[test]
    fn debug_never_shows_a_value() {
        let a = RotatingSecret::with_previous(s("hunter2-now"), Some(s("hunter2-before")));
        let shown = format!("{a:?} {:?}", a.versions());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }
}
