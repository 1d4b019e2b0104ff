//! The public home page.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::problem::ApiError;
use axum::extract::State;
use axum::response::Html;
use serde_json::json;

/// `GET /`.
pub async fn home(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Html<String>, ApiError> {
    state.templates.page(&locale, &caller, "home.html", json!({}))
}
