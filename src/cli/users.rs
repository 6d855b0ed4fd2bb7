//! `users …`: the people who log in to approve clients, and how their passwords are typed.

use std::io::{BufRead, IsTerminal};

use anyhow::bail;

use super::UsersCommand;
use crate::config::Settings;
use crate::oauth::users;
use crate::startup;
use crate::storage;

pub(super) async fn run(settings: &Settings, command: UsersCommand) -> anyhow::Result<()> {
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
