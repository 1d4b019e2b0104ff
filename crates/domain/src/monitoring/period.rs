//! Reporting periods: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`), each a range of
//! local dates.

use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long a reporting period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar year.
    Year,
}

impl PeriodKind {
    /// Every kind.
    pub const ALL: [PeriodKind; 3] = [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year];

    /// The kind's name: `month`, `quarter`, `year`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<PeriodKind> {
        PeriodKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A month, quarter or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    /// Month, quarter or year.
    pub kind: PeriodKind,
    /// The year.
    pub year: i16,
    /// The month (1–12) or quarter (1–4); 1 for a year.
    pub part: i8,
}

impl Period {
    /// The month of `day`.
    pub fn month_of(day: Date) -> Period {
        Period { kind: PeriodKind::Month, year: day.year(), part: day.month() }
    }

    /// The quarter of `day`.
    pub fn quarter_of(day: Date) -> Period {
        Period { kind: PeriodKind::Quarter, year: day.year(), part: (day.month() - 1) / 3 + 1 }
    }

    /// The year of `day`.
    pub fn year_of(day: Date) -> Period {
        Period { kind: PeriodKind::Year, year: day.year(), part: 1 }
    }

    /// The period of `kind` holding `day`.
    pub fn of(kind: PeriodKind, day: Date) -> Period {
        match kind {
            PeriodKind::Month => Period::month_of(day),
            PeriodKind::Quarter => Period::quarter_of(day),
            PeriodKind::Year => Period::year_of(day),
        }
    }

    /// Reads `2026-11`, `2026-Q4` or `2026`.
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        let year =
            |y: &str| y.parse::<i16>().ok().filter(|y| (1900..=9999).contains(y) && y.to_string().len() == 4);
        if let Some((y, q)) = text.split_once("-Q") {
            let part = q.parse::<i8>().ok().filter(|q| (1..=4).contains(q))?;
            return Some(Period { kind: PeriodKind::Quarter, year: year(y)?, part });
        }
        if let Some((y, m)) = text.split_once('-') {
            if m.len() != 2 {
                return None;
            }
            let part = m.parse::<i8>().ok().filter(|m| (1..=12).contains(m))?;
            return Some(Period { kind: PeriodKind::Month, year: year(y)?, part });
        }
        Some(Period { kind: PeriodKind::Year, year: year(text)?, part: 1 })
    }

    /// The first day.
    pub fn first_day(self) -> Date {
        match self.kind {
            PeriodKind::Month => date(self.year, self.part, 1),
            PeriodKind::Quarter => date(self.year, (self.part - 1) * 3 + 1, 1),
            PeriodKind::Year => date(self.year, 1, 1),
        }
    }

    /// The last day.
    pub fn last_day(self) -> Date {
        let after = self.next().first_day();
        after.yesterday().unwrap_or(after)
    }

    /// The period after this one, of the same kind.
    pub fn next(self) -> Period {
        let (per_year, part) = match self.kind {
            PeriodKind::Month => (12, self.part),
            PeriodKind::Quarter => (4, self.part),
            PeriodKind::Year => (1, 1),
        };
        if part >= per_year {
            Period { year: self.year + 1, part: 1, ..self }
        } else {
            Period { part: part + 1, ..self }
        }
    }

    /// The period before this one, of the same kind.
    pub fn previous(self) -> Period {
        let day = self.first_day().yesterday().unwrap_or(self.first_day());
        Period::of(self.kind, day)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{:04}-{:02}", self.year, self.part),
            PeriodKind::Quarter => write!(f, "{:04}-Q{}", self.year, self.part),
            PeriodKind::Year => write!(f, "{:04}", self.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_write_and_span_their_days() {
        for (text, first, last) in [
            ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
            ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
            ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
            ("2028", date(2028, 1, 1), date(2028, 12, 31)),
        ] {
            let p = Period::parse(text).unwrap();
            assert_eq!((p.to_string(), p.first_day(), p.last_day()), (text.to_owned(), first, last));
            assert_eq!(p.next().previous(), p);
        }
        assert_eq!(Period::parse("2026-12").unwrap().next().to_string(), "2027-01");
        assert_eq!(Period::parse("2026-Q4").unwrap().next().to_string(), "2027-Q1");
        assert_eq!(Period::quarter_of(date(2026, 5, 9)).to_string(), "2026-Q2");
        for bad in ["2026-13", "2026-Q5", "26", "2026-1", "x", ""] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }
}
