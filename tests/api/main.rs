//! One integration-test binary: every feature's tests against the real HTTP surface.

mod browser;
mod helpers;

mod authorize;
mod browser_e2e;
mod cli;
mod config;
mod consent;
mod health;
mod keys;
mod mcp;
mod mcp_client;
mod pages;
mod protected;
mod register;
mod revoke_introspect;
mod seeding;
mod sessions;
mod token_client_credentials;
mod token_code;
mod token_refresh;
