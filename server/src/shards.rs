//! The server's threads: one single-threaded tokio runtime per core ("shard"), each serving
//! the connections handed to it to their end. One acceptor (a task on shard 0) accepts
//! from the listening socket and deals the connections out in turn.
//!
//! Why not tokio's multi-threaded runtime: a static response costs a few microseconds of
//! work, and a work-stealing scheduler spends a good part as much again waking tasks on
//! other threads and moving them between queues. A connection here never leaves the shard
//! that got it, and nothing on the request path is shared between shards but the read-only
//! site and the API's admission semaphore. With this and the router's layers composed
//! once (main.rs), the server's CPU per `index.html` under load fell from about 30 µs to
//! 17 µs (nginx: 13 µs), and `bash bench/load/run.sh` went from 0.59-0.70x nginx's
//! requests/s to 0.83-0.87x. CPU-bound API work still leaves the shard: once admitted, it
//! runs in the shard's blocking pool, so a prediction never holds up static files.
//!
//! Why one acceptor and not every shard accepting: shards racing for `accept` on a shared
//! socket let the first awake take a whole burst (measured: all of wrk's 32 connections on
//! one shard in one run of three, half the throughput), and one `SO_REUSEPORT` socket per
//! shard would let a second server on the same port start silently instead of failing
//! with "address in use". Dealing in turn keeps the shards even, one socket, and costs a
//! hand-over per connection, not per request.

use std::io;
use std::net::{SocketAddr, TcpListener};

use std::convert::Infallible;

use anyhow::{Context, Result};
use axum::extract::Request;
use axum::response::Response;
use axum::serve::Listener;
use axum::ServiceExt;
use tokio::sync::{mpsc, oneshot, watch};
use tower::Service;
use tracing::warn;

/// A single-threaded runtime whose blocking pool can take every API job admitted at once:
/// admission bounds them across all shards (`api_slots`), and any one shard may get them
/// all. One more thread for startup's model load. Idle blocking threads exit on their own.
pub fn runtime(api_slots: usize) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(api_slots + 1)
        .build()
        .context("starting a tokio runtime")
}

/// Connections waiting for their shard, per shard: beyond this the acceptor waits, and new
/// connections wait in the kernel's backlog.
const INBOX: usize = 64;

/// The running shards. Shard 0 is a task on the caller's runtime; the others have a thread
/// of their own each.
pub struct Shards {
    first: tokio::task::JoinHandle<io::Result<()>>,
    others: Vec<oneshot::Receiver<io::Result<()>>>,
}

impl Shards {
    /// Serves `service` (the app: router and layers) on `listener` from one shard per core,
    /// until `stop` turns true; then the acceptor stops, and each shard finishes its
    /// in-flight requests. Must be called on a runtime (shard 0's).
    pub fn start<S: App>(
        listener: TcpListener,
        service: S,
        api_slots: usize,
        stop: watch::Receiver<bool>,
    ) -> Result<Self> {
        listener
            .set_nonblocking(true)
            .context("making the listening socket non-blocking")?;
        let local = listener.local_addr().context("reading the bound address")?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .context("registering the listening socket")?;
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (inboxes, receivers): (Vec<_>, Vec<_>) =
            (0..count).map(|_| mpsc::channel(INBOX)).unzip();
        let mut receivers = receivers.into_iter();
        let first_rx = receivers.next().context("no shard")?;
        let mut others = Vec::with_capacity(count - 1);
        for (index, rx) in (1..).zip(receivers) {
            let inbox = Inbox { rx, local };
            let (service, stop) = (service.clone(), stop.clone());
            let runtime = runtime(api_slots)?;
            let (done_tx, done_rx) = oneshot::channel();
            std::thread::Builder::new()
                .name(format!("shard-{index}"))
                .spawn(move || {
                    // The receiver is gone only when the process is exiting anyway.
                    let _ = done_tx.send(runtime.block_on(serve(inbox, service, stop)));
                })
                .with_context(|| format!("starting shard {index}"))?;
            others.push(done_rx);
        }
        let inbox = Inbox {
            rx: first_rx,
            local,
        };
        tokio::spawn(deal(listener, inboxes, stop.clone()));
        let first = tokio::spawn(serve(inbox, service, stop));
        Ok(Shards { first, others })
    }

