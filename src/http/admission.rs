//! Admission control for the OAuth back-channel endpoints (token, introspection, revocation).
//!
//! Each of those calls does database work and CPU work (signing, hashing) several times that of
//! an MCP call. Run flat out from many connections, they filled the run queue, and an MCP call
//! arriving meanwhile waited behind all of them: the load benchmark's (g) saw the p99 of a
//! protected call rise from 0.7 ms to 12 ms. At most a few of them now run at a time per core
//! (`server.oauth_concurrency_per_core`, default 4); the rest wait here, holding nothing but
//! their connection, so MCP calls (the hot path, with
//! tokens that last an hour) keep their latency. The price is token throughput where calls wait
//! on the database (Postgres commits): the load benchmark measured 4 per core at 1.8k tokens/s
//! against 4.2k unbounded, and 16 per core at 2.4k with the MCP call's p99 at 4.8× calm.

use tokio::sync::{Semaphore, SemaphorePermit};

pub struct Admission(Semaphore);

impl Admission {
    /// `per_core` calls at once for each core the process may use.
    pub fn per_core(per_core: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self(Semaphore::new(cores * per_core.max(1) as usize))
    }

    /// Waits for a slot; the request holds it until its response is built.
    pub async fn enter(&self) -> SemaphorePermit<'_> {
        self.0
            .acquire()
            .await
            .expect("the admission semaphore is never closed")
    }
}
