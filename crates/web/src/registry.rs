//! The registry in force, parsed once per catalogue version and shared by every request. Each use
//! asks the database for the current version number (one indexed read), so a catalogue saved by
//! another server or by `onestop import-catalogue` takes effect on the next request.

use crate::problem::ApiError;
use jiff::civil::{Time, Weekday};
use onestop_domain::catalogue::{Catalogue, parse_catalogue};
use onestop_store::Store;
use std::sync::{Arc, RwLock};

/// A parsed catalogue and its version.
#[derive(Debug)]
pub struct Loaded {
    /// The catalogue version number.
    pub version: i64,
    /// The catalogue.
    pub catalogue: Catalogue,
}

/// The cache of the registry in force.
#[derive(Debug, Default)]
pub struct RegistryCache {
    loaded: RwLock<Option<Arc<Loaded>>>,
}

impl RegistryCache {
    /// The registry in force, or `None` while no catalogue was ever imported.
    pub async fn current(&self, store: &dyn Store) -> Result<Option<Arc<Loaded>>, ApiError> {
        let Some(version) = store.current_catalogue_version().await? else { return Ok(None) };
        if let Some(loaded) = self.loaded.read().ok().and_then(|l| l.clone()).filter(|l| l.version == version)
        {
            return Ok(Some(loaded));
        }
        let Some(stored) = store.current_catalogue().await? else { return Ok(None) };
        let body = stored.body;
        let catalogue = tokio::task::spawn_blocking(move || parse_catalogue(&body))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(|errors| {
                tracing::error!(version = stored.version, %errors, "the stored catalogue does not parse");
                ApiError::internal()
            })?;
        let loaded = Arc::new(Loaded { version: stored.version, catalogue });
        if let Ok(mut slot) = self.loaded.write() {
            *slot = Some(Arc::clone(&loaded));
        }
        Ok(Some(loaded))
    }

    /// The registry in force, or a 404 problem saying none was imported.
    pub async fn require(&self, store: &dyn Store) -> Result<Arc<Loaded>, ApiError> {
        self.current(store).await?.ok_or_else(|| ApiError::not_found("no catalogue has been imported yet"))
    }
}

/// A time of day as `HH:MM`.
pub(crate) fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The name a catalogue enum value has in the file and the API, e.g. `mobile_bus`.
pub(crate) fn slug<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The days of the week, Monday first.
pub(crate) const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// A weekday's name in the catalogue file and in message keys: `monday` … `sunday`.
pub(crate) fn weekday_slug(day: Weekday) -> String {
    format!("{day:?}").to_lowercase()
}

/// The 404 problem for a catalogue record that does not exist: `there is no service MIA-X`.
pub(crate) fn no_such(kind: &str, code: &str) -> ApiError {
    ApiError::not_found(format!("there is no {kind} {code}"))
}
