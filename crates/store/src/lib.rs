//! The storage contract of onestop.
//!
//! The traits here speak the domain (`claim_idempotency_key`, `issue_ticket`, `call_next`), not
//! generic CRUD. Each backend crate (`onestop-store-sqlite`, `onestop-store-postgres`) implements them
//! in its own SQL; `onestop-store-tests` holds the one contract suite both must pass. Row types stay
//! inside the backends. This crate depends on neither sqlx nor axum.

pub mod audit;
pub mod booking;
pub mod cases;
pub mod complaints;
pub mod dump;
pub mod feedback;
pub mod ideas;
pub mod identity;
pub mod monitoring;
pub mod outbox;
pub mod queue;
pub mod registry;
pub mod surveys;

use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::idempotency::{Claim, IdempotencyKey, RequestFingerprint, StoredResponse};
use std::path::Path;

/// What went wrong in storage, in terms the layers above can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with what is stored (a unique key, a state that moved on).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else: the database is unreachable, a driver error, a broken invariant.
    #[error("storage error: {0}")]
    Other(String),
}

impl StoreError {
    /// A stored `what` whose `value` does not read back as valid: a broken invariant.
    pub fn invalid(what: &str, value: &str) -> Self {
        StoreError::Other(format!("stored {what} {value:?} is not valid"))
    }
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite default.
    Sqlite,
    /// The scale-out PostgreSQL backend.
    Postgres,
}

impl Backend {
    /// The backend's name as shown in health answers and logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A snapshot of a connection pool, for the metrics endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open, busy or idle.
    pub size: u32,
    /// Connections open and idle.
    pub idle: u32,
    /// The most connections the pool will open.
    pub max: u32,
    /// Where writes are committed in groups (SQLite), how many groups and writes so far.
    pub group_commit: Option<GroupCommit>,
}

/// Counts of a group-committing writer: writes per commit is their ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommit {
    /// Commits so far.
    pub commits: u64,
    /// Writes handed to the writer so far.
    pub writes: u64,
    /// The syncs of the write-ahead log that made those commits durable (commits made during one
    /// sync share the next), and how long they took.
    pub sync_times: SyncTimes,
}

/// Upper bounds, in microseconds, of the buckets [`SyncTimes`] counts syncs in (the disk's own
/// latency: a write is answered only after the sync that follows its commit).
pub const SYNC_BOUNDS_MICROS: [u64; 12] =
    [250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];

/// How long a writer's syncs of its log took, counted in the buckets of [`SYNC_BOUNDS_MICROS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncTimes {
    /// Syncs per bucket: `buckets[i]` counts those that took at most `SYNC_BOUNDS_MICROS[i]` and
    /// more than the bound before it; the last counts those longer than every bound.
    pub buckets: [u64; SYNC_BOUNDS_MICROS.len() + 1],
    /// Their total time, in microseconds.
    pub micros: u64,
}

impl SyncTimes {
    /// How many syncs there were.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The bucket a sync that took `micros` falls in.
    pub fn bucket_of(micros: u64) -> usize {
        SYNC_BOUNDS_MICROS.partition_point(|bound| *bound < micros)
    }
}

