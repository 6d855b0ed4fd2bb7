//! OAuth protocol logic, free of HTTP types: clients, scopes, users, grants.

pub mod clients;
pub mod redirect_uri;
pub mod scope;
pub mod users;
