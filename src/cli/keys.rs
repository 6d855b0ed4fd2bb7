//! `keys …`: list the signing keys and rotate them; the rules live in `tokens::keys`.

use super::KeysCommand;
use crate::config::Settings;
use crate::startup;
use crate::storage;
use crate::tokens::keys::{self, KeyState};

pub(super) async fn run(settings: &Settings, command: KeysCommand) -> anyhow::Result<()> {
    let store = startup::prepare_store(settings).await?;
    keys::ensure_active_key(&store).await?;
    match command {
        KeysCommand::List => {
            let now = storage::unix_now();
            for key in store.all_signing_keys().await? {
                println!(
                    "{}\t{}\t{}\tcreated {}",
                    key.kid,
                    key.algorithm,
                    KeyState::of(&key, now).label(),
                    key.created_at
                );
            }
        }
        KeysCommand::Rotate { prepublish: true } => {
            let kid = keys::prepublish(&store).await?;
            println!("pre-published key {kid}; it signs after the next `keys rotate`");
        }
        KeysCommand::Rotate { prepublish: false } => {
            let grace = keys::retire_grace(settings.tokens.access_ttl_secs);
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
