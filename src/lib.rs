//! mcp-oauth: an OAuth 2.1 authorization server and a remote MCP server in one process.

pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod gateway;
pub mod http;
pub mod maintenance;
pub mod mcp;
pub mod memory;
pub mod oauth;
pub mod serve;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod timefmt;
pub mod tokens;
