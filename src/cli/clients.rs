//! `clients …`: register, list, show, remove and re-key OAuth clients from the shell.

use anyhow::{Context, bail};

use super::ClientsCommand;
use crate::config::Settings;
use crate::mcp::Catalog;
use crate::oauth::clients::{self, NewClient};
use crate::oauth::scope::ScopeSet;
use crate::startup;
use crate::storage::{self, ClientRecord};

pub(super) async fn run(
    settings: &Settings,
    command: ClientsCommand,
    catalog: &Catalog,
) -> anyhow::Result<()> {
    let store = startup::prepare_store(settings).await?;
    match command {
        ClientsCommand::Add {
            id,
            name,
            redirect_uris,
            scopes,
            grant_types,
            public,
        } => {
            let grant_types = if grant_types.is_empty() {
                clients::default_grant_types(!public)
            } else {
                grant_types
            };
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
            let known = ScopeSet::from_list(catalog.scope_names());
            let registered = clients::register(&store, new, &known).await?;
            println!("client_id: {}", registered.record.id);
            if let Some(secret) = registered.secret {
                println!("client_secret: {secret}");
                println!("(the secret is shown once; only its hash is stored)");
            }
        }
        ClientsCommand::List => {
            for c in store.list_clients().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.id,
                    kind(&c),
                    c.origin,
                    c.scopes,
                    c.name
                );
            }
        }
        ClientsCommand::Show { id } => {
            let c = store
                .get_client(&id)
                .await?
                .with_context(|| format!("no client with id {id:?}"))?;
            println!("client_id: {}", c.id);
            println!("name: {}", c.name);
            println!("type: {}", kind(&c));
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

fn kind(client: &ClientRecord) -> &'static str {
    if client.is_confidential() {
        "confidential"
    } else {
        "public"
    }
}
