//! `GET /api/v1/audit`: the audit trail, filtered and paged, for analysts and admins.

use crate::AppState;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{Query, State};
use jiff::Timestamp;
use onestop_domain::audit::{AuditEntry, Outcome};
use onestop_store::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The most entries one page holds.
pub const MAX_PAGE: u32 = 500;

/// Filters of the audit listing; all optional.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries by this actor, e.g. `staff:aliyev` or `device:3`.
    actor: Option<String>,
    /// Entries of this action or its sub-actions (`staff` matches `staff.create`).
    action: Option<String>,
    /// Entries touching this record, e.g. `staff:aliyev`.
    record: Option<String>,
    /// `done` or `refused`.
    outcome: Option<String>,
    /// Entries at or after this RFC 3339 time.
    from: Option<String>,
    /// Entries before this RFC 3339 time.
    to: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<i64>,
    /// Entries per page, 1 to 500 (default 100).
    limit: Option<u32>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    /// Position in the chain.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// The actor's role or device kind.
    pub role: Option<String>,
    /// Where from.
    pub origin: Option<String>,
    /// What.
    pub action: String,
    /// The record touched.
    pub record: Option<String>,
    /// Before/after summary.
    pub summary: String,
    /// `done` or `refused`.
    pub outcome: String,
    /// This entry's hash.
    pub hash: String,
    /// The previous entry's hash.
    pub prev_hash: String,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditItem>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<i64>,
}

fn time(field: &str, text: Option<String>) -> Result<Option<Timestamp>, ApiError> {
    text.map(|t| {
        t.parse::<Timestamp>().map_err(|_| {
            ApiError::bad_request(
                field,
                format!("{field} must be an RFC 3339 time such as 2026-11-28T09:00:00Z"),
            )
        })
    })
    .transpose()
}

impl From<AuditEntry> for AuditItem {
    fn from(e: AuditEntry) -> Self {
        AuditItem {
            seq: e.seq,
            at: onestop_store::canonical_timestamp(e.event.at),
            actor: e.event.actor,
            role: e.event.role,
            origin: e.event.origin,
            action: e.event.action,
            record: e.event.record,
            summary: e.event.summary,
            outcome: e.event.outcome.as_str().to_owned(),
            hash: e.hash,
            prev_hash: e.prev_hash,
        }
    }
}

/// The audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "identity", operation_id = "listAudit",
    params(AuditQuery),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries", body = AuditPage),
        (status = 400, description = "A filter is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read the audit trail", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let outcome = q
        .outcome
        .map(|o| {
            Outcome::parse(&o)
                .ok_or_else(|| ApiError::bad_request("outcome", "outcome must be done or refused"))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request("limit", format!("limit must be between 1 and {MAX_PAGE}")));
    }
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        record: q.record,
        outcome,
        from: time("from", q.from)?,
        to: time("to", q.to)?,
        before_seq: q.cursor,
    };
    let mut entries = state.store.search_audit(&filter, limit + 1).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_cursor = if more { entries.last().map(|e| e.seq) } else { None };
    Ok(Json(AuditPage { items: entries.into_iter().map(AuditItem::from).collect(), next_cursor }))
}
