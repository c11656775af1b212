//! The sign-in page's limits on guessing, counted before Cognito is asked.
//!
//! Each subject (a user, or a client address) has a budget per window: `free` attempts, then
//! one more attempt each time a lockout period has passed since the budget ran out (the
//! periods double from `base_delay` up to `max_delay`). An attempt takes its ticket from an
//! atomic counter *before* the password or code goes to Cognito, and goes ahead only when its
//! ticket is within the budget earned so far. Tickets are unique, so however many POSTs arrive
//! at once, at most the budget reaches Cognito. The counters live in fixed windows
//! (`window`-long, keyed by the window's number), so no record of an old window can be
//! mistaken for the current one.
//!
//! A sign-in that ends in tokens clears the user's counters (never the address's: one valid
//! account must not reset an address used for guessing others). Every other outcome keeps its
//! ticket: a wrong password, an unknown user, and a password right up to a second step alike.

use crate::store::{Kind, StoreError};

use super::{CognitoLogin, Lockout};

/// One subject of the limits and its free attempts.
#[derive(Debug, Clone)]
pub(super) struct Subject {
    pub(super) key: String,
    pub(super) free: u64,
}

impl Subject {
    /// A user, by the key `resolve` gave (their `sub`) or, for a name no user has, its tag.
    pub(super) fn user(key: &str, l: &Lockout) -> Self {
        Self {
            key: format!("user:{key}"),
            free: l.per_username.max(1),
        }
    }

    /// A client address.
    pub(super) fn address(ip: &str, l: &Lockout) -> Self {
        Self {
            key: format!("ip:{ip}"),
            free: l.per_address.max(1),
        }
    }
}

/// The `i`-th lockout period (from 0), in seconds.
fn period(l: &Lockout, i: u64) -> u64 {
    let doublings = u32::try_from(i.min(32)).unwrap_or(32);
    let base = l.base_delay.as_secs().max(1);
    base.saturating_mul(2u64.saturating_pow(doublings))
        .min(l.max_delay.as_secs().max(base))
}

/// Seconds after the budget ran out when the `k`-th extra attempt is earned.
fn earned_at(l: &Lockout, k: u64) -> u64 {
    let mut total = 0u64;
    for i in 0..k.min(64) {
        total = total.saturating_add(period(l, i));
    }
    if k > 64 {
        total = total.saturating_add((k - 64).saturating_mul(period(l, 64)));
    }
    total
}

/// Whether ticket `n` may go at `now` (`None`), or how many seconds it must wait.
/// `exhausted` is when ticket `free` was taken; unknown (`None`) means not yet recorded.
fn wait(l: &Lockout, free: u64, n: u64, exhausted: Option<u64>, now: u64) -> Option<u64> {
    if n <= free {
        return None;
    }
    let Some(t0) = exhausted else {
        return Some(period(l, 0));
    };
    let at = t0.saturating_add(earned_at(l, n - free));
    (at > now).then(|| at - now)
}

impl CognitoLogin {
    /// Seconds since the epoch, on the login's clock.
    fn now(&self) -> u64 {
        self.inner.clock.now_secs()
    }

    fn window(&self, now: u64) -> u64 {
        now / self.inner.lockout.window.as_secs().max(1)
    }

    fn keys(&self, s: &Subject, now: u64) -> (String, String) {
        let w = self.window(now);
        (
            format!("login-fail:{}:{w}", s.key),
            format!("login-lock:{}:{w}", s.key),
        )
    }

    async fn exhausted_at(&self, lock_key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .inner
            .store
            .get(Kind::RateLimit, lock_key)
            .await?
            .and_then(|v| String::from_utf8_lossy(&v).parse().ok()))
    }

    /// Seconds the next attempt of `s` must wait, without taking a ticket.
    async fn next_wait(&self, s: &Subject, now: u64) -> Result<Option<u64>, StoreError> {
        let l = &self.inner.lockout;
        let (count_key, lock_key) = self.keys(s, now);
        let n = self
            .inner
            .store
            .incr(Kind::RateLimit, &count_key, 0, l.window)
            .await?
            + 1;
        if n <= s.free {
            return Ok(None);
        }
        Ok(wait(l, s.free, n, self.exhausted_at(&lock_key).await?, now))
    }

    /// Seconds any of `subjects` is locked out for, if one is; takes no ticket.
    pub(super) async fn locked(&self, subjects: &[Subject]) -> Result<Option<u64>, StoreError> {
        let now = self.now();
        let mut longest = None;
        for s in subjects {
            longest = longest.max(self.next_wait(s, now).await?);
        }
        Ok(longest)
    }

    /// Takes one attempt of every subject, before Cognito is asked: `None` to go ahead, or
    /// the seconds to wait. A subject already locked costs no ticket.
    pub(super) async fn reserve(&self, subjects: &[Subject]) -> Result<Option<u64>, StoreError> {
        if let Some(secs) = self.locked(subjects).await? {
            return Ok(Some(secs));
        }
        let l = &self.inner.lockout;
        let store = &self.inner.store;
        let now = self.now();
        let mut longest = None;
        for s in subjects {
            let (count_key, lock_key) = self.keys(s, now);
            let n = store.incr(Kind::RateLimit, &count_key, 1, l.window).await?;
            if n == s.free {
                store
                    .put(
                        Kind::RateLimit,
                        &lock_key,
                        now.to_string().into_bytes(),
                        Some(l.window),
                    )
                    .await?;
            }
            let exhausted = if n > s.free {
                self.exhausted_at(&lock_key).await?
            } else {
                None
            };
            longest = longest.max(wait(l, s.free, n, exhausted, now));
        }
        Ok(longest)
    }

    /// A sign-in that ended in tokens: the user's counters go.
    pub(super) async fn succeeded(&self, user: &Subject) -> Result<(), StoreError> {
        let (count_key, lock_key) = self.keys(user, self.now());
        let store = &self.inner.store;
        store.remove(Kind::RateLimit, &count_key).await?;
        store.remove(Kind::RateLimit, &lock_key).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn lockout() -> Lockout {
        Lockout {
            per_username: 3,
            per_address: 20,
            window: Duration::from_secs(900),
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(100),
        }
    }

    #[test]
    fn periods_double_up_to_the_longest() {
        let l = lockout();
        assert_eq!(
            (0..4).map(|i| period(&l, i)).collect::<Vec<_>>(),
            [30, 60, 100, 100]
        );
        assert_eq!(earned_at(&l, 0), 0);
        assert_eq!(earned_at(&l, 3), 190);
        assert_eq!(period(&l, u64::MAX), 100);
    }

    #[test]
    fn tickets_past_the_budget_wait_for_what_they_earned() {
        let l = lockout();
        // Within the free attempts: go.
        assert_eq!(wait(&l, 3, 3, None, 1000), None);
        // Past them, before the budget's end is recorded: wait a first period.
        assert_eq!(wait(&l, 3, 4, None, 1000), Some(30));
        // The budget ran out at 1000: ticket 4 at 1010 waits 20 s, at 1030 goes.
        assert_eq!(wait(&l, 3, 4, Some(1000), 1010), Some(20));
        assert_eq!(wait(&l, 3, 4, Some(1000), 1030), None);
        // Ticket 5 needs a second period: 1000 + 30 + 60.
        assert_eq!(wait(&l, 3, 5, Some(1000), 1030), Some(60));
        assert_eq!(wait(&l, 3, 5, Some(1000), 1090), None);
    }
}
