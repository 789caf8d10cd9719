//! Serving connections: a cap on how many are open at once, and deadlines on how long one may
//! sit without sending a request.
//!
//! - The listener accepts only while fewer than `max_connections` are open; the others wait,
//!   unaccepted, in the kernel's queue until one closes. Memory and file descriptors stay
//!   bounded however many clients connect.
//! - A request's head must arrive within `header_timeout`, counted from its first byte (from
//!   the connection's start for its first request), so a client trickling headers is cut off.
//! - A kept-alive connection may wait `idle_timeout` for its next request.
//! - While a request is being served (its response not yet fully written), neither applies:
//!   the body has its own deadline (`limits::body_deadline`) and handlers take what they take.
//!
//! hyper's own header timer starts whenever a connection waits for a request, so it would cut
//! idle connections at the header timeout; the timers here tell the two apart. The connection
//! (its I/O) and the requests served on it share a small state for that.

use crate::state::Metrics;
use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How many connections, and how long each may wait for a request.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

/// What a connection is waiting for, when no request is being served on it.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    /// Its first request, since it was accepted.
    First(Instant),
    /// The next request on a kept-alive connection, since the last response ended.
    Next(Instant),
    /// The rest of a request head whose first bytes came at this instant.
    Head(Instant),
}

struct Phase {
    /// Requests being served (several at once on HTTP/2).
    serving: usize,
    waiting: Waiting,
    /// The connection's task, woken when a request ends so its idle deadline is armed.
    reader: Option<Waker>,
}

/// What a connection's I/O and its requests share.
struct ConnState {
    phase: Mutex<Phase>,
    limits: ConnLimits,
}

impl ConnState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The deadline by which the next bytes must come, if the connection is waiting; keeps
    /// the reader's waker so the end of a request can wake it.
    fn deadline(&self, waker: &Waker) -> Option<Instant> {
        let mut p = self.lock();
        if !p.reader.as_ref().is_some_and(|w| w.will_wake(waker)) {
            p.reader = Some(waker.clone());
        }
        if p.serving > 0 {
            return None;
        }
        Some(match p.waiting {
            Waiting::First(t) | Waiting::Head(t) => t + self.limits.header_timeout,
            Waiting::Next(t) => t + self.limits.idle_timeout,
        })
    }

    /// Bytes came in: on an idle kept-alive connection, a request head has begun.
    fn bytes_arrived(&self) {
        let mut p = self.lock();
        if p.serving == 0
            && let Waiting::Next(_) = p.waiting
        {
            p.waiting = Waiting::Head(Instant::now());
        }
    }

    fn request_started(self: &Arc<Self>) -> Serving {
        self.lock().serving += 1;
        Serving(self.clone())
    }
}

/// A request being served; dropped when its response body has been written (or abandoned).
struct Serving(Arc<ConnState>);

impl Drop for Serving {
    fn drop(&mut self) {
        let mut p = self.0.lock();
        p.serving -= 1;
        if p.serving == 0 {
            p.waiting = Waiting::Next(Instant::now());
            if let Some(w) = p.reader.take() {
                w.wake();
            }
        }
    }
}

/// A connection's socket, closed (as a timed-out read) when a deadline passes while it waits.
pub struct TimedIo {
    io: TcpStream,
    state: Arc<ConnState>,
    timer: Pin<Box<Sleep>>,
    armed_for: Option<Instant>,
    _open: OpenConnection,
}

/// Holds one of the listener's permits and counts the connection in `/metrics`.
struct OpenConnection {
    _permit: OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
}

impl OpenConnection {
    fn new(permit: OwnedSemaphorePermit, metrics: Arc<Metrics>) -> Self {
        metrics::with_local_recorder(&metrics.recorder, || {
            metrics::gauge!("gatehouse_http_connections_open").increment(1);
        });
        Self {
            _permit: permit,
            metrics,
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics::with_local_recorder(&self.metrics.recorder, || {
            metrics::gauge!("gatehouse_http_connections_open").decrement(1);
        });
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.state.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.state.deadline(cx.waker()) else {
                    return Poll::Pending;
                };
                if this.armed_for != Some(deadline) {
                    this.timer.as_mut().reset(deadline);
                    this.armed_for = Some(deadline);
                }
                if this.timer.as_mut().poll(cx).is_ready() {
                    tracing::debug!("closing a connection that sent no request in time");
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no request arrived in time",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A TCP listener that accepts only while fewer than `max_connections` are open.
pub struct CappedListener {
    listener: TcpListener,
    permits: Arc<Semaphore>,
    limits: ConnLimits,
    metrics: Arc<Metrics>,
}

impl CappedListener {
    pub fn new(listener: TcpListener, limits: ConnLimits, metrics: Arc<Metrics>) -> Self {
        Self {
            listener,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
            metrics,
        }
    }
}

impl Listener for CappedListener {
    type Io = TimedIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TimedIo, SocketAddr) {
        // Wait for a free place before accepting: the ones beyond the cap stay queued.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the connection semaphore is never closed");
        loop {
            match self.listener.accept().await {
                Ok((io, addr)) => {
                    let state = Arc::new(ConnState {
                        phase: Mutex::new(Phase {
                            serving: 0,
                            waiting: Waiting::First(Instant::now()),
                            reader: None,
                        }),
                        limits: self.limits,
                    });
                    let io = TimedIo {
                        io,
                        state,
                        timer: Box::pin(tokio::time::sleep(self.limits.header_timeout)),
                        armed_for: None,
                        _open: OpenConnection::new(permit, self.metrics.clone()),
                    };
                    return (io, addr);
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// Makes each connection's service: the router, told the client's address (as
/// `ConnectInfo<SocketAddr>`) and counting the requests it serves on the connection.
#[derive(Clone)]
pub struct ServeConnections {
    router: Router,
}

impl ServeConnections {
    /// `with_state(())` turns every handler into its finished service once, here, as
    /// `into_make_service` does; a router called as it is would build each handler's service
    /// (with every layer) again for every request.
    pub fn new(router: Router) -> Self {
        Self {
            router: router.with_state(()),
        }
    }
}

impl tower::Service<IncomingStream<'_, CappedListener>> for ServeConnections {
    type Response = ConnectionService;
    type Error = Infallible;
    type Future = std::future::Ready<Result<ConnectionService, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, CappedListener>) -> Self::Future {
        std::future::ready(Ok(ConnectionService {
            router: self.router.clone(),
            state: stream.io().state.clone(),
            peer: *stream.remote_addr(),
        }))
    }
}

/// The service of one connection.
#[derive(Clone)]
pub struct ConnectionService {
    router: Router,
    state: Arc<ConnState>,
    peer: SocketAddr,
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl tower::Service<Request> for ConnectionService {
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request) -> ResponseFuture {
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let serving = self.state.request_started();
        let response = tower::ServiceExt::oneshot(self.router.clone(), req);
        Box::pin(async move {
            let res = response.await?;
            Ok(res.map(|body| {
                Body::new(ServingBody {
                    body,
                    _serving: serving,
                })
            }))
        })
    }
}

/// A response body that marks its request served once written (dropped).
struct ServingBody {
    body: Body,
    _serving: Serving,
}

impl HttpBody for ServingBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
