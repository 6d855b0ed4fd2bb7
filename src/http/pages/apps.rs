//! Connected apps: the grants a user has made, each revocable at once (refresh and access
//! tokens alike, including this process's in-memory revocation set).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cookie::session_cookie;
use super::forms::{FormBody, read_form};
use crate::http::html::{csrf_failure, error_page, format_time, internal, page, see_other};
use crate::http::state::AppState;
use crate::oauth::sessions::{self, Session};

struct AppRow {
    grant_id: String,
    client_name: String,
    client_id: String,
    scope: String,
    granted: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    username: String,
    apps: Vec<AppRow>,
    csrf_token: String,
}

async fn logged_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Session, String)>, sqlx::Error> {
    let cookie = session_cookie(&state.settings, headers);
    let Some(session) = sessions::load(&state.store, cookie).await? else {
        return Ok(None);
    };
    let Some(user_id) = session.user_id().map(str::to_string) else {
        return Ok(None);
    };
    Ok(Some((session, user_id)))
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (session, user_id) = match logged_in(&state, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return see_other("/login"),
        Err(error) => return internal(error),
    };
    let (user, grants) = match tokio::try_join!(
        state.store.get_user_by_id(&user_id),
        state.store.list_user_grants(&user_id)
    ) {
        Ok(found) => found,
        Err(error) => return internal(error),
    };
    let apps = grants
        .into_iter()
        .map(|g| AppRow {
            grant_id: g.id,
            client_name: g.client_name,
            client_id: g.client_id,
            scope: g.scope,
            granted: format_time(g.created_at),
            last_used: format_time(g.last_used_at),
        })
        .collect();
    let view = AppsPage {
        username: user.map(|u| u.username).unwrap_or_default(),
        apps,
        csrf_token: session.record.csrf_token.clone(),
    };
    page(StatusCode::OK, &view, &[])
}

#[tracing::instrument(skip_all, fields(client_id))]
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    let form = match read_form(&body) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    let (session, user_id) = match logged_in(&state, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return csrf_failure(),
        Err(error) => return internal(error),
    };
    if !session.csrf_matches(form.get("csrf_token").map(String::as_str)) {
        return csrf_failure();
    }
    let grant_id = form.get("grant_id").map(String::as_str).unwrap_or("");
    let grant = match state.store.get_grant(grant_id).await {
        Ok(Some(grant)) if grant.user_id.as_deref() == Some(user_id.as_str()) => grant,
        Ok(_) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "Not found",
                "You have no such connected app.",
            );
        }
        Err(error) => return internal(error),
    };
    tracing::Span::current().record("client_id", grant.client_id.as_str());
    if let Err(error) = state.auth.revoke_grant(&grant.id).await {
        return internal(error);
    }
    // Revoking an app also forgets the approval, so reconnecting asks again.
    if let Err(error) = state.store.delete_consent(&user_id, &grant.client_id).await {
        return internal(error);
    }
    crate::audit::record(
        &state.store,
        "grant_revoked_by_user",
        Some(&grant.client_id),
        Some(&user_id),
        serde_json::json!({ "grant_id": grant.id }),
    );
    see_other("/account/apps")
}
