//! Settings that hold secrets, and how they are kept out of logs and `print-config`.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use url::Url;

/// A database URL whose password never reaches a log or `print-config`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("redacted"));
                url.to_string()
            }
            _ => self.0.clone(),
        }
    }
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSettings {
    #[serde(serialize_with = "redact_option")]
    pub admin_password: Option<String>,
}

impl fmt::Debug for BootstrapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootstrapSettings")
            .field("admin_password", &redacted(&self.admin_password))
            .finish()
    }
}

/// What `Debug` shows for an optional secret: whether it is set, never its value.
pub(super) fn redacted(value: &Option<String>) -> Option<&'static str> {
    value.as_ref().map(|_| "<redacted>")
}

/// What `print-config` shows for an optional secret.
pub(super) fn redact_option<S: Serializer>(
    value: &Option<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_str("<redacted>"),
        None => s.serialize_none(),
    }
}
