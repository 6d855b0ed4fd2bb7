//! Bounded token-endpoint load that remembers every access token the server acknowledged,
//! and the check that each of them still introspects as active.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::service::http_client;
use crate::helpers::TEST_CLIENT;

/// Concurrent clients; each sends at most `MAX_REQUESTS_PER_WORKER` requests.
const WORKERS: usize = 4;
const MAX_REQUESTS_PER_WORKER: usize = 250;

#[derive(Default)]
struct Tally {
    /// Access tokens answered with 200: the server promised these exist.
    acknowledged: Vec<String>,
    /// Responses other than 200, by status (e.g. 500 while the database is down).
    refused: BTreeMap<u16, usize>,
    /// Requests that got no response (connection refused or reset: the process is gone).
    unanswered: usize,
}

impl Tally {
    /// Counts one answer (`None`: no response at all); true when it acknowledged a token.
    fn record(&mut self, answer: Option<(u16, serde_json::Value)>) -> bool {
        match answer {
            Some((200, body)) => {
                let token = body["access_token"].as_str().expect("200 has a token");
                self.acknowledged.push(token.to_string());
                true
            }
            Some((status, _)) => {
                *self.refused.entry(status).or_default() += 1;
                false
            }
            None => {
                self.unanswered += 1;
                false
            }
        }
    }
}

pub struct Load {
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
    workers: JoinSet<()>,
}

pub struct Outcome {
    pub acknowledged: Vec<String>,
    pub refused: BTreeMap<u16, usize>,
    pub unanswered: usize,
}

impl Load {
    /// Starts `WORKERS` clients asking `base` for client-credentials tokens until stopped.
    pub fn start(base: &str) -> Load {
        let tally = Arc::new(Mutex::new(Tally::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = JoinSet::new();
        for _ in 0..WORKERS {
            let (tally, stop, url) = (tally.clone(), stop.clone(), format!("{base}/oauth/token"));
            workers.spawn(async move {
                let http = http_client();
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", TEST_CLIENT.0),
                    ("client_secret", TEST_CLIENT.1),
                ];
                for _ in 0..MAX_REQUESTS_PER_WORKER {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let answer = match http.post(&url).form(&form).send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let body: serde_json::Value = response.json().await.unwrap_or_default();
                            Some((status, body))
                        }
                        Err(_) => None,
                    };
                    let acknowledged = tally.lock().unwrap().record(answer);
                    if !acknowledged {
                        // No hot loop against a dead port or a failing database.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            });
        }
        Load {
            tally,
            stop,
            workers,
        }
    }

    pub fn acknowledged(&self) -> usize {
        self.tally.lock().unwrap().acknowledged.len()
    }

    pub fn refused(&self) -> usize {
        self.tally.lock().unwrap().refused.values().sum()
    }

    /// Waits (bounded) until `predicate` holds for the load; panics with `what` otherwise.
    pub async fn wait_for(&self, what: &str, predicate: impl Fn(&Load) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !predicate(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops every client (in-flight requests finish) and returns what they saw.
    pub async fn stop(mut self) -> Outcome {
        self.stop.store(true, Ordering::Relaxed);
        while let Some(joined) = self.workers.join_next().await {
            joined.expect("load worker did not panic");
        }
        let tally = std::mem::take(&mut *self.tally.lock().unwrap());
        Outcome {
            acknowledged: tally.acknowledged,
            refused: tally.refused,
            unanswered: tally.unanswered,
        }
    }
}

/// Introspects every token at `base` (a few at a time) and names those that are not active.
/// Only counts and ids leave this function: tokens are secrets and are never printed.
pub async fn inactive_among(base: &str, tokens: &[String]) -> Vec<String> {
    let url = format!("{base}/oauth/introspect");
    let limit = Arc::new(tokio::sync::Semaphore::new(WORKERS));
    let mut checks = JoinSet::new();
    for (index, token) in tokens.iter().cloned().enumerate() {
        let (url, limit, http) = (url.clone(), limit.clone(), http_client());
        checks.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let form = [
                ("token", token.as_str()),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
            ];
            let response = http
                .post(&url)
                .form(&form)
                .send()
                .await
                .expect("introspect");
            assert_eq!(response.status(), 200, "introspection answers");
            let body: serde_json::Value = response.json().await.expect("JSON");
            (body["active"] == true).then_some(()).ok_or(index)
        });
    }
    let mut inactive = Vec::new();
    while let Some(result) = checks.join_next().await {
        if let Err(index) = result.expect("introspection task") {
            inactive.push(format!("token #{index} (jti {})", jti_of(&tokens[index])));
        }
    }
    inactive
}

/// The `jti` claim (not secret) of a JWT, to name a token in a failure message.
fn jti_of(token: &str) -> String {
    use base64::Engine;
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    claims.map_or("?".into(), |c| c["jti"].as_str().unwrap_or("?").to_string())
}
