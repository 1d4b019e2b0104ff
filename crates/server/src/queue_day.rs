//! Closing queue days: when a centre's closing time has passed, its tickets still open close with
//! the outcome "centre closed" and the day's counts reconcile (issue → outcome). The server runs
//! [`close_finished_days`] every minute; `POST /api/v1/centres/{code}/close-day` does it by hand.

use jiff::{Span, Timestamp};
use onestop_domain::audit::AuditEvent;
use onestop_domain::queue::day::{day_is_over, local_date};
use onestop_store::Store;
use onestop_store::queue::DayClosed;
use onestop_web::registry::RegistryCache;

/// How many days back a centre's open tickets are looked for (a server down over a closing time
/// closes those days when it is back).
pub const LOOKBACK_DAYS: i64 = 3;

/// A day closed by [`close_finished_days`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The centre's code.
    pub centre: String,
    /// The centre's local date that was closed.
    pub day: jiff::civil::Date,
    /// The reconciled counts.
    pub counts: DayClosed,
}

/// Closes every queue day that is over at `now` and still has open tickets, at every centre of
/// the registry in force; answers what it closed.
pub async fn close_finished_days(
    store: &dyn Store,
    registry: &RegistryCache,
    now: Timestamp,
) -> Result<Vec<Closed>, String> {
    let Some(loaded) =
        registry.current(store).await.map_err(|e| format!("cannot load the registry: {e:?}"))?
    else {
        return Ok(Vec::new());
    };
    let catalogue = &loaded.catalogue;
    let mut closed = Vec::new();
    for centre in &catalogue.centres {
        let today = local_date(centre, &catalogue.country, now);
        for back in 0..=LOOKBACK_DAYS {
            let Ok(day) = today.checked_sub(Span::new().days(back)) else { continue };
            if !day_is_over(centre, &catalogue.country, day, now) {
                continue;
            }
            let tickets = store.day_tickets(&centre.code, day).await.map_err(|e| e.to_string())?;
            if !tickets.iter().any(|t| t.ticket.is_open()) {
                continue;
            }
            let audit = AuditEvent::new(
                now,
                "system",
                "queue.close_day",
                format!("closed the queue day {day} at {}", centre.code),
            )
            .with_record(format!("centre:{}", centre.code));
            let counts = store.close_day(&centre.code, day, now, audit).await.map_err(|e| e.to_string())?;
            tracing::info!(centre = %centre.code, %day, closed = counts.closed_now, "queue day closed");
            closed.push(Closed { centre: centre.code.to_string(), day, counts });
        }
    }
    Ok(closed)
}
