//! Connected apps: the grants a user has made, each revocable at once (refresh and access
//! tokens alike, including this process's in-memory revocation set).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cookie::session_cookie;
use super::forms::{FormBody, posted_form};
use crate::http::html::{PageError, csrf_failure, error_page, format_time, page, see_other};
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

/// The grants a person has made, to review and revoke (RFC 6749 §10.2).
/// <https://www.rfc-editor.org/rfc/rfc6749#section-10.2>
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some((session, user_id)) = logged_in(&state, &headers).await? else {
        return Ok(see_other("/login"));
    };
    let (user, grants) = tokio::try_join!(
        state.store.get_user_by_id(&user_id),
        state.store.list_user_grants(&user_id)
    )?;
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
    Ok(page(StatusCode::OK, &view, &[]))
}

/// Revoking a grant invalidates its tokens (RFC 7009 §2.1).
/// <https://www.rfc-editor.org/rfc/rfc7009#section-2.1>
#[tracing::instrument(skip_all, fields(client_id))]
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, PageError> {
    let (form, session) = posted_form(&state, &headers, &body).await?;
    let Some(user_id) = session.user_id().map(str::to_string) else {
        return Ok(csrf_failure());
    };
    let grant_id = form.get("grant_id").map_or("", String::as_str);
    let grant = match state.store.get_grant(grant_id).await? {
        Some(grant) if grant.user_id.as_deref() == Some(user_id.as_str()) => grant,
        _ => {
            return Ok(error_page(
                StatusCode::NOT_FOUND,
                "Not found",
                "You have no such connected app.",
            ));
        }
    };
    tracing::Span::current().record("client_id", grant.client_id.as_str());
    state.auth.revoke_grant(&grant.id).await?;
    // Revoking an app also forgets the approval, so reconnecting asks again.
    state
        .store
        .delete_consent(&user_id, &grant.client_id)
        .await?;
    crate::audit::record(
        &state.store,
        "grant_revoked_by_user",
        Some(&grant.client_id),
        Some(&user_id),
        serde_json::json!({ "grant_id": grant.id }),
    );
    Ok(see_other("/account/apps"))
}
