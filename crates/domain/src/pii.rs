//! Personal data: national ID numbers (FIN, the 7-character personal identification number on an
//! Azerbaijani ID card) and phone numbers. Their `Debug` and `Display` show them masked, so a log
//! line or an error message cannot leak one; [`Fin::reveal`] and [`Phone::reveal`] are the only
//! ways to the full value, for storage and for roles allowed to see it.

use std::fmt;

/// A FIN: 7 characters, digits and capital Latin letters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fin(String);

/// A phone number in international form: `+` and 8 to 15 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// Why personal data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PiiError {
    /// Not a FIN.
    #[error("a FIN has 7 characters, digits and capital letters")]
    BadFin,
    /// Not a phone number.
    #[error("a phone number is written +CCC… with 8 to 15 digits, e.g. +994501234567")]
    BadPhone,
}

impl Fin {
    /// Checks and wraps a FIN; lower-case letters are taken as capitals.
    pub fn parse(raw: &str) -> Result<Fin, PiiError> {
        let fin = raw.trim().to_ascii_uppercase();
        if fin.len() == 7 && fin.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
            Ok(Fin(fin))
        } else {
            Err(PiiError::BadFin)
        }
    }

    /// The full FIN: for storage and for roles allowed to see it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The FIN with all but its last two characters hidden: `*****7K`.
    pub fn masked(&self) -> String {
        mask(&self.0, 0, 2)
    }
}

impl Phone {
    /// Checks and wraps a phone number, ignoring spaces, dashes and brackets.
    pub fn parse(raw: &str) -> Result<Phone, PiiError> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        let digits = compact.strip_prefix('+').ok_or(PiiError::BadPhone)?;
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(compact))
        } else {
            Err(PiiError::BadPhone)
        }
    }

    /// The full number: for storage, for sending messages and for roles allowed to see it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The number with its middle hidden: `+99450*****67`.
    pub fn masked(&self) -> String {
        mask(&self.0, 6, 2)
    }
}

fn mask(text: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_start || i + keep_end >= chars.len() { *c } else { '*' })
        .collect()
}

impl fmt::Debug for Fin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fin({})", self.masked())
    }
}

impl fmt::Display for Fin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fins_are_checked_and_masked() {
        let fin = Fin::parse(" 5zk7q2m ").unwrap();
        assert_eq!(fin.reveal(), "5ZK7Q2M");
        assert_eq!(fin.masked(), "*****2M");
        assert_eq!(format!("{fin} {fin:?}"), "*****2M Fin(*****2M)");
        assert_eq!(Fin::parse("5ZK7Q2"), Err(PiiError::BadFin));
        assert_eq!(Fin::parse("5ZK7Q2M1"), Err(PiiError::BadFin));
        assert_eq!(Fin::parse("5ZK-Q2M"), Err(PiiError::BadFin));
    }

    #[test]
    fn phones_are_checked_and_masked() {
        let phone = Phone::parse("+994 (50) 123-45-67").unwrap();
        assert_eq!(phone.reveal(), "+994501234567");
        assert_eq!(phone.masked(), "+99450*****67");
        assert!(!format!("{phone:?}").contains("1234"));
        assert_eq!(Phone::parse("0501234567"), Err(PiiError::BadPhone));
        assert_eq!(Phone::parse("+99450"), Err(PiiError::BadPhone));
    }
}
