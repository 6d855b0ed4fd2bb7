//! The command line as clap reads it: serve, migrate, and the operator's client, user, key,
//! audit and config commands. Each group runs in its own file; `run` dispatches.

mod audit_tail;
mod clients;
pub mod dispatch;
mod keys;
mod serve;
mod users;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mcp-oauth",
    version,
    about = "OAuth 2.1 authorization server and remote MCP server"
)]
pub struct Cli {
    /// TOML configuration file (also MCP_OAUTH_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://… (overrides config and DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage OAuth clients.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Manage users who log in to approve clients.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage the ES256 keys that sign access tokens.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the effective configuration, secrets redacted.
    PrintConfig,
    /// Read the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print recent events, oldest first: time, event, client_id, subject, detail.
    Tail {
        /// How far back to look: 90s, 30m, 1h, 2d, 1w.
        #[arg(long, default_value = "1h")]
        since: String,
        /// At most this many events (the newest ones).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys: active, pre-published and retired.
    List,
    /// Start signing with a new key (or the pre-published one). The old key stays in the
    /// JWKS until every token it signed has expired.
    Rotate {
        /// Only publish the next key in the JWKS; a later `keys rotate` activates it.
        #[arg(long)]
        prepublish: bool,
    },
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:5000.
    #[arg(long)]
    pub bind: Option<String>,
    /// Public base URL (the issuer), e.g. https://mcp.example.com.
    #[arg(long)]
    pub public_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Register a client; a confidential client's secret is printed once.
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Registered redirect URI (repeatable).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Allowed scope (repeatable, or space-separated).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Grant type (repeatable); default authorization_code and refresh_token,
        /// plus client_credentials for confidential clients.
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// A public client (PKCE, no secret).
        #[arg(long)]
        public: bool,
    },
    /// List clients.
    List,
    /// Show one client.
    Show { id: String },
    /// Remove a client and revoke everything issued to it.
    Remove { id: String },
    /// Replace a client's secret; the new secret is printed once.
    RotateSecret { id: String },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read from a prompt, or from stdin when piped.
    Add {
        username: String,
        /// A group for the scope policy (`[[scopes.policy]]`); repeat for more.
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// List users with their groups, state and upstream identities.
    List,
    /// Remove a user and revoke their grants.
    Remove { username: String },
    /// Set a user's password (prompt, or stdin when piped).
    SetPassword { username: String },
    /// Refuse the user's logins and revoke everything issued to them; the account stays.
    Disable { username: String },
    /// Let a disabled user log in again (nothing revoked comes back).
    Enable { username: String },
    /// Replace a user's groups (none given: no groups).
    SetGroups {
        username: String,
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// Link an upstream identity (the provider's issuer and `sub`) to an existing user, so
    /// signing in there logs in as this user.
    Link {
        username: String,
        /// The `[[login.oidc]]` id the identity belongs to.
        #[arg(long)]
        provider: String,
        /// The provider's issuer URL, exactly as in its ID tokens.
        #[arg(long)]
        issuer: String,
        /// The person's `sub` at the provider.
        #[arg(long)]
        subject: String,
    },
    /// Remove the link between an upstream identity and its user.
    Unlink {
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        subject: String,
    },
}
