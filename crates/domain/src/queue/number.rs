//! Human ticket numbers, e.g. `J-017`: a prefix letter for the service group and a counter that
//! starts at 1 for each centre, prefix letter and day. The counter is written with at least 3
//! digits and grows to 4 past 999; a letter numbers at most [`MAX_SEQUENCE`] tickets a day.
//!
//! Each group has a letter of its own while the 24 letters last ([`assign_prefixes`]); a network
//! with more groups lets some share a letter, and groups sharing a letter share its counter, so a
//! number stays unique within its centre and day.
//!
//! The number is what the hall screens show and the officer calls out; it is separate from the
//! ticket's internal id, and unique only within its centre and day.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::catalogue::GroupCode;

/// The highest counter value of a day.
pub const MAX_SEQUENCE: u32 = 9999;

/// Letters never used as prefixes, so that a number cannot be misread: `I` (like 1) and `O` (like 0).
pub const AVOIDED_LETTERS: [char; 2] = ['I', 'O'];

/// A ticket's human number, e.g. `J-017`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TicketNumber {
    prefix: char,
    sequence: u32,
}

/// Why a ticket number or a prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not a letter `A`–`Z`, a dash and a counter of 3 or more digits without extra leading zeros.
    #[error("a ticket number is a capital letter, a dash and 3 or 4 digits, e.g. J-017")]
    Malformed,
    /// The prefix is not a capital letter `A`–`Z`.
    #[error("a ticket prefix is one capital letter A–Z")]
    BadPrefix,
    /// The counter is 0 or past [`MAX_SEQUENCE`].
    #[error("a ticket counter runs from 1 to {MAX_SEQUENCE}")]
    OutOfRange,
    /// The group issued its last number of the day.
    #[error("group {group} has issued all {MAX_SEQUENCE} numbers of the day")]
    Exhausted {
        /// The group.
        group: GroupCode,
    },
    /// Two groups were given the same prefix letter.
    #[error("groups {first} and {second} were both given the prefix {prefix}")]
    DuplicatePrefix {
        /// The prefix.
        prefix: char,
        /// One group.
        first: GroupCode,
        /// The other.
        second: GroupCode,
    },
}

impl TicketNumber {
    /// A number from its prefix and counter.
    pub fn new(prefix: char, sequence: u32) -> Result<TicketNumber, NumberError> {
        if !prefix.is_ascii_uppercase() {
            return Err(NumberError::BadPrefix);
        }
        if !(1..=MAX_SEQUENCE).contains(&sequence) {
            return Err(NumberError::OutOfRange);
        }
        Ok(TicketNumber { prefix, sequence })
    }

    /// The group's prefix letter.
    pub fn prefix(&self) -> char {
        self.prefix
    }

    /// The counter within the centre, group and day, from 1.
    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// Parses the form [`Display`](fmt::Display) writes, e.g. `J-017` or `J-1204`.
    pub fn parse(text: &str) -> Result<TicketNumber, NumberError> {
        let (prefix, digits) = text.split_once('-').ok_or(NumberError::Malformed)?;
        let mut letters = prefix.chars();
        let (Some(prefix), None) = (letters.next(), letters.next()) else {
            return Err(NumberError::Malformed);
        };
        let canonical = digits.len() == 3 || (digits.len() > 3 && !digits.starts_with('0'));
        if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberError::Malformed);
        }
        let sequence = digits.parse().map_err(|_| NumberError::OutOfRange)?;
        TicketNumber::new(prefix, sequence)
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:03}", self.prefix, self.sequence)
    }
}

impl FromStr for TicketNumber {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<TicketNumber, NumberError> {
        TicketNumber::parse(s)
    }
}

/// The number after `issued` numbers of the prefix letter today at a centre (`issued` is the stored
/// counter, 0 at the start of the day); `group` names the group in the error when the day is full.
pub fn next_number(prefix: char, group: &GroupCode, issued: u32) -> Result<TicketNumber, NumberError> {
    if issued >= MAX_SEQUENCE {
        return Err(NumberError::Exhausted { group: group.clone() });
    }
    TicketNumber::new(prefix, issued + 1)
}

