//! Working-day calendars and legal timeframes.
