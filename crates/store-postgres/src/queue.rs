//! The queue on PostgreSQL — not yet: every call answers an error until the SQL lands.

use crate::PgStore;
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::audit::AuditEvent;
use onestop_domain::catalogue::CentreCode;
use onestop_domain::queue::calling::WindowContext;
use onestop_domain::queue::ticket::{Action, TicketId, TicketRules, WindowNumber};
use onestop_store::StoreError;
use onestop_store::queue::{
    ActError, Acted, Called, DayClosed, NewTicket, QueueEvent, QueueStore, ServiceTimes, TicketRecord,
    WindowSession,
};

fn later() -> StoreError {
    StoreError::Other("the queue is not yet available on PostgreSQL".into())
}

#[async_trait]
impl QueueStore for PgStore {
    async fn issue_ticket(
        &self,
        _: NewTicket,
        _: Timestamp,
        _: AuditEvent,
    ) -> Result<TicketRecord, StoreError> {
        Err(later())
    }
    async fn ticket(&self, _: TicketId) -> Result<Option<TicketRecord>, StoreError> {
        Err(later())
    }
    async fn call_next(
        &self,
        _: &CentreCode,
        _: Date,
        _: &WindowContext,
        _: TicketRules,
        _: Timestamp,
        _: AuditEvent,
    ) -> Result<Option<Called>, StoreError> {
        Err(later())
    }
    #[allow(clippy::too_many_arguments)] // the contract's shape: who, what, which rules, when, audited
    async fn act(
        &self,
        _: &CentreCode,
        _: TicketId,
        _: Option<WindowNumber>,
        _: Action,
        _: TicketRules,
        _: Timestamp,
        _: AuditEvent,
    ) -> Result<Acted, ActError> {
        Err(later().into())
    }
    async fn day_tickets(&self, _: &CentreCode, _: Date) -> Result<Vec<TicketRecord>, StoreError> {
        Err(later())
    }
    async fn service_times(&self, _: &CentreCode, _: u32) -> Result<Vec<ServiceTimes>, StoreError> {
        Err(later())
    }
    async fn close_day(
        &self,
        _: &CentreCode,
        _: Date,
        _: Timestamp,
        _: AuditEvent,
    ) -> Result<DayClosed, StoreError> {
        Err(later())
    }
    async fn queue_events(&self, _: &CentreCode, _: i64, _: u32) -> Result<Vec<QueueEvent>, StoreError> {
        Err(later())
    }
    async fn last_queue_event(&self, _: &CentreCode) -> Result<i64, StoreError> {
        Err(later())
    }
    async fn queue_changes(&self) -> Result<tokio::sync::broadcast::Receiver<CentreCode>, StoreError> {
        Err(later())
    }
    async fn open_window(
        &self,
        _: &CentreCode,
        _: WindowNumber,
        _: i64,
        _: &str,
        _: Timestamp,
        _: AuditEvent,
    ) -> Result<WindowSession, StoreError> {
        Err(later())
    }
    async fn close_window(
        &self,
        _: &CentreCode,
        _: i64,
        _: Timestamp,
        _: AuditEvent,
    ) -> Result<Option<WindowNumber>, StoreError> {
        Err(later())
    }
    async fn open_windows(&self, _: &CentreCode) -> Result<Vec<WindowSession>, StoreError> {
        Err(later())
    }
}
