//! The scope policy (`[[scopes.policy]]`): which scopes a person may grant, given their
//! username and groups (the operator's, plus each upstream identity's as last seen). The
//! consent page offers only those, and a code never carries more.

use std::collections::BTreeSet;

use anyhow::bail;

use super::AuthServer;
use super::scope::ScopeSet;
use crate::config::ScopePolicyRule;

/// A requested scope this person may not grant, and why, in words for the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    pub scope: String,
    pub reason: String,
}

/// The rules, checked against the catalogue's scopes once at start.
#[derive(Debug, Clone, Default)]
pub struct ScopePolicy {
    rules: Vec<ScopePolicyRule>,
}

impl ScopePolicy {
    /// Refuses rules naming a scope the catalogue does not declare (a typo would otherwise
    /// leave the scope open to everyone).
    pub fn new(rules: &[ScopePolicyRule], known: &ScopeSet) -> anyhow::Result<Self> {
        for (i, rule) in rules.iter().enumerate() {
            if let Some(unknown) = rule.scopes.iter().find(|s| !known.contains(s)) {
                bail!(
                    "scopes.policy[{i}] names {unknown:?}, which no tool, resource or prompt declares"
                );
            }
        }
        Ok(Self {
            rules: rules.to_vec(),
        })
    }

    /// Splits `requested` into what `username` (in `groups`) may grant and what is withheld.
    pub fn split(
        &self,
        username: &str,
        groups: &BTreeSet<String>,
        requested: &ScopeSet,
    ) -> (ScopeSet, Vec<Withheld>) {
        let mut allowed = Vec::new();
        let mut withheld = Vec::new();
        for scope in requested.iter() {
            let rules: Vec<&ScopePolicyRule> = self
                .rules
                .iter()
                .filter(|r| r.scopes.iter().any(|s| s == scope))
                .collect();
            let permitted = rules.is_empty()
                || rules.iter().any(|rule| {
                    rule.users.iter().any(|u| u.eq_ignore_ascii_case(username))
                        || rule.groups.iter().any(|g| groups.contains(g))
                });
            if permitted {
                allowed.push(scope.to_owned());
            } else {
                withheld.push(Withheld {
                    scope: scope.to_owned(),
                    reason: reason(&rules),
                });
            }
        }
        (ScopeSet::from_list(allowed), withheld)
    }
}

/// "only members of ops or dba, or alice, may grant it"
fn reason(rules: &[&ScopePolicyRule]) -> String {
    let groups: BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r.groups.iter().map(String::as_str))
        .collect();
    let users: BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r.users.iter().map(String::as_str))
        .collect();
    let groups: Vec<&str> = groups.into_iter().collect();
    let users: Vec<&str> = users.into_iter().collect();
    let who = match (groups.is_empty(), users.is_empty()) {
        (false, false) => format!(
            "members of {} or {}",
            groups.join(" or "),
            users.join(" or ")
        ),
        (false, true) => format!("members of {}", groups.join(" or ")),
        _ => users.join(" or "),
    };
    format!("only {who} may grant it")
}

impl AuthServer {
    /// What `user_id` may grant out of `requested`, reading their groups now (operator
    /// groups and each upstream identity's groups as of its last login).
    pub async fn grantable(
        &self,
        user_id: &str,
        requested: &ScopeSet,
    ) -> anyhow::Result<(ScopeSet, Vec<Withheld>)> {
        let Some(user) = self.store.get_user_by_id(user_id).await? else {
            bail!("no user {user_id}");
        };
        let mut groups: BTreeSet<String> = user.group_list().into_iter().collect();
        for identity in self.store.identities_of(user_id).await? {
            groups.extend(identity.group_list());
        }
        Ok(self.policy.split(&user.username, &groups, requested))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(scopes: &[&str], groups: &[&str], users: &[&str]) -> ScopePolicyRule {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        ScopePolicyRule {
            scopes: owned(scopes),
            groups: owned(groups),
            users: owned(users),
        }
    }

    fn known() -> ScopeSet {
        ScopeSet::from_list(["mcp:tools", "system:read", "system:monitor"])
    }

    #[test]
    fn only_the_named_groups_and_users_may_grant_a_ruled_scope() {
        let policy =
            ScopePolicy::new(&[rule(&["system:monitor"], &["ops"], &["alice"])], &known()).unwrap();
        let requested = ScopeSet::from_list(["mcp:tools", "system:monitor"]);
        let ops: BTreeSet<String> = ["ops".to_owned()].into();
        let (allowed, withheld) = policy.split("bob", &ops, &requested);
        assert_eq!(allowed, requested, "a member of ops may grant both");
        let (allowed, _) = policy.split("ALICE", &BTreeSet::new(), &requested);
        assert_eq!(allowed, requested, "alice is named, case-insensitively");
        let (allowed, withheld_now) = policy.split("bob", &BTreeSet::new(), &requested);
        assert!(withheld.is_empty());
        assert_eq!(allowed, ScopeSet::from_list(["mcp:tools"]));
        assert_eq!(
            withheld_now,
            vec![Withheld {
                scope: "system:monitor".into(),
                reason: "only members of ops or alice may grant it".into(),
            }]
        );
    }

    #[test]
    fn without_rules_everyone_may_grant_everything() {
        let policy = ScopePolicy::new(&[], &known()).unwrap();
        let (allowed, withheld) = policy.split("bob", &BTreeSet::new(), &known());
        assert_eq!((allowed, withheld.len()), (known(), 0));
    }

    #[test]
    fn a_rule_naming_an_undeclared_scope_stops_start_up() {
        let error = ScopePolicy::new(&[rule(&["system:monitr"], &["ops"], &[])], &known());
        assert!(error.unwrap_err().to_string().contains("system:monitr"));
    }
}