/// Assigns a prefix letter to each group, deterministically: the letters `given` are kept (and
/// checked); the other groups, in order of their codes, take the first letter of their code if it
/// is free, else the first free letter from `A` other than the [`AVOIDED_LETTERS`], else a free
/// avoided letter; when all 26 are taken, the group shares its own first letter (or the least
/// shared one). The order of `groups` does not matter.
pub fn assign_prefixes(
    groups: &[GroupCode],
    given: &BTreeMap<GroupCode, char>,
) -> Result<BTreeMap<GroupCode, char>, NumberError> {
    let mut assigned = BTreeMap::new();
    let mut owner: BTreeMap<char, &GroupCode> = BTreeMap::new();
    for (group, prefix) in given {
        if !prefix.is_ascii_uppercase() {
            return Err(NumberError::BadPrefix);
        }
        if let Some(first) = owner.insert(*prefix, group) {
            return Err(NumberError::DuplicatePrefix {
                prefix: *prefix,
                first: first.clone(),
                second: group.clone(),
            });
        }
        assigned.insert(group.clone(), *prefix);
    }
    let rest: BTreeSet<&GroupCode> = groups.iter().filter(|g| !given.contains_key(*g)).collect();
    for group in rest {
        let free = |c: &char| !owner.contains_key(c) && !AVOIDED_LETTERS.contains(c);
        let own =
            group.as_str().chars().next().map(|c| c.to_ascii_uppercase()).filter(char::is_ascii_uppercase);
        let unused = |c: &char| !owner.contains_key(c);
        let letter = own
            .filter(free)
            .or_else(|| ('A'..='Z').find(free))
            // Past 24 groups, the avoided letters before any sharing.
            .or_else(|| AVOIDED_LETTERS.into_iter().find(unused))
            .unwrap_or_else(|| {
                // Every letter is taken: share the group's own letter, else the least shared one.
                let shared = |c: &char| assigned.values().filter(|l| *l == c).count();
                own.unwrap_or_else(|| ('A'..='Z').min_by_key(shared).unwrap_or('A'))
            });
        owner.entry(letter).or_insert(group);
        assigned.insert(group.clone(), letter);
    }
    Ok(assigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(code: &str) -> GroupCode {
        GroupCode::new(code)
    }

    #[test]
    fn numbers_are_written_with_three_digits_growing_to_four() {
        assert_eq!(TicketNumber::new('J', 17).unwrap().to_string(), "J-017");
        assert_eq!(TicketNumber::new('A', 1).unwrap().to_string(), "A-001");
        assert_eq!(TicketNumber::new('A', 999).unwrap().to_string(), "A-999");
        assert_eq!(TicketNumber::new('A', 1000).unwrap().to_string(), "A-1000");
        assert_eq!(TicketNumber::new('Z', 9999).unwrap().to_string(), "Z-9999");
    }

    #[test]
    fn numbers_parse_back() {
        for (prefix, seq) in [('J', 17), ('A', 1), ('B', 999), ('C', 1000), ('Z', 9999)] {
            let n = TicketNumber::new(prefix, seq).unwrap();
            assert_eq!(TicketNumber::parse(&n.to_string()), Ok(n));
            assert_eq!(n.to_string().parse::<TicketNumber>(), Ok(n));
        }
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for bad in
            ["", "J", "J-", "J017", "J-17", "J-0017", "JJ-017", "-017", "J-01a", "J-+17", "J--17", "Ə-017"]
        {
            assert!(TicketNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(TicketNumber::parse("j-017"), Err(NumberError::BadPrefix));
        assert_eq!(TicketNumber::parse("J-000"), Err(NumberError::OutOfRange));
        assert_eq!(TicketNumber::parse("J-10000"), Err(NumberError::OutOfRange));
        assert_eq!(TicketNumber::new('J', 0), Err(NumberError::OutOfRange));
        assert_eq!(TicketNumber::new('7', 1), Err(NumberError::BadPrefix));
    }

    #[test]
    fn the_counter_counts_up_to_its_limit() {
        assert_eq!(next_number('J', &g("justice"), 0).unwrap().to_string(), "J-001");
        assert_eq!(next_number('J', &g("justice"), 16).unwrap().to_string(), "J-017");
        assert_eq!(next_number('J', &g("justice"), 999).unwrap().to_string(), "J-1000");
        assert_eq!(
            next_number('J', &g("justice"), MAX_SEQUENCE),
            Err(NumberError::Exhausted { group: g("justice") })
        );
    }

    #[test]
    fn prefixes_are_first_letters_when_free_and_do_not_depend_on_order() {
        let groups = [g("justice"), g("civil-status"), g("cars"), g("identity"), g("migration"), g("maps")];
        let a = assign_prefixes(&groups, &BTreeMap::new()).unwrap();
        let mut reversed = groups.clone();
        reversed.reverse();
        assert_eq!(assign_prefixes(&reversed, &BTreeMap::new()).unwrap(), a);
        // In code order: cars C, civil-status (C taken) A, identity (I avoided) B, justice J,
        // maps M, migration (M taken) D.
        let expect =
            [("cars", 'C'), ("civil-status", 'A'), ("identity", 'B'), ("justice", 'J'), ("maps", 'M')];
        for (code, letter) in expect {
            assert_eq!(a[&g(code)], letter, "{code}");
        }
        assert_eq!(a[&g("migration")], 'D');
    }

    #[test]
    fn given_prefixes_are_kept_and_checked() {
        let groups = [g("justice"), g("jobs")];
        let given = BTreeMap::from([(g("jobs"), 'J')]);
        let a = assign_prefixes(&groups, &given).unwrap();
        assert_eq!((a[&g("jobs")], a[&g("justice")]), ('J', 'A'));
        let clash = BTreeMap::from([(g("jobs"), 'J'), (g("justice"), 'J')]);
        assert!(matches!(
            assign_prefixes(&groups, &clash),
            Err(NumberError::DuplicatePrefix { prefix: 'J', .. })
        ));
        let bad = BTreeMap::from([(g("jobs"), 'j')]);
        assert_eq!(assign_prefixes(&groups, &bad), Err(NumberError::BadPrefix));
    }

    #[test]
    fn groups_beyond_the_letters_take_i_and_o_then_share() {
        let groups: Vec<GroupCode> = (0..24).map(|i| g(&format!("g{i:02}"))).collect();
        let a = assign_prefixes(&groups, &BTreeMap::new()).unwrap();
        let letters: BTreeSet<char> = a.values().copied().collect();
        assert_eq!(letters.len(), 24, "24 groups, 24 letters of their own");
        assert!(!letters.contains(&'I') && !letters.contains(&'O'));
        // The 25th and 26th groups take I and O.
        let more = [groups.clone(), vec![g("tourism"), g("information")]].concat();
        let a = assign_prefixes(&more, &BTreeMap::new()).unwrap();
        assert_eq!(a.values().copied().collect::<BTreeSet<char>>().len(), 26);
        assert!(AVOIDED_LETTERS.iter().all(|c| a.values().any(|l| l == c)));
        // With a 27th, the groups take letters in code order: `tickets` takes the last free one
        // (O) and `tourism`, last, shares its own first letter.
        let most = [more.clone(), vec![g("tickets")]].concat();
        let a = assign_prefixes(&most, &BTreeMap::new()).unwrap();
        assert_eq!(a.len(), 27);
        assert_eq!((a[&g("information")], a[&g("tickets")], a[&g("tourism")]), ('I', 'O', 'T'));
        assert_eq!(a.values().copied().collect::<BTreeSet<char>>().len(), 26);
        // Deterministic: the order of the groups does not matter.
        let reversed: Vec<GroupCode> = most.iter().rev().cloned().collect();
        assert_eq!(assign_prefixes(&reversed, &BTreeMap::new()).unwrap(), a);
    }
}
