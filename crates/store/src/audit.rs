//! The storage contract of the audit trail.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::{AuditEntry, AuditEvent, AuditSignature, ChainHead, Outcome};

/// Which entries to list; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries by this actor (`staff:LOGIN`, `device:ID`, …).
    pub actor: Option<String>,
    /// Entries of this action, or of actions starting with it followed by `.` (`staff` matches `staff.create`).
    pub action: Option<String>,
    /// Entries touching this record.
    pub record: Option<String>,
    /// Done or refused entries only.
    pub outcome: Option<Outcome>,
    /// Entries at or after this time.
    pub from: Option<Timestamp>,
    /// Entries before this time.
    pub to: Option<Timestamp>,
    /// Entries before this position (the cursor of the next page).
    pub before_seq: Option<i64>,
}

/// The audit trail: appended to, listed, verified and signed.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry on its own (for refusals and actions that change nothing else).
    async fn append_audit(&self, event: AuditEvent) -> Result<AuditEntry, StoreError>;

    /// The newest entry's position and hash, if there is any entry.
    async fn audit_head(&self) -> Result<Option<ChainHead>, StoreError>;

    /// Up to `limit` entries after position `after_seq`, oldest first (for verification).
    async fn audit_entries(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// Up to `limit` entries matching `filter`, newest first.
    async fn search_audit(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// Every stored head signature.
    async fn audit_signatures(&self) -> Result<Vec<AuditSignature>, StoreError>;

    /// The newest head signature.
    async fn last_audit_signature(&self) -> Result<Option<AuditSignature>, StoreError>;

    /// Stores a head signature.
    async fn store_audit_signature(&self, signature: &AuditSignature) -> Result<(), StoreError>;
}
