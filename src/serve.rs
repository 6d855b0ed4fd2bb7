//! The accept loop: hyper (through hyper-util) with a header-read timeout and a cap on open
//! connections, over plain TCP or in-process TLS.
//!
//! `axum::serve` has neither, so half-sent requests (slowloris) held sockets for as long as
//! the client liked. Here a connection that has not sent a complete request head within
//! `server.header_read_timeout_secs` is closed, including one that sent nothing yet and an
//! idle keep-alive one; and at most `server.max_connections` are served at once, the next
//! ones waiting in the kernel's listen backlog until one closes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How connections are served.
#[derive(Clone)]
pub struct ServeOptions {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub tls: Option<axum_server::tls_rustls::RustlsConfig>,
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open connections finish
/// their current request (the caller bounds how long) and returns once all have closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let tls = options.tls.clone().map(|config| {
        axum_server::tls_rustls::RustlsAcceptor::new(config)
            .handshake_timeout(options.header_read_timeout)
    });
    tokio::pin!(shutdown);
    loop {
        // A slot first: beyond the cap, new connections wait unaccepted.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the connection semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(axum::body::Body::new)
            });
        let watcher = graceful.watcher();
        let timeout = options.header_read_timeout;
        let tls = tls.clone();
        tokio::spawn(async move {
            // Dropped last: the socket is closed before the slot is given back.
            let _slot = slot;
            match tls {
                None => {
                    if first_byte_within(&stream, timeout).await {
                        serve_connection(stream, service, timeout, watcher).await;
                    }
                }
                Some(acceptor) => {
                    use axum_server::accept::Accept;
                    match acceptor.accept(stream, ()).await {
                        Ok((stream, _tls_service)) => {
                            serve_connection(stream, service, timeout, watcher).await;
                        }
                        Err(error) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                    }
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// hyper-util's protocol detection reads the first bytes with no timer of its own, so a
/// connection that never sends anything would wait there for ever.
async fn first_byte_within(stream: &TcpStream, timeout: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(timeout, stream.peek(&mut byte)).await,
        Ok(Ok(n)) if n > 0
    )
}

async fn serve_connection<I, S>(
    io: I,
    service: S,
    header_read_timeout: Duration,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            http::Request<Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service))
        .into_owned();
    if let Err(error) = watcher.watch(connection).await {
        tracing::trace!(%error, "connection ended with an error");
    }
}
