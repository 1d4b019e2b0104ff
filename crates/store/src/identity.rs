//! The storage contract of staff accounts, sessions, device tokens and sign-in throttling.
//!
//! Every method that changes state takes the [`AuditEvent`] describing the change and appends it
//! to the audit trail in the same transaction: the change and its record land together or not at all.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::identity::{DeviceKind, Role, Scope};
use onestop_domain::pii::{Fin, Phone};
use onestop_domain::session::SessionTimes;
use onestop_domain::throttle::Throttle;

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// The sign-in name: unique, letters, digits, `.`, `-`, `_`.
    pub login: String,
    /// The person's full name.
    pub full_name: String,
    /// The person's national ID number, if recorded.
    pub fin: Option<Fin>,
    /// The person's phone number, if recorded.
    pub phone: Option<Phone>,
    /// The role.
    pub role: Role,
    /// The role's centre and provider.
    pub scope: Scope,
    /// The argon2id hash of the first password.
    pub password_hash: String,
    /// Whether the first sign-in must set a new password (when someone else chose this one).
    pub must_change_password: bool,
}

/// A staff account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    /// The account's id.
    pub id: i64,
    /// The sign-in name.
    pub login: String,
    /// The person's full name.
    pub full_name: String,
    /// The person's national ID number, if recorded.
    pub fin: Option<Fin>,
    /// The person's phone number, if recorded.
    pub phone: Option<Phone>,
    /// The role.
    pub role: Role,
    /// The role's centre and provider.
    pub scope: Scope,
    /// False while suspended: a suspended account cannot sign in.
    pub active: bool,
    /// True after an admin reset: the next sign-in must set a new password.
    pub must_change_password: bool,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A session found by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session's id.
    pub id: i64,
    /// The account it belongs to.
    pub staff: StaffRecord,
    /// The token forms and API calls must echo.
    pub csrf_token: String,
    /// When it started, was last used, ends, or was ended.
    pub times: SessionTimes,
}

/// A session to start.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The account signing in.
    pub staff_id: i64,
    /// The SHA-256 of the session cookie's value.
    pub token_hash: String,
    /// The CSRF token of the session.
    pub csrf_token: String,
    /// Its times.
    pub times: SessionTimes,
    /// Where the sign-in came from.
    pub origin: Option<String>,
}

/// A device token as stored (its secret is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The token's id.
    pub id: i64,
    /// The device's kind.
    pub kind: DeviceKind,
    /// Its centre and window.
    pub scope: Scope,
    /// A label for people: "Kiosk by the entrance".
    pub label: String,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// Staff accounts, sessions, device tokens and sign-in throttling.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Creates an account. A login or FIN already in use is a [`StoreError::Conflict`].
    async fn create_staff(
        &self,
        new: &NewStaff,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<StaffRecord, StoreError>;

    /// The account with `login` and its password hash.
    async fn staff_by_login(&self, login: &str) -> Result<Option<(StaffRecord, String)>, StoreError>;

    /// Every account, or those of one centre, by login.
    async fn list_staff(&self, centre: Option<&str>) -> Result<Vec<StaffRecord>, StoreError>;

    /// Suspends or reactivates an account; suspending ends its sessions.
    async fn set_staff_active(
        &self,
        login: &str,
        active: bool,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<StaffRecord, StoreError>;

    /// Sets a new password hash and ends the account's sessions except `keep_session`.
    /// `must_change` is set by an admin reset and cleared when the person sets their own.
    async fn set_password(
        &self,
        login: &str,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<i64>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError>;

    /// The throttle state of a login (the default when it has none).
    async fn sign_in_throttle(&self, login: &str) -> Result<Throttle, StoreError>;

    /// Records a failed sign-in: the new throttle state and its audit entry.
    async fn record_sign_in_failure(
        &self,
        login: &str,
        throttle: Throttle,
        audit: AuditEvent,
    ) -> Result<(), StoreError>;

    /// Starts a session after a successful sign-in and clears the login's throttle.
    async fn start_session(
        &self,
        login: &str,
        session: &NewSession,
        audit: AuditEvent,
    ) -> Result<i64, StoreError>;

    /// The session whose cookie hashes to `token_hash`, in whatever state it is.
    async fn session_by_token(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError>;

    /// Records that a session was used at `now`.
    async fn touch_session(&self, session_id: i64, now: Timestamp) -> Result<(), StoreError>;

    /// Ends one session (sign-out).
    async fn end_session(&self, session_id: i64, now: Timestamp, audit: AuditEvent)
    -> Result<(), StoreError>;

    /// Ends every open session of an account; answers how many.
    async fn end_staff_sessions(
        &self,
        login: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<u64, StoreError>;

    /// Issues a device token whose secret hashes to `token_hash`.
    async fn issue_device_token(
        &self,
        kind: DeviceKind,
        scope: &Scope,
        label: &str,
        token_hash: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DeviceRecord, StoreError>;

    /// The device token that hashes to `token_hash`, revoked or not.
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceRecord>, StoreError>;

    /// Every device token, newest first.
    async fn list_device_tokens(&self) -> Result<Vec<DeviceRecord>, StoreError>;

    /// Revokes a device token; revoking one already revoked is a [`StoreError::Conflict`].
    async fn revoke_device_token(
        &self,
        id: i64,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DeviceRecord, StoreError>;
}
