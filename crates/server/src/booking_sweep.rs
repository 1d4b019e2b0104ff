//! The booking's periodic work: confirmed appointments past their grace period become no-shows
//! (counted against the person), and the next day's appointments get their reminder through the
//! outbox. The server runs [`sweep`] every `booking.sweep_interval_secs`.

use jiff::Timestamp;
use onestop_domain::booking::BookingRules;
use onestop_store::Store;
use onestop_web::i18n::Catalog;
use onestop_web::registry::RegistryCache;

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    /// Appointments marked no-show.
    pub no_shows: usize,
    /// Reminders written to the outbox.
    pub reminders: usize,
}

/// Marks no-shows and writes reminders at `now`.
pub async fn sweep(
    store: &dyn Store,
    registry: &RegistryCache,
    catalog: &Catalog,
    rules: &BookingRules,
    now: Timestamp,
) -> Result<Swept, String> {
    let no_shows = onestop_web::booking::sweep_no_shows(store, rules, now).await?;
    let Some(loaded) =
        registry.current(store).await.map_err(|e| format!("cannot load the registry: {e:?}"))?
    else {
        return Ok(Swept { no_shows, reminders: 0 });
    };
    let reminders = onestop_web::booking::send_reminders(store, &loaded.catalogue, catalog, now).await?;
    Ok(Swept { no_shows, reminders })
}
