//! The command line: serve, migrate, and the operator's client, user and config commands.

mod audit_tail;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::oauth::clients::{self, NewClient};
use crate::oauth::users;
use crate::startup::{self, Application};
use crate::storage::{self, Store};

use crate::telemetry;
use crate::tokens::{jwt, keys};

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
    Add { username: String },
    /// List users.
    List,
    /// Remove a user and revoke their grants.
    Remove { username: String },
    /// Set a user's password (prompt, or stdin when piped).
    SetPassword { username: String },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let serve_args = match &cli.command {
        Some(Command::Serve(args)) => Some(args),
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.config.clone(),
        database_url: cli.database_url.clone(),
        bind: serve_args.and_then(|a| a.bind.clone()),
        public_url: serve_args.and_then(|a| a.public_url.clone()),
    };
    let settings = Settings::load(&overrides)?;
    // Operator commands print their own results; only warnings belong on stderr, and not
    // sqlx's "slow statement" (a migration on a busy machine is no news to the operator).
    let serving = serve_args.is_some() || cli.command.is_none();
    if !serving {
        telemetry::init(settings.server.log_format, "warn,sqlx::query=error");
    }
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(_) => {
            let telemetry = telemetry::init_with_traces(
                settings.server.log_format,
                &settings.server.log_filter,
                &settings.telemetry,
            )?;
            let served = serve(settings).await;
            telemetry.shutdown().await;
            served
        }
        Command::Migrate => {
            let store = Store::connect(&settings.database).await?;
            store.migrate().await?;
            println!("migrations applied to {}", settings.database.url.redacted());
            Ok(())
        }
        Command::PrintConfig => {
            print!("{}", settings.to_redacted_toml()?);
            Ok(())
        }
        Command::Clients(command) => clients_command(&settings, command).await,
        Command::Users(command) => users_command(&settings, command).await,
        Command::Keys(command) => keys_command(&settings, command).await,
        Command::Audit(AuditCommand::Tail { since, limit }) => {
            let store = startup::prepare_store(&settings).await?;
            audit_tail::tail(&store, &since, limit).await
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    if let Some(password) = &app.generated_admin_password {
        // Printed once, to the terminal, never to the log stream.
        eprintln!(
            "\n  First start: created user 'admin' with password: {password}\n  \
             Change it with `mcp-oauth users set-password admin`.\n"
        );
    }
    startup::print_generated_secrets(&app.generated_client_secrets);
    let settings = &app.state().settings;
    tracing::info!(
        bind = %settings.server.bind,
        port = app.port(),
        issuer = %settings.issuer(),
        database = %settings.database.url.redacted(),
        "mcp-oauth listening"
    );
    app.run_until_stopped(startup::shutdown_signal()).await
}