    /// Waits until every shard has stopped, and reports the first that failed.
    pub async fn finished(self) -> Result<()> {
        self.first
            .await
            .context("shard 0 panicked")?
            .context("shard 0 serving")?;
        for (i, done) in self.others.into_iter().enumerate() {
            let index = i + 1;
            done.await
                .with_context(|| format!("shard {index} ended without a result"))?
                .with_context(|| format!("shard {index} serving"))?;
        }
        Ok(())
    }
}

type Connection = (std::net::TcpStream, SocketAddr);

/// The acceptor: accepts until `stop`, and hands each connection to the next shard in turn.
async fn deal(
    mut listener: tokio::net::TcpListener,
    inboxes: Vec<mpsc::Sender<Connection>>,
    mut stop: watch::Receiver<bool>,
) {
    for inbox in inboxes.iter().cycle() {
        // axum's accept: it logs and backs off on errors (out of descriptors, ...).
        let accepted = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            _ = stop.wait_for(|stop| *stop) => return,
        };
        let (stream, addr) = accepted;
        // Off this shard's reactor, so that the next one can register it with its own.
        match stream.into_std() {
            Ok(stream) => {
                if inbox.send((stream, addr)).await.is_err() {
                    // That shard has stopped: so is the server.
                    return;
                }
            }
            Err(e) => warn!(error = %e, "dropping a connection that cannot be handed over"),
        }
    }
}

/// A shard's side of the acceptor: axum's `serve` takes its connections from here.
struct Inbox {
    rx: mpsc::Receiver<Connection>,
    local: SocketAddr,
}

impl Listener for Inbox {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.rx.recv().await {
                Some((stream, addr)) => match tokio::net::TcpStream::from_std(stream) {
                    Ok(stream) => return (stream, addr),
                    Err(e) => warn!(error = %e, "dropping a connection this shard cannot take"),
                },
                // The acceptor has stopped: no connection will come, and the graceful
                // shutdown that stopped it is finishing this shard's.
                None => std::future::pending::<()>().await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// What a shard serves: one clone per request, as hyper's connections ask of a tower service.
pub trait App:
    Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + 'static
{
}

impl<S> App for S where
    S: Service<Request, Response = Response, Error = Infallible, Future: Send>
        + Clone
        + Send
        + 'static
{
}

async fn serve<S: App>(
    inbox: Inbox,
    service: S,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    axum::serve(inbox, service.into_make_service())
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stop| *stop).await;
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::io::{Read, Write};

    /// Each connection's answer names the thread that served it. Blocking, so on the blocking
    /// pool: the shards run on this test's runtime thread too.
    async fn served_by(addr: SocketAddr) -> String {
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).expect("connect");
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                .expect("send");
            let mut answer = String::new();
            stream.read_to_string(&mut answer).expect("read");
            answer
        })
        .await
        .expect("the client thread");
        answer.split("\r\n\r\n").nth(1).expect("a body").to_string()
    }

    #[test]
    fn connections_are_dealt_to_every_shard_in_turn_and_stop_ends_them() {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        runtime(1).expect("runtime").block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("addr");
            let app = axum::Router::new().route(
                "/",
                get(|| async {
                    let thread = std::thread::current();
                    thread.name().unwrap_or("unnamed").to_string()
                }),
            );
            let (stop_tx, stop_rx) = watch::channel(false);
            let shards = Shards::start(listener, app, 1, stop_rx).expect("start");
            let mut names = Vec::new();
            for _ in 0..2 * count {
                names.push(served_by(addr).await);
            }
            // In turn: connection i went to shard i % count, each shard on its own thread.
            for (i, name) in names.iter().enumerate() {
                assert_eq!(name, &names[i % count], "connection {i}: {names:?}");
            }
            let mut distinct = names.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), count, "{names:?}");
            for index in 1..count {
                assert!(names.contains(&format!("shard-{index}")), "{names:?}");
            }

            stop_tx.send(true).expect("stop");
            tokio::time::timeout(std::time::Duration::from_secs(10), shards.finished())
                .await
                .expect("every shard stops")
                .expect("and none failed");
            assert!(
                tokio::net::TcpStream::connect(addr).await.is_err(),
                "nothing accepts after the stop"
            );
        });
    }
}
