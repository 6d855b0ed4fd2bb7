//! `users …`: the people who log in to approve clients, their groups, upstream identities and
//! whether they may log in, and how their passwords are typed.

use std::io::{BufRead, IsTerminal};

use anyhow::bail;

use super::UsersCommand;
use crate::config::Settings;
use crate::oauth::users;
use crate::startup;
use crate::storage::{self, IdentityRecord, Store};

pub(super) async fn run(settings: &Settings, command: UsersCommand) -> anyhow::Result<()> {
    let store = startup::prepare_store(settings).await?;
    let now = storage::unix_now();
    match command {
        UsersCommand::Add { username, groups } => {
            users::add_user_with_groups(&store, &username, read_password()?, &groups).await?;
            println!("added user {username}");
        }
        UsersCommand::List => list(&store).await?,
        UsersCommand::Remove { username } => {
            if !store.delete_user(&username, now).await? {
                bail!("no user named {username:?}");
            }
            println!("removed user {username} and revoked their grants");
        }
        UsersCommand::SetPassword { username } => {
            users::set_password(&store, &username, read_password()?).await?;
            println!("password changed for {username}");
        }
        UsersCommand::Disable { username } => {
            if !store.set_user_disabled(&username, true, now).await? {
                bail!("no user named {username:?}");
            }
            println!("disabled user {username} and revoked everything issued to them");
        }
        UsersCommand::Enable { username } => {
            if !store.set_user_disabled(&username, false, now).await? {
                bail!("no user named {username:?}");
            }
            println!("enabled user {username}");
        }
        UsersCommand::SetGroups { username, groups } => {
            let groups = users::validate_groups(&groups)?;
            if !store.set_user_groups(&username, &groups, now).await? {
                bail!("no user named {username:?}");
            }
            println!("groups of {username}: {groups}");
        }
        UsersCommand::Link {
            username,
            provider,
            issuer,
            subject,
        } => {
            let Some(user) = store.get_user_by_username(&username).await? else {
                bail!("no user named {username:?}");
            };
            let identity = IdentityRecord {
                issuer: issuer.clone(),
                subject: subject.clone(),
                user_id: user.id,
                provider_id: provider,
                email: None,
                groups: String::new(),
                created_at: now,
                last_login_at: now,
            };
            match store.insert_identity(&identity).await {
                Ok(()) => println!("linked {issuer} {subject} to {username}"),
                Err(e) if storage::is_unique_violation(&e) => {
                    bail!("{issuer} {subject} is already linked; unlink it first")
                }
                Err(e) => return Err(e.into()),
            }
        }
        UsersCommand::Unlink { issuer, subject } => {
            if !store.delete_identity(&issuer, &subject).await? {
                bail!("no identity {issuer} {subject}");
            }
            println!("unlinked {issuer} {subject}");
        }
    }
    Ok(())
}

/// One line per user (name, created, state, groups), then one indented line per identity.
async fn list(store: &Store) -> anyhow::Result<()> {
    for user in store.list_users().await? {
        let state = if user.is_disabled() {
            "disabled"
        } else {
            "active"
        };
        let groups = if user.groups.is_empty() {
            "-"
        } else {
            &user.groups
        };
        println!(
            "{}\t{}\t{state}\tgroups: {groups}",
            user.username, user.created_at
        );
        for identity in store.identities_of(&user.id).await? {
            let email = identity.email.as_deref().unwrap_or("-");
            println!(
                "  identity {}\t{}\t{}\temail: {email}\tgroups: {}",
                identity.provider_id,
                identity.issuer,
                identity.subject,
                if identity.groups.is_empty() {
                    "-"
                } else {
                    &identity.groups
                }
            );
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
