//! Slowloris (issue 14, item 8): a request whose head does not arrive within
//! `server.header_read_timeout_secs` is closed, and at most `server.max_connections`
//! connections are served at once; the next ones wait until one closes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::Engine;
use crate::helpers::{TestApp, spawn_app_with};
use crate::on_both_engines;

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// A request head that never ends: the last header line is left open.
async fn half_sent(app: &TestApp) -> TcpStream {
    let mut stream = connect(app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        .await
        .unwrap();
    stream
}

async fn a_half_sent_request_is_closed_after_the_header_read_timeout(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.server.header_read_timeout_secs = 1)
        .await
        .unwrap();
    let mut slow = half_sent(&app).await;
    let mut silent = connect(&app).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("the half-sent request was still open after 10 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    let mut nothing = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut nothing))
        .await
        .expect("a connection that sent nothing was still open after 10 s")
        .unwrap();
    let healthy = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(healthy.status(), 200, "complete requests are still served");
}
on_both_engines!(a_half_sent_request_is_closed_after_the_header_read_timeout);

async fn connections_beyond_the_cap_wait_until_a_served_one_closes(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        s.server.header_read_timeout_secs = 1;
        s.server.max_connections = 1;
    })
    .await
    .unwrap();
    // The slow connection is first in the backlog, so it takes the only slot.
    let mut slow = half_sent(&app).await;
    let mut waiting = connect(&app).await;
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), waiting.read_to_end(&mut response))
        .await
        .expect("the waiting connection was never served")
        .unwrap();
    assert!(String::from_utf8_lossy(&response).starts_with("HTTP/1.1 200"));
    // It was served only once the slow one had been closed: that one's end is already here.
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_millis(500), slow.read_to_end(&mut rest))
        .await
        .expect("the waiting connection was served while the slot was taken")
        .unwrap();
}
on_both_engines!(connections_beyond_the_cap_wait_until_a_served_one_closes);