async fn clients_command(settings: &Settings, command: ClientsCommand) -> anyhow::Result<()> {
    let store = startup::prepare_store(settings).await?;
    match command {
        ClientsCommand::Add {
            id,
            name,
            redirect_uris,
            scopes,
            mut grant_types,
            public,
        } => {
            if grant_types.is_empty() {
                grant_types = vec![
                    clients::GRANT_AUTHORIZATION_CODE.into(),
                    clients::GRANT_REFRESH_TOKEN.into(),
                ];
                if !public {
                    grant_types.push(clients::GRANT_CLIENT_CREDENTIALS.into());
                }
            }
            let scopes = scopes
                .iter()
                .flat_map(|s| s.split_whitespace().map(String::from))
                .collect();
            let new = NewClient {
                id,
                name,
                confidential: !public,
                secret: None,
                redirect_uris,
                scopes,
                grant_types,
                origin: "cli",
                application_type: None,
            };
            let registered = clients::register(&store, new).await?;
            println!("client_id: {}", registered.record.id);
            if let Some(secret) = registered.secret {
                println!("client_secret: {secret}");
                println!("(the secret is shown once; only its hash is stored)");
            }
        }
        ClientsCommand::List => {
            for c in store.list_clients().await? {
                let kind = if c.is_confidential() {
                    "confidential"
                } else {
                    "public"
                };
                println!("{}\t{}\t{}\t{}\t{}", c.id, kind, c.origin, c.scopes, c.name);
            }
        }
        ClientsCommand::Show { id } => {
            let c = store
                .get_client(&id)
                .await?
                .with_context(|| format!("no client with id {id:?}"))?;
            println!("client_id: {}", c.id);
            println!("name: {}", c.name);
            println!(
                "type: {}",
                if c.is_confidential() {
                    "confidential"
                } else {
                    "public"
                }
            );
            println!(
                "token_endpoint_auth_method: {}",
                c.token_endpoint_auth_method
            );
            println!("redirect_uris: {}", c.redirect_uris);
            println!("scopes: {}", c.scopes);
            println!("grant_types: {}", c.grant_types);
            println!("registered_by: {}", c.origin);
            println!("created_at: {}", c.created_at);
        }
        ClientsCommand::Remove { id } => {
            if !store.delete_client(&id, storage::unix_now()).await? {
                bail!("no client with id {id:?}");
            }
            println!("removed client {id} and revoked its tokens");
        }
        ClientsCommand::RotateSecret { id } => {
            let secret = clients::rotate_secret(&store, &id).await?;
            println!("client_id: {id}");
            println!("client_secret: {secret}");
            println!("(the secret is shown once; the old secret no longer works)");
        }
    }
    Ok(())
}

async fn users_command(settings: &Settings, command: UsersCommand) -> anyhow::Result<()> {
    let store = startup::prepare_store(settings).await?;
    match command {
        UsersCommand::Add { username } => {
            users::add_user(&store, &username, read_password()?).await?;
            println!("added user {username}");
        }
        UsersCommand::List => {
            for u in store.list_users().await? {
                println!("{}\t{}", u.username, u.created_at);
            }
        }
        UsersCommand::Remove { username } => {
            if !store.delete_user(&username, storage::unix_now()).await? {
                bail!("no user named {username:?}");
            }
            println!("removed user {username} and revoked their grants");
        }
        UsersCommand::SetPassword { username } => {
            users::set_password(&store, &username, read_password()?).await?;
            println!("password changed for {username}");
        }
    }
    Ok(())
}

async fn keys_command(settings: &Settings, command: KeysCommand) -> anyhow::Result<()> {
    let store = startup::prepare_store(settings).await?;
    keys::ensure_active_key(&store).await?;
    match command {
        KeysCommand::List => {
            let now = storage::unix_now();
            for key in store.all_signing_keys().await? {
                let state = match (key.activated_at, key.retired_at, key.publish_until) {
                    (_, Some(_), Some(until)) if until <= now => "expired",
                    (_, Some(_), _) => "retired (still published)",
                    (Some(_), None, _) => "active",
                    (None, None, _) => "pre-published",
                };
                println!(
                    "{}\t{}\t{}\tcreated {}",
                    key.kid, key.algorithm, state, key.created_at
                );
            }
        }
        KeysCommand::Rotate { prepublish: true } => {
            let kid = keys::prepublish(&store).await?;
            println!("pre-published key {kid}; it signs after the next `keys rotate`");
        }
        KeysCommand::Rotate { prepublish: false } => {
            // Retired keys verify until the longest-lived token they signed has expired.
            let grace = settings.tokens.access_ttl_secs + jwt::LEEWAY_SECS as i64;
            let kid = keys::rotate(&store, grace).await?;
            crate::audit::write(
                &store,
                "key_rotated",
                None,
                None,
                serde_json::json!({ "kid": kid }),
            )
            .await?;
            println!("key {kid} now signs; running servers pick it up within seconds");
        }
    }
    Ok(())
}

/// A password from a hidden prompt (asked twice) or, when piped, one line of stdin.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            bail!("the passwords do not match");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if password.is_empty() {
            bail!("no password on stdin");
        }
        Ok(password)
    }
}
