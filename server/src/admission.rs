//! Admission control for the requests that cost CPU (`/api/predict`, `/api/read`).
//!
//! At most `running` of them compute at once, at most `queued` more wait for a slot (each
//! for at most `max_wait`), and anything beyond is refused at once: under a flood the
//! server answers `503` + `Retry-After` in microseconds instead of queueing without bound,
//! so memory stays flat and the static site, which never enters here, keeps being served.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Why a request was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the server is busy: all {running} prediction slots are taken and {queued} requests are waiting")]
    Busy { running: usize, queued: usize },
    #[error("the server is busy: no prediction slot came free within {0:?}")]
    WaitedTooLong(Duration),
}

/// The gate; one per server, shared by both CPU-bound endpoints.
pub struct Admission {
    slots: Semaphore,
    running: usize,
    queued: usize,
    /// Requests currently waiting for a slot.
    waiting: AtomicUsize,
    max_wait: Duration,
}

/// Limits of an [`Admission`], as `/healthz` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Capacity {
    pub running: usize,
    pub queued: usize,
}

impl Admission {
    pub fn new(running: usize, queued: usize, max_wait: Duration) -> Self {
        let running = running.max(1);
        Admission {
            slots: Semaphore::new(running),
            running,
            queued,
            waiting: AtomicUsize::new(0),
            max_wait,
        }
    }

    pub fn capacity(&self) -> Capacity {
        Capacity {
            running: self.running,
            queued: self.queued,
        }
    }

    /// A slot, at once if one is free, after a short wait if the queue has room, else
    /// `Refused`. The slot is given back when the permit is dropped.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, Refused> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        // Take a place in the queue only if there is one; the counter is given back on
        // every path out (the guard), including a cancelled request future.
        let place = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (w < self.queued).then_some(w + 1)
            });
        if place.is_err() {
            return Err(self.busy());
        }
        let _in_queue = QueuePlace(&self.waiting);
        match tokio::time::timeout(self.max_wait, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; treat it like a full queue if it were.
            Ok(Err(_)) => Err(self.busy()),
            Err(_) => Err(Refused::WaitedTooLong(self.max_wait)),
        }
    }

    fn busy(&self) -> Refused {
        Refused::Busy {
            running: self.running,
            queued: self.queued,
        }
    }
}

struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_slots_and_the_queue_requests_are_refused_at_once() {
        let gate = Admission::new(2, 1, Duration::from_secs(5));
        let a = gate.enter().await.expect("first slot");
        let _b = gate.enter().await.expect("second slot");
        // The third waits in the queue: poll it once so it takes its place.
        let mut third = Box::pin(gate.enter());
        assert!(futures_poll_once(third.as_mut()).await.is_none());
        let refused = gate.enter().await.expect_err("queue is full");
        assert_eq!(
            refused,
            Refused::Busy {
                running: 2,
                queued: 1
            }
        );
        // A slot comes free: the queued request gets it, and the queue has room again.
        drop(a);
        let _c = third.await.expect("queued request admitted");
        let mut fourth = Box::pin(gate.enter());
        assert!(futures_poll_once(fourth.as_mut()).await.is_none());
    }

    #[tokio::test]
    async fn a_queued_request_gives_up_after_max_wait_and_frees_its_place() {
        let gate = Admission::new(1, 1, Duration::from_millis(30));
        let _held = gate.enter().await.expect("slot");
        let refused = gate.enter().await.expect_err("nobody frees the slot");
        assert_eq!(refused, Refused::WaitedTooLong(Duration::from_millis(30)));
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
        // Cancelled while waiting (the client went away): the place is freed too.
        let mut waiting = Box::pin(gate.enter());
        assert!(futures_poll_once(waiting.as_mut()).await.is_none());
        assert_eq!(gate.waiting.load(Ordering::Acquire), 1);
        drop(waiting);
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
    }

    /// Polls a future once: `Some(output)` if it finished, `None` if it is pending.
    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        let mut f = f;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
