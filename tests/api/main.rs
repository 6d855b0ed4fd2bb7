//! One integration-test binary: every feature's tests against the real HTTP surface.

mod helpers;

mod audit_tail;
mod cli;
mod config;
mod health;
mod keys;
mod maintenance;
mod mcp;
mod metrics;
mod protected;
mod rate_limits;
mod revoke_introspect;
mod seeding;
mod token_client_credentials;
mod token_code;
mod token_refresh;
