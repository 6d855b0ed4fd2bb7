//! One integration-test binary: every feature's tests against the real HTTP surface.

mod helpers;

mod cli;
mod config;
mod health;
mod keys;
mod mcp;
mod protected;
mod revoke_introspect;
mod seeding;
mod token_client_credentials;
mod token_code;
mod token_refresh;