/// The store's own upkeep: liveness, schema, pool, and the portable dump.
#[async_trait]
pub trait SystemStore: Send + Sync {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Answers when the database does: used by `/readyz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The version of the newest migration applied, if any.
    async fn schema_version(&self) -> Result<Option<i64>, StoreError>;

    /// The pool as it is now.
    fn pool_stats(&self) -> PoolStats;

    /// Writes every table to `dir` in the portable dump format (see [`dump`]).
    async fn export_dump(&self, dir: &Path) -> Result<dump::DumpSummary, dump::DumpError>;

    /// Loads a dump made by [`SystemStore::export_dump`] on either backend into this empty,
    /// migrated database, in one transaction: all of it or nothing.
    async fn import_dump(&self, dir: &Path) -> Result<dump::DumpSummary, dump::DumpError>;

    /// Closes the pool, waiting for connections in use to be returned.
    async fn close(&self);
}

/// Idempotency keys of creating POSTs (see [`onestop_domain::idempotency`]).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Atomically claims `key` within `scope` for a request with `fingerprint`: records it when new
    /// (or expired) and answers what the request may do. Two racing claims of one key never both
    /// get [`Claim::Fresh`].
    async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: Timestamp,
    ) -> Result<Claim, StoreError>;

    /// Stores the answer of the request that claimed `key`, for retries to replay.
    async fn complete_idempotency_key(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;

    /// Releases a claim whose request failed before answering, so a retry may run afresh.
    async fn release_idempotency_key(&self, scope: &str, key: &IdempotencyKey) -> Result<(), StoreError>;

    /// Deletes records created before `cutoff`; answers how many went.
    async fn purge_idempotency_keys(&self, cutoff: Timestamp) -> Result<u64, StoreError>;
}

/// Everything a onestop backend provides. The server holds one as `Arc<dyn Store>`.
pub trait Store:
    SystemStore
    + IdempotencyStore
    + IdentityStore
    + AuditStore
    + RegistryStore
    + QueueStore
    + FeedbackStore
    + ComplaintStore
    + IdeaStore
    + SurveyStore
    + BookingStore
    + OutboxStore
    + MonitoringStore
    + CaseStore
{
}

impl<
    T: SystemStore
        + IdempotencyStore
        + IdentityStore
        + AuditStore
        + RegistryStore
        + QueueStore
        + FeedbackStore
        + ComplaintStore
        + IdeaStore
        + SurveyStore
        + BookingStore
        + OutboxStore
        + MonitoringStore
        + CaseStore,
> Store for T
{
}

pub use audit::{AuditFilter, AuditStore};
pub use booking::BookingStore;
pub use cases::CaseStore;
pub use complaints::ComplaintStore;
pub use feedback::FeedbackStore;
pub use ideas::IdeaStore;
pub use identity::{DeviceRecord, IdentityStore, NewSession, NewStaff, SessionRecord, StaffRecord};
pub use monitoring::MonitoringStore;
pub use outbox::OutboxStore;
pub use queue::QueueStore;
pub use registry::{CatalogueVersion, RegistryStore};
pub use surveys::SurveyStore;

/// Formats a timestamp the one way both backends store and dump it: RFC 3339 in UTC with exactly
/// six fractional digits (`2026-11-28T09:05:00.000000Z`), so text order is time order.
pub fn canonical_timestamp(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

/// Parses a timestamp in any RFC 3339 form.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, StoreError> {
    text.parse().map_err(|e| StoreError::Other(format!("bad stored timestamp {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_timestamps_are_fixed_width_utc() {
        let ts: Timestamp = "2026-11-28T13:05:00+04:00".parse().unwrap();
        assert_eq!(canonical_timestamp(ts), "2026-11-28T09:05:00.000000Z");
        let ts: Timestamp = "2026-01-02T03:04:05.123456789Z".parse().unwrap();
        assert_eq!(canonical_timestamp(ts), "2026-01-02T03:04:05.123456Z");
        assert_eq!(
            parse_timestamp("2026-01-02T03:04:05.123456Z").unwrap().as_microsecond(),
            ts.as_microsecond()
        );
    }

    #[test]
    fn a_sync_falls_in_the_first_bucket_whose_bound_it_does_not_pass() {
        assert_eq!(SyncTimes::bucket_of(0), 0);
        assert_eq!(SyncTimes::bucket_of(250), 0);
        assert_eq!(SyncTimes::bucket_of(251), 1);
        assert_eq!(SyncTimes::bucket_of(10_000), 5);
        assert_eq!(SyncTimes::bucket_of(1_000_000), SYNC_BOUNDS_MICROS.len() - 1);
        assert_eq!(SyncTimes::bucket_of(1_000_001), SYNC_BOUNDS_MICROS.len());
    }
}
