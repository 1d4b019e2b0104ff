//! Monitoring and assessment (case study §2.7, §2.12): statistics from recorded events, kept as
//! rollups; officer appraisal; the ASAN Service Index.
//!
//! - [`hist`]: duration histograms with a documented resolution and nearest-rank percentiles, so
//!   rollups answer exactly what a brute-force pass over raw events answers;
//! - [`rollup`]: what a day of a centre adds to the rollups ([`rollup::cells_of_day`]), and how
//!   cells are filtered and grouped;
//! - [`period`]: months, quarters and years;
//! - [`plan`]: which parts of a date range months' rollups answer and which need days;
//! - [`appraisal`]: officers' figures and weighted scores;
//! - [`index`]: the ASAN Service Index.

pub mod appraisal;
pub mod hist;
pub mod index;
pub mod period;
pub mod rollup;

pub use hist::Histogram;
pub use period::{Period, PeriodKind};
pub use rollup::{CellKey, Cells, Context, Cuboid, DayActivity, Filter, GroupBy, Grouped, Tally};

/// The grain of a rollup cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    /// One local day.
    Day,
    /// One calendar month (the sum of its folded days).
    Month,
}

impl Grain {
    /// Its name in storage: `d` or `m`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "d",
            Grain::Month => "m",
        }
    }
}

/// The ranges of rollups that answer a date range.
pub mod plan {
    use super::GroupBy;
    use super::period::Period;
    use jiff::civil::Date;

    /// Months read whole from month cells, and day ranges read from day cells.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct Plan {
        /// First days of the months lying wholly inside the range.
        pub months: Vec<Date>,
        /// Inclusive day ranges for the rest.
        pub days: Vec<(Date, Date)>,
    }

    /// The plan for `[from, to]` grouped `by`: whole months from month cells unless the grouping
    /// needs days apart.
    pub fn plan(from: Date, to: Date, by: GroupBy) -> Plan {
        if from > to {
            return Plan::default();
        }
        if by.needs_days() {
            return Plan { months: Vec::new(), days: vec![(from, to)] };
        }
        let mut months = Vec::new();
        let mut m = Period::month_of(from);
        if m.first_day() < from {
            m = m.next();
        }
        while m.last_day() <= to {
            months.push(m.first_day());
            m = m.next();
        }
        let (Some(first), Some(last)) = (months.first(), months.last()) else {
            return Plan { months, days: vec![(from, to)] };
        };
        let mut days = Vec::new();
        if from < *first {
            days.push((from, first.yesterday().unwrap_or(*first)));
        }
        let after = Period::month_of(*last).next().first_day();
        if after <= to {
            days.push((after, to));
        }
        Plan { months, days }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use jiff::civil::date;

        #[test]
        fn whole_months_come_from_month_cells() {
            let p = plan(date(2026, 1, 15), date(2026, 4, 3), GroupBy::Centre);
            assert_eq!(p.months, [date(2026, 2, 1), date(2026, 3, 1)]);
            assert_eq!(
                p.days,
                [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 3))]
            );
            let p = plan(date(2026, 2, 1), date(2026, 2, 28), GroupBy::Total);
            assert_eq!((p.months, p.days), (vec![date(2026, 2, 1)], vec![]));
            let p = plan(date(2026, 2, 2), date(2026, 2, 27), GroupBy::Total);
            assert_eq!((p.months, p.days), (vec![], vec![(date(2026, 2, 2), date(2026, 2, 27))]));
            let p = plan(date(2026, 1, 1), date(2026, 3, 31), GroupBy::Day);
            assert!(!GroupBy::WeekdayHour.needs_days(), "the hours cuboid keeps the weekday");
            assert_eq!((p.months, p.days), (vec![], vec![(date(2026, 1, 1), date(2026, 3, 31))]));
            assert_eq!(plan(date(2026, 3, 2), date(2026, 3, 1), GroupBy::Total), Plan::default());
        }
    }
}
