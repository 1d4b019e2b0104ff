//! The audit trail as a page, for analysts and admins.

use crate::AppState;
use crate::api::audit::AuditItem;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::problem::ApiError;
use axum::extract::{Query, State};
use axum::response::Html;
use onestop_domain::audit::Outcome;
use onestop_store::AuditFilter;
use serde::{Deserialize, Serialize};
use serde_json::json;

const PAGE: u32 = 100;

/// The page's filters.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct AuditPageQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    cursor: Option<i64>,
}

fn opt(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// `GET /admin/audit`: newest entries first, filtered, 100 a page.
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<AuditPageQuery>,
) -> Result<Html<String>, ApiError> {
    let filter = AuditFilter {
        actor: opt(&q.actor),
        action: opt(&q.action),
        outcome: Outcome::parse(q.outcome.trim()),
        before_seq: q.cursor,
        ..AuditFilter::default()
    };
    let mut entries = state.store.search_audit(&filter, PAGE + 1).await?;
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    let next_href = more.then(|| entries.last().map(|e| e.seq)).flatten().map(|seq| {
        let query = serde_urlencoded::to_string([
            ("actor", q.actor.as_str()),
            ("action", q.action.as_str()),
            ("outcome", q.outcome.as_str()),
            ("cursor", &seq.to_string()),
        ])
        .unwrap_or_default();
        format!("/admin/audit?{query}")
    });
    let items: Vec<AuditItem> = entries.into_iter().map(AuditItem::from).collect();
    state.templates.page(
        &locale,
        &caller,
        "audit.html",
        json!({
            "entries": items,
            "filter": q,
            "next_href": next_href,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-audit", "href": "/admin/audit" }],
        }),
    )
}
