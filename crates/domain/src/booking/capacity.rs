//! The capacity of a centre for a service: slots of the service's handling time from opening to
//! closing, each with as many places as windows serve the service at once, of which each booking
//! channel gets its configured share (the rest stays for walk-ins).
//!
//! A window serving several services gives each of them an equal part of its time. Shares are
//! spread over the day so that fractions are not lost: slot `i` of a channel gets
//! `⌊(i+1)·u⌋ − ⌊i·u⌋` places, where `u` is the channel's places per slot (possibly fractional).

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};

use crate::catalogue::{Centre, Country, Service};
use crate::queue::day::zone;

/// Places per window are counted in thousandths, so a window shared by services splits exactly.
const MILLI: i64 = 1000;

/// A bookable time of a service at a centre on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends (its start plus the service's handling time).
    pub ends_at: Timestamp,
    /// Its start in the centre's local time.
    pub local: Time,
    /// Places for the channel asked about.
    pub capacity: u32,
}

/// The slots of `service` at `centre` on `day` for a channel with `share` percent of the
/// capacity; slots with no place for the channel are left out. None on a closed day.
pub fn slots(centre: &Centre, country: &Country, service: &Service, day: Date, share: u32) -> Vec<Slot> {
    let Some((open, close)) = centre.hours_on_date(day, country) else { return Vec::new() };
    let units: i64 = centre
        .windows_for(service.code.as_str())
        .map(|w| MILLI / i64::try_from(w.services.len().max(1)).unwrap_or(1))
        .sum();
    let per_slot = units * i64::from(share.min(100));
    let denominator = 100 * MILLI;
    let handling = SignedDuration::from_mins(i64::from(service.handling_minutes.max(1)));
    let tz = zone(centre, country);
    let mut out = Vec::new();
    let mut start = open;
    let mut i: i64 = 0;
    loop {
        let Ok(end) = start.checked_add(handling) else { break };
        if end > close || end <= start {
            break;
        }
        let places = ((i + 1) * per_slot) / denominator - (i * per_slot) / denominator;
        if places > 0
            && let (Ok(s), Ok(e)) =
                (day.to_datetime(start).to_zoned(tz.clone()), day.to_datetime(end).to_zoned(tz.clone()))
        {
            out.push(Slot {
                starts_at: s.timestamp(),
                ends_at: e.timestamp(),
                local: start,
                capacity: u32::try_from(places).unwrap_or(u32::MAX),
            });
        }
        start = end;
        i += 1;
    }
    out
}

/// The slot of `service` at `centre` starting at `starts_at`, if there is one for the channel.
pub fn slot_at(
    centre: &Centre,
    country: &Country,
    service: &Service,
    starts_at: Timestamp,
    share: u32,
) -> Option<Slot> {
    let day = starts_at.to_zoned(zone(centre, country)).date();
    slots(centre, country, service, day, share).into_iter().find(|s| s.starts_at == starts_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::parse_catalogue;

    fn demo() -> crate::catalogue::Catalogue {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/asan-demo.yaml"))
                .unwrap();
        parse_catalogue(&text).unwrap()
    }

    #[test]
    fn slots_follow_hours_handling_time_windows_and_share() {
        let c = demo();
        let centre = c.centre("BAKU-1").unwrap();
        let service = c.service("MIA-ID-CARD").unwrap();
        // Monday 30 November 2026: open 10:00–20:00 in Baku (UTC+4).
        let day: Date = "2026-11-30".parse().unwrap();
        let all = slots(centre, &c.country, service, day, 100);
        let handling = i64::from(service.handling_minutes);
        assert_eq!(all.len() as i64, 600 / handling);
        assert_eq!(all[0].local, Time::constant(10, 0, 0, 0));
        assert_eq!(all[0].starts_at.to_string(), "2026-11-30T06:00:00Z");
        assert_eq!(all[0].ends_at.duration_since(all[0].starts_at), SignedDuration::from_mins(handling));
        // Four windows serve ID cards, each shared with passports: two places per slot.
        assert!(all.iter().all(|s| s.capacity == 2));
        // 30 %: 0.6 places per slot, spread so the day totals ⌊0.6·n⌋.
        let website = slots(centre, &c.country, service, day, 30);
        let total: u32 = website.iter().map(|s| s.capacity).sum();
        assert_eq!(i64::from(total), (all.len() as i64 * 6) / 10);
        assert!(website.iter().all(|s| s.capacity == 1));
        let first = website[0];
        assert_eq!(slot_at(centre, &c.country, service, first.starts_at, 30), Some(first));
        assert_eq!(
            slot_at(centre, &c.country, service, first.starts_at + SignedDuration::from_mins(1), 30),
            None
        );
        // No share, no slots.
        assert!(slots(centre, &c.country, service, day, 0).is_empty());
    }
}
