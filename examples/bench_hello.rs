//! The load benchmark's ceiling: a bare axum "hello" on the same tokio and axum as the
//! service, no middleware. `cargo run --release --example bench_hello -- 127.0.0.1:5100`

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5100".into());
    let hello = || async { "hello" };
    let app = Router::new().route("/", get(hello).post(hello));
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!("bench_hello listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
