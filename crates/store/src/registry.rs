//! The storage contract of the registry: whole catalogue versions, the newest in force.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;

/// A stored catalogue version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueVersion {
    /// 1, 2, 3 … in the order they were saved.
    pub version: i64,
    /// When it was saved.
    pub saved_at: Timestamp,
    /// Who saved it (the audit actor).
    pub saved_by: String,
    /// What it is, e.g. the imported file's name.
    pub label: String,
    /// The SHA-256 of the body, in hex.
    pub sha256: String,
    /// The catalogue file's text (see `onestop_domain::catalogue`).
    pub body: String,
}

/// The registry's versions.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    /// Saves a new version (the caller has validated `body`) with its audit entry; answers its number.
    async fn save_catalogue(
        &self,
        body: &str,
        sha256: &str,
        label: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<i64, StoreError>;

    /// The version in force: the newest.
    async fn current_catalogue(&self) -> Result<Option<CatalogueVersion>, StoreError>;

    /// The number of the version in force, cheaply, to notice a newer one saved by another server.
    async fn current_catalogue_version(&self) -> Result<Option<i64>, StoreError>;
}
