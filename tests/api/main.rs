//! One integration-test binary: every feature's tests against the real HTTP surface.

mod browser;
mod helpers;

mod admission;
mod audit_tail;
mod authorize;
mod browser_e2e;
mod cli;
mod config;
mod consent;
mod env_example;
mod faults;
mod fuzz;
mod group_commit;
mod health;
mod hostile;
mod keys;
mod maintenance;
mod mcp;
mod mcp_client;
mod memory;
mod metadata_documents;
mod metrics;
mod otel;
mod pages;
mod protected;
mod races;
mod rate_limits;
mod register;
mod revoke_introspect;
mod seeding;
mod sessions;
mod tls;
mod token_client_credentials;
mod token_code;
mod token_refresh;
