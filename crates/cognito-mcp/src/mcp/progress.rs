//! A bulk run's progress as MCP `notifications/progress`: increasing, throttled, in order,
//! and all of them sent before the result.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use cognito_admin::BulkObserver;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Progress notifications are sent at most this often (and always for the last item).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

type Update = (usize, usize, String);

/// What was sent last.
#[derive(Default)]
struct Sent {
    at: Option<Instant>,
    done: usize,
}

/// Relays a bulk run's progress to the client, and tells the run when the client cancelled
/// the request.
pub(crate) struct McpProgress {
    tx: Option<mpsc::UnboundedSender<Update>>,
    sent: Mutex<Sent>,
    every: Duration,
    ct: CancellationToken,
}

impl McpProgress {
    /// Starts relaying to `peer` when the request carries a progress token.
    pub(crate) fn start(
        peer: Peer<RoleServer>,
        token: Option<ProgressToken>,
        ct: CancellationToken,
    ) -> (Self, Option<JoinHandle<()>>) {
        let Some(token) = token else {
            return (Self::new(None, PROGRESS_EVERY, ct), None);
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<Update>();
        let relay = tokio::spawn(async move {
            while let Some((done, total, message)) = rx.recv().await {
                let mut p = ProgressNotificationParam::new(token.clone(), done as f64);
                p.total = Some(total as f64);
                p.message = Some(message);
                if peer.notify_progress(p).await.is_err() {
                    break;
                }
            }
        });
        (Self::new(Some(tx), PROGRESS_EVERY, ct), Some(relay))
    }

    fn new(
        tx: Option<mpsc::UnboundedSender<Update>>,
        every: Duration,
        ct: CancellationToken,
    ) -> Self {
        Self {
            tx,
            sent: Mutex::new(Sent::default()),
            every,
            ct,
        }
    }

    /// Ends the run's progress: waits until every notification has gone out, or until the
    /// client cancels the request. No wall-clock limit: a loaded machine only makes it later.
    pub(crate) async fn finish(self, relay: Option<JoinHandle<()>>) {
        let ct = self.ct.clone();
        drop(self);
        if let Some(relay) = relay {
            tokio::select! {
                _ = relay => {}
                () = ct.cancelled() => {}
            }
        }
    }
}

impl BulkObserver for McpProgress {
    /// Items finish concurrently, so counts can arrive out of order ("40" before "39"). MCP
    /// says progress must increase with each notification: a count not above the last one
    /// sent is dropped, and so is one that comes too soon after it, unless it is the last.
    fn progress(&self, done: usize, total: usize, message: &str) {
        let Some(tx) = &self.tx else { return };
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        if done <= sent.done {
            return;
        }
        if done < total && sent.at.is_some_and(|at| at.elapsed() < self.every) {
            return;
        }
        *sent = Sent {
            at: Some(Instant::now()),
            done,
        };
        let _ = tx.send((done, total, message.to_owned()));
    }

    fn is_cancelled(&self) -> bool {
        self.ct.is_cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unthrottled() -> (McpProgress, mpsc::UnboundedReceiver<Update>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let p = McpProgress::new(Some(tx), Duration::ZERO, CancellationToken::new());
        (p, rx)
    }

    fn counts(rx: &mut mpsc::UnboundedReceiver<Update>) -> Vec<usize> {
        let mut out = Vec::new();
        while let Ok((done, _, _)) = rx.try_recv() {
            out.push(done);
        }
        out
    }

    /// Two workers finish together: the one that counted 40 reports before the one that
    /// counted 39. Without the rule the client sees 40 then 39 (and a client that ends its
    /// progress at the response sees "39 of 40" last).
    #[test]
    fn a_late_lower_count_is_not_sent() {
        let (p, mut rx) = unthrottled();
        p.progress(38, 40, "a");
        p.progress(40, 40, "c");
        p.progress(39, 40, "b");
        assert_eq!(counts(&mut rx), vec![38, 40]);
    }

    #[test]
    fn a_repeated_count_is_not_sent() {
        let (p, mut rx) = unthrottled();
        p.progress(1, 3, "a");
        p.progress(1, 3, "a");
        p.progress(2, 3, "b");
        assert_eq!(counts(&mut rx), vec![1, 2]);
    }

    #[test]
    fn the_last_count_is_sent_however_soon_it_comes() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let p = McpProgress::new(
            Some(tx),
            Duration::from_secs(3600),
            CancellationToken::new(),
        );
        p.progress(1, 3, "a");
        p.progress(2, 3, "b");
        p.progress(3, 3, "c");
        assert_eq!(counts(&mut rx), vec![1, 3]);
    }

    #[tokio::test]
    async fn finish_waits_for_every_notification() {
        let (tx, mut rx) = mpsc::unbounded_channel::<Update>();
        let p = McpProgress::new(Some(tx), Duration::ZERO, CancellationToken::new());
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let relay = tokio::spawn(async move {
            while let Some((done, _, _)) = rx.recv().await {
                tokio::task::yield_now().await;
                let _ = out_tx.send(done);
            }
        });
        for n in 1..=50 {
            p.progress(n, 50, "x");
        }
        p.finish(Some(relay)).await;
        let mut got = Vec::new();
        while let Ok(n) = out_rx.try_recv() {
            got.push(n);
        }
        assert_eq!(got, (1..=50).collect::<Vec<_>>());
    }
}
