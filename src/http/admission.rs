//! Admission control for the OAuth back-channel endpoints (token, introspection, revocation).
//!
//! Each of those calls does database work and CPU work (signing, hashing) several times that of
//! an MCP call. Run flat out from many connections, they filled the run queue, and an MCP call
//! arriving meanwhile waited behind all of them: the load benchmark's (g) saw the p99 of a
//! protected call rise from 0.7 ms to 12 ms. At most a few of them now run at a time per core;
//! the rest wait here, holding nothing but their connection, so MCP calls (the hot path, with
//! tokens that last an hour) keep their latency. Throughput of the token endpoint is unchanged:
//! it was bounded by the core, not by how many calls were in flight.

use tokio::sync::{Semaphore, SemaphorePermit};

/// Back-channel calls allowed to run at once, per core the process may use.
const PER_CORE: usize = 4;

pub struct Admission(Semaphore);

impl Admission {
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self(Semaphore::new(cores * PER_CORE))
    }

    /// Waits for a slot; the request holds it until its response is built.
    pub async fn enter(&self) -> SemaphorePermit<'_> {
        self.0
            .acquire()
            .await
            .expect("the admission semaphore is never closed")
    }
}
