//! Reading an ID card at the info desk or a kiosk: the FIN typed by hand, or the machine-readable
//! zone (MRZ) of the card as a reader emits it.
//!
//! The card is an ICAO 9303 TD1 document (Part 5): three lines of 30 characters from `A`–`Z`,
//! `0`–`9` and the filler `<`.
//!
//! ```text
//! line 1: 1–2 document code, 3–5 issuing state, 6–14 document number, 15 check digit,
//!         16–30 optional data
//! line 2: 1–6 birth date YYMMDD, 7 check digit, 8 sex, 9–14 expiry date YYMMDD, 15 check digit,
//!         16–18 nationality, 19–29 optional data, 30 composite check digit
//! line 3: surname << given names, fillers between names
//! ```
//!
//! A document number longer than 9 characters overflows into the optional data of line 1: the
//! check digit position 15 holds `<`, the number goes on in the optional data up to the next `<`,
//! and the last character before it is the check digit. [`parse_td1`] follows that rule.
//!
//! **Assumption about the Azerbaijani ID card**: its FIN (the 7-character personal identification
//! number) is written at the start of the optional data of line 1, after the document number and
//! its overflow, followed by fillers. [`Td1::fin`] is that value when it is a valid FIN, else `None`;
//! cards of other states carry other data there, which is kept in [`Td1::optional_data`].
//!
//! Readers acting as a keyboard ("keyboard wedge") emit the three lines separated by a newline
//! (`\n` or `\r\n`) or run together as 90 characters; both are accepted, and whitespace around the
//! text or at the end of a line is ignored.

use std::fmt;

use jiff::civil::Date;

use crate::pii::Fin;

/// The fields of a TD1 machine-readable zone, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrzField {
    /// Line 1, positions 1–2.
    DocumentCode,
    /// Line 1, positions 3–5.
    IssuingState,
    /// Line 1, positions 6–14 (and its overflow), with its check digit.
    DocumentNumber,
    /// Line 1, positions 16–30, or line 2, positions 19–29.
    OptionalData,
    /// Line 2, positions 1–7.
    BirthDate,
    /// Line 2, position 8.
    Sex,
    /// Line 2, positions 9–15.
    ExpiryDate,
    /// Line 2, positions 16–18.
    Nationality,
    /// Line 2, position 30: the check digit over the other checked fields.
    Composite,
    /// Line 3.
    Names,
}

impl fmt::Display for MrzField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MrzField::DocumentCode => "document code",
            MrzField::IssuingState => "issuing state",
            MrzField::DocumentNumber => "document number",
            MrzField::OptionalData => "optional data",
            MrzField::BirthDate => "birth date",
            MrzField::Sex => "sex",
            MrzField::ExpiryDate => "expiry date",
            MrzField::Nationality => "nationality",
            MrzField::Composite => "composite check digit",
            MrzField::Names => "names",
        })
    }
}

/// Why a machine-readable zone was refused. No variant carries the personal data read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    /// Not three lines.
    #[error(
        "a TD1 machine-readable zone has 3 lines of 30 characters (or 90 in one run); found {found} lines"
    )]
    LineCount {
        /// Lines found.
        found: usize,
    },
    /// A line is not 30 characters long.
    #[error("line {line} of the machine-readable zone has {found} characters, not 30")]
    LineLength {
        /// The line, from 1.
        line: usize,
        /// Its length in characters.
        found: usize,
    },
    /// A character other than `A`–`Z`, `0`–`9` and `<`.
    #[error("line {line}, position {position} of the machine-readable zone is not A–Z, 0–9 or <")]
    BadCharacter {
        /// The line, from 1.
        line: usize,
        /// The position in the line, from 1.
        position: usize,
    },
    /// A check digit does not match its field.
    #[error("the check digit of the {field} does not match")]
    CheckDigit {
        /// The field whose check failed.
        field: MrzField,
    },
    /// A field is malformed, e.g. a date that does not exist or an empty document number.
    #[error("the {field} is malformed: {reason}")]
    Malformed {
        /// The field.
        field: MrzField,
        /// What is wrong, without the value.
        reason: &'static str,
    },
}

/// A date in the MRZ: two-digit year, month and day, checked to exist in some century.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MrzDate {
    /// Year within the century, 0–99.
    pub yy: u8,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

impl MrzDate {
    /// The date in the latest century that puts it on or before `today`: the reading of a birth date.
    pub fn on_or_before(self, today: Date) -> Option<Date> {
        let century = i32::from(today.year()) / 100 * 100;
        [century, century - 100].into_iter().find_map(|c| self.in_century(c).filter(|d| *d <= today))
    }

    /// The date in the century that puts it within 50 years of `today`: the reading of an expiry date.
    pub fn nearest(self, today: Date) -> Option<Date> {
        let century = i32::from(today.year()) / 100 * 100;
        [century - 100, century, century + 100]
            .into_iter()
            .filter_map(|c| self.in_century(c))
            .min_by_key(|d| (i32::from(d.year()) - i32::from(today.year())).abs())
    }

    fn in_century(self, century: i32) -> Option<Date> {
        let year = i16::try_from(century + i32::from(self.yy)).ok()?;
        Date::new(year, i8::try_from(self.month).ok()?, i8::try_from(self.day).ok()?).ok()
    }
}

impl fmt::Display for MrzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}{:02}{:02}", self.yy, self.month, self.day)
    }
}

/// Sex as the MRZ records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `F`.
    Female,
    /// `M`.
    Male,
    /// `<` or `X`: unspecified.
    Unspecified,
}

/// A TD1 machine-readable zone whose check digits all match. It holds personal data: its `Debug`
/// shows only the document code and the issuing state.
#[derive(Clone, PartialEq, Eq)]
pub struct Td1 {
    /// Document code without fillers, e.g. `I` or `ID`.
    pub document_code: String,
    /// Issuing state or organisation (ICAO 9303 code, e.g. `AZE`), fillers removed.
    pub issuing_state: String,
    /// Document number including any overflow, fillers removed.
    pub document_number: String,
    /// Optional data of line 1 after the document number (and its overflow), fillers at the ends removed.
    pub optional_data: String,
    /// Optional data of line 2, fillers at the ends removed.
    pub optional_data_2: String,
    /// Date of birth.
    pub birth_date: MrzDate,
    /// Sex.
    pub sex: Sex,
    /// Date of expiry.
    pub expiry_date: MrzDate,
    /// Nationality (ICAO 9303 code), fillers removed.
    pub nationality: String,
    /// Surname(s), fillers turned into spaces.
    pub surname: String,
    /// Given names, fillers turned into spaces; empty when the card has none.
    pub given_names: String,
    /// The FIN: the first 7 characters of the line-1 optional data when they form a FIN followed by
    /// a filler or the end (the Azerbaijani ID card; see the module documentation).
    pub fin: Option<Fin>,
}

impl fmt::Debug for Td1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Td1")
            .field("document_code", &self.document_code)
            .field("issuing_state", &self.issuing_state)
            .finish_non_exhaustive()
    }
}

/// The value of an MRZ character in a check digit: `0`–`9` as themselves, `A`–`Z` as 10–35, `<` as 0.
fn char_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 0,
    }
}

/// The ICAO 9303 check digit of `field`: values weighted 7, 3, 1 repeating, summed, modulo 10.
pub fn check_digit(field: &[u8]) -> u8 {
    let sum: u32 = field.iter().zip([7, 3, 1].iter().cycle()).map(|(c, w)| char_value(*c) * w).sum();
    // The sum modulo 10 is below 10, so it fits a digit.
    b'0' + u8::try_from(sum % 10).unwrap_or(0)
}

fn verify(field: &[u8], digit: u8, which: MrzField) -> Result<(), MrzError> {
    if digit.is_ascii_digit() && check_digit(field) == digit {
        Ok(())
    } else {
        Err(MrzError::CheckDigit { field: which })
    }
}

/// Splits the reader's text into three lines of 30 checked characters.
fn lines(text: &str) -> Result<[&[u8]; 3], MrzError> {
    let text = text.trim();
    let parts: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    let parts: Vec<&[u8]> = match parts.as_slice() {
        [one] if one.chars().count() == 90 => one.as_bytes().chunks(30).collect(),
        [one] if one.chars().count() != 30 => {
            return Err(MrzError::LineLength { line: 1, found: one.chars().count() });
        }
        many => many.iter().map(|l| l.as_bytes()).collect(),
    };
    let [a, b, c] = parts.as_slice() else {
        return Err(MrzError::LineCount { found: parts.len() });
    };
    for (i, line) in [a, b, c].into_iter().enumerate() {
        // Count characters, not bytes, so that a non-ASCII character is reported as such.
        let found = std::str::from_utf8(line).map(|s| s.chars().count()).unwrap_or(line.len());
        // Positions count bytes; they are characters up to the first non-ASCII one, which is reported.
        if let Some(position) = line.iter().position(|c| !matches!(c, b'A'..=b'Z' | b'0'..=b'9' | b'<')) {
            return Err(MrzError::BadCharacter { line: i + 1, position: position + 1 });
        }
        if found != 30 {
            return Err(MrzError::LineLength { line: i + 1, found });
        }
    }
    Ok([a, b, c])
}

/// The text of a field with its fillers removed at both ends.
fn trimmed(field: &[u8]) -> String {
    String::from_utf8_lossy(field).trim_matches('<').to_string()
}

/// The text of a field with its fillers turned into single spaces.
fn spaced(field: &str) -> String {
    field.split('<').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn date(field: &[u8], which: MrzField) -> Result<MrzDate, MrzError> {
    if !field.iter().all(u8::is_ascii_digit) {
        return Err(MrzError::Malformed { field: which, reason: "a date is six digits YYMMDD" });
    }
    let two = |i: usize| (field[i] - b'0') * 10 + (field[i + 1] - b'0');
    let d = MrzDate { yy: two(0), month: two(2), day: two(4) };
    // Some century has the date (29 February exists in 2000, for a 00 year).
    if d.in_century(2000).is_none() && d.in_century(1900).is_none() {
        return Err(MrzError::Malformed { field: which, reason: "no such date" });
    }
    Ok(d)
}

fn code(field: &[u8], which: MrzField) -> Result<String, MrzError> {
    let value = trimmed(field);
    if value.is_empty() || value.contains('<') || !value.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(MrzError::Malformed { field: which, reason: "letters, padded with < at the end" });
    }
    Ok(value)
}

/// Parses and checks a TD1 machine-readable zone (see the module documentation for the layout and
/// the accepted forms). Every check digit is verified: document number, birth date, expiry date and
/// the composite; the first failure is reported, naming the field.
pub fn parse_td1(text: &str) -> Result<Td1, MrzError> {
    let [l1, l2, l3] = lines(text)?;

    let document_code = code(&l1[0..2], MrzField::DocumentCode)?;
    let issuing_state = code(&l1[2..5], MrzField::IssuingState)?;

    // Document number, with the overflow rule for numbers longer than 9 characters.
    let (document_number, optional_from) = if l1[14] == b'<' && l1[15] != b'<' {
        let end = l1[15..30].iter().position(|c| *c == b'<').map_or(30, |p| 15 + p);
        // l1[15..end] is the overflow followed by the check digit.
        let Some((digit, overflow)) = l1[15..end].split_last() else {
            return Err(MrzError::CheckDigit { field: MrzField::DocumentNumber });
        };
        let mut number = l1[5..14].to_vec();
        number.extend_from_slice(overflow);
        verify(&number, *digit, MrzField::DocumentNumber)?;
        (String::from_utf8_lossy(&number).to_string(), end)
    } else {
        verify(&l1[5..14], l1[14], MrzField::DocumentNumber)?;
        (trimmed(&l1[5..14]), 15)
    };
    if document_number.is_empty() || document_number.contains('<') {
        return Err(MrzError::Malformed { field: MrzField::DocumentNumber, reason: "empty or with a gap" });
    }

    verify(&l2[0..6], l2[6], MrzField::BirthDate)?;
    verify(&l2[8..14], l2[14], MrzField::ExpiryDate)?;
    let mut composite = l1[5..30].to_vec();
    composite.extend_from_slice(&l2[0..7]);
    composite.extend_from_slice(&l2[8..15]);
    composite.extend_from_slice(&l2[18..29]);
    verify(&composite, l2[29], MrzField::Composite)?;

    let birth_date = date(&l2[0..6], MrzField::BirthDate)?;
    let expiry_date = date(&l2[8..14], MrzField::ExpiryDate)?;
    let sex = match l2[7] {
        b'F' => Sex::Female,
        b'M' => Sex::Male,
        b'<' | b'X' => Sex::Unspecified,
        _ => return Err(MrzError::Malformed { field: MrzField::Sex, reason: "F, M, X or <" }),
    };
    let nationality = code(&l2[15..18], MrzField::Nationality)?;

    let optional_data = trimmed(l1.get(optional_from..30).unwrap_or_default());
    let fin = optional_data
        .split('<')
        .next()
        .filter(|first| first.len() == 7)
        .and_then(|first| Fin::parse(first).ok());

    let names = String::from_utf8_lossy(l3).to_string();
    let (surname, given) = names.split_once("<<").unwrap_or((names.as_str(), ""));
    let surname = spaced(surname);
    if surname.is_empty() {
        return Err(MrzError::Malformed { field: MrzField::Names, reason: "no surname" });
    }

    Ok(Td1 {
        document_code,
        issuing_state,
        document_number,
        optional_data,
        optional_data_2: trimmed(&l2[18..29]),
        birth_date,
        sex,
        expiry_date,
        nationality,
        surname,
        given_names: spaced(given),
        fin,
    })
}

/// What the info desk or a kiosk read from an ID card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardRead {
    /// A FIN typed by hand.
    Typed(Fin),
    /// A swiped card's machine-readable zone.
    Swiped(Box<Td1>),
}

impl CardRead {
    /// The FIN read, if any (a swiped card of another state may have none).
    pub fn fin(&self) -> Option<&Fin> {
        match self {
            CardRead::Typed(fin) => Some(fin),
            CardRead::Swiped(td1) => td1.fin.as_ref(),
        }
    }
}

/// Why the text from the desk was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardReadError {
    /// Seven characters or fewer typed, but not a FIN.
    #[error("a FIN has 7 characters, digits and capital letters")]
    BadFin,
    /// Longer text, taken as a machine-readable zone, refused.
    #[error(transparent)]
    Mrz(#[from] MrzError),
}

/// Reads what the desk sent: a FIN typed by hand (up to 7 characters after trimming) or a
/// machine-readable zone from a card reader (anything longer).
pub fn read_card(text: &str) -> Result<CardRead, CardReadError> {
    if text.trim().chars().count() <= 7 {
        return Fin::parse(text).map(CardRead::Typed).map_err(|_| CardReadError::BadFin);
    }
    Ok(CardRead::Swiped(Box::new(parse_td1(text)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECIMEN: [&str; 3] = [
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ];

    /// An independent check digit: the weights written out, not cycled.
    fn digit(field: &str) -> char {
        let weights = [7u32, 3, 1];
        let mut sum = 0;
        for (i, c) in field.chars().enumerate() {
            let v = match c {
                '<' => 0,
                '0'..='9' => c.to_digit(10).unwrap(),
                'A'..='Z' => c as u32 - 'A' as u32 + 10,
                _ => panic!("not an MRZ character"),
            };
            sum += v * weights[i % 3];
        }
        char::from_digit(sum % 10, 10).unwrap()
    }

    fn pad(s: &str, n: usize) -> String {
        format!("{s:<<n$}")
    }

    /// A TD1 built from its fields, with every check digit computed by the helper above.
    fn card(number: &str, optional: &str, birth: &str, sex: char, expiry: &str, names: &str) -> [String; 3] {
        let l1 = format!("IDAZE{}{}{}", pad(number, 9), digit(&pad(number, 9)), pad(optional, 15));
        let upper = format!("{birth}{}", digit(birth));
        let expiry = format!("{expiry}{}", digit(expiry));
        let opt2 = pad("", 11);
        let composite = digit(&format!("{}{upper}{expiry}{opt2}", &l1[5..30]));
        let l2 = format!("{upper}{sex}{expiry}AZE{opt2}{composite}");
        [l1, l2, pad(names, 30)]
    }

    fn azeri() -> [String; 3] {
        card("AA1234567", "5ABC12K", "900215", 'M', "340101", "MAMMADOV<<ALI<VUGAR")
    }

    #[test]
    fn the_icao_specimen_is_read() {
        let td1 = parse_td1(&SPECIMEN.join("\n")).unwrap();
        assert_eq!(td1.document_code, "I");
        assert_eq!(td1.issuing_state, "UTO");
        assert_eq!(td1.document_number, "D23145890");
        assert_eq!(td1.optional_data, "");
        assert_eq!(td1.birth_date, MrzDate { yy: 74, month: 8, day: 12 });
        assert_eq!(td1.sex, Sex::Female);
        assert_eq!(td1.expiry_date, MrzDate { yy: 12, month: 4, day: 15 });
        assert_eq!(td1.nationality, "UTO");
        assert_eq!(td1.surname, "ERIKSSON");
        assert_eq!(td1.given_names, "ANNA MARIA");
        assert_eq!(td1.fin, None);
    }

    #[test]
    fn the_check_digit_helper_agrees_with_the_specimen() {
        assert_eq!(digit("D23145890"), '7');
        assert_eq!(digit("740812"), '2');
        assert_eq!(digit("120415"), '9');
        assert_eq!(check_digit(b"D23145890"), b'7');
    }

    #[test]
    fn an_azerbaijani_card_gives_its_fin() {
        let td1 = parse_td1(&azeri().join("\n")).unwrap();
        assert_eq!(td1.fin.as_ref().map(Fin::reveal), Some("5ABC12K"));
        assert_eq!(td1.optional_data, "5ABC12K");
        assert_eq!(td1.document_code, "ID");
        assert_eq!(td1.issuing_state, "AZE");
        assert_eq!(td1.surname, "MAMMADOV");
        assert_eq!(td1.given_names, "ALI VUGAR");
        assert_eq!(td1.sex, Sex::Male);
    }

    #[test]
    fn reader_forms_are_accepted() {
        let lines = azeri();
        let expected = parse_td1(&lines.join("\n")).unwrap();
        for text in [
            lines.concat(),
            lines.join("\r\n"),
            format!("{}\r\n", lines.join("\r\n")),
            format!("  {}  \n{} \n{}\t\n", lines[0], lines[1], lines[2]),
            format!("{}\n", lines.concat()),
        ] {
            assert_eq!(parse_td1(&text).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn every_wrong_check_digit_is_named() {
        let good = SPECIMEN.map(String::from);
        for (line, pos, field) in [
            (0, 14, MrzField::DocumentNumber),
            (1, 6, MrzField::BirthDate),
            (1, 14, MrzField::ExpiryDate),
            (1, 29, MrzField::Composite),
        ] {
            for wrong in (b'0'..=b'9').filter(|d| *d != good[line].as_bytes()[pos]) {
                let mut bad = good.clone();
                let mut bytes = bad[line].clone().into_bytes();
                bytes[pos] = wrong;
                bad[line] = String::from_utf8(bytes).unwrap();
                assert_eq!(parse_td1(&bad.join("\n")), Err(MrzError::CheckDigit { field }));
            }
        }
    }

    #[test]
    fn a_changed_field_fails_its_check() {
        let mut bad = SPECIMEN.map(String::from);
        bad[0] = bad[0].replace("D2314", "D2315");
        assert_eq!(parse_td1(&bad.join("\n")), Err(MrzError::CheckDigit { field: MrzField::DocumentNumber }));
        // Optional data is covered only by the composite.
        let mut bad = SPECIMEN.map(String::from);
        bad[0].replace_range(20..21, "X");
        assert_eq!(parse_td1(&bad.join("\n")), Err(MrzError::CheckDigit { field: MrzField::Composite }));
        let mut bad = SPECIMEN.map(String::from);
        bad[1] = bad[1].replace("740812", "740813");
        assert_eq!(parse_td1(&bad.join("\n")), Err(MrzError::CheckDigit { field: MrzField::BirthDate }));
    }

    #[test]
    fn a_filler_is_not_a_check_digit() {
        let mut bad = SPECIMEN.map(String::from);
        bad[1].replace_range(6..7, "<");
        assert_eq!(parse_td1(&bad.join("\n")), Err(MrzError::CheckDigit { field: MrzField::BirthDate }));
    }

    #[test]
    fn wrong_shapes_are_refused() {
        assert_eq!(parse_td1(""), Err(MrzError::LineCount { found: 0 }));
        assert_eq!(parse_td1(&SPECIMEN[..2].join("\n")), Err(MrzError::LineCount { found: 2 }));
        let four = [SPECIMEN[0], SPECIMEN[1], SPECIMEN[2], SPECIMEN[2]].join("\n");
        assert_eq!(parse_td1(&four), Err(MrzError::LineCount { found: 4 }));
        assert_eq!(parse_td1(&SPECIMEN.concat()[..89]), Err(MrzError::LineLength { line: 1, found: 89 }));
        let short = [SPECIMEN[0], &SPECIMEN[1][..29], SPECIMEN[2]].join("\n");
        assert_eq!(parse_td1(&short), Err(MrzError::LineLength { line: 2, found: 29 }));
        let long = [SPECIMEN[0], SPECIMEN[1], &format!("{}<", SPECIMEN[2])].join("\n");
        assert_eq!(parse_td1(&long), Err(MrzError::LineLength { line: 3, found: 31 }));
    }

    #[test]
    fn bad_characters_are_located() {
        let lower = [SPECIMEN[0], SPECIMEN[1], &SPECIMEN[2].replace("ANNA", "Anna")].join("\n");
        assert_eq!(parse_td1(&lower), Err(MrzError::BadCharacter { line: 3, position: 12 }));
        let space = [&SPECIMEN[0].replace("UTO", "U O"), SPECIMEN[1], SPECIMEN[2]].join("\n");
        assert_eq!(parse_td1(&space), Err(MrzError::BadCharacter { line: 1, position: 4 }));
        let accent = [SPECIMEN[0], SPECIMEN[1], &SPECIMEN[2].replace("ANNA", "ƏNNA")].join("\n");
        assert_eq!(parse_td1(&accent), Err(MrzError::BadCharacter { line: 3, position: 11 }));
    }

    #[test]
    fn impossible_dates_and_sexes_are_refused() {
        let bad = card("AA1234567", "5ABC12K", "901315", 'M', "340101", "A<<B");
        assert_eq!(
            parse_td1(&bad.join("\n")),
            Err(MrzError::Malformed { field: MrzField::BirthDate, reason: "no such date" })
        );
        let bad = card("AA1234567", "5ABC12K", "900215", 'M', "340230", "A<<B");
        assert!(matches!(
            parse_td1(&bad.join("\n")),
            Err(MrzError::Malformed { field: MrzField::ExpiryDate, .. })
        ));
        let bad = card("AA1234567", "5ABC12K", "900215", 'Q', "340101", "A<<B");
        assert!(matches!(parse_td1(&bad.join("\n")), Err(MrzError::Malformed { field: MrzField::Sex, .. })));
        let leap = card("AA1234567", "", "000229", 'X', "340101", "A");
        assert_eq!(parse_td1(&leap.join("\n")).unwrap().sex, Sex::Unspecified);
    }

    #[test]
    fn names_without_given_names() {
        let td1 = parse_td1(&card("AA1234567", "", "900215", 'F', "340101", "ALIYEVA").join("\n")).unwrap();
        assert_eq!((td1.surname.as_str(), td1.given_names.as_str()), ("ALIYEVA", ""));
        assert_eq!(td1.fin, None);
        let none = card("AA1234567", "", "900215", 'F', "340101", "");
        assert!(matches!(
            parse_td1(&none.join("\n")),
            Err(MrzError::Malformed { field: MrzField::Names, .. })
        ));
    }

    #[test]
    fn a_long_document_number_overflows_into_optional_data() {
        // 12-character number: 9 in place, `<` at 15, then the rest and its check digit.
        let number = "AB1234567890";
        let check = digit(number);
        let l1 = format!("IDAZE{}<{}{check}<{}", &number[..9], &number[9..], pad("5ABC12K", 10));
        assert_eq!(l1.len(), 30);
        let upper = format!("900215{}", digit("900215"));
        let expiry = format!("340101{}", digit("340101"));
        let opt2 = pad("", 11);
        let composite = digit(&format!("{}{upper}{expiry}{opt2}", &l1[5..30]));
        let l2 = format!("{upper}M{expiry}AZE{opt2}{composite}");
        let td1 = parse_td1(&[l1.clone(), l2.clone(), pad("A<<B", 30)].join("\n")).unwrap();
        assert_eq!(td1.document_number, number);
        assert_eq!(td1.fin.as_ref().map(Fin::reveal), Some("5ABC12K"));
        let wrong = l1.replacen(&format!("890{check}"), &format!("890{}", (check as u8 - b'0' + 1) % 10), 1);
        assert_eq!(
            parse_td1(&[wrong, l2, pad("A<<B", 30)].join("\n")),
            Err(MrzError::CheckDigit { field: MrzField::DocumentNumber })
        );
    }

    #[test]
    fn dates_resolve_to_a_century() {
        let today = jiff::civil::date(2026, 3, 1);
        let birth = MrzDate { yy: 74, month: 8, day: 12 };
        assert_eq!(birth.on_or_before(today), Some(jiff::civil::date(1974, 8, 12)));
        let young = MrzDate { yy: 20, month: 1, day: 5 };
        assert_eq!(young.on_or_before(today), Some(jiff::civil::date(2020, 1, 5)));
        assert_eq!(MrzDate { yy: 34, month: 1, day: 1 }.nearest(today), Some(jiff::civil::date(2034, 1, 1)));
        assert_eq!(
            MrzDate { yy: 12, month: 4, day: 15 }.nearest(today),
            Some(jiff::civil::date(2012, 4, 15))
        );
    }

    #[test]
    fn the_desk_reads_a_typed_fin_or_a_swipe() {
        assert_eq!(read_card(" 5abc12k ").unwrap().fin().map(Fin::reveal), Some("5ABC12K"));
        assert_eq!(read_card("5ABC12"), Err(CardReadError::BadFin));
        assert_eq!(read_card(&azeri().concat()).unwrap().fin().map(Fin::reveal), Some("5ABC12K"));
        assert_eq!(read_card(&SPECIMEN.join("\n")).unwrap().fin(), None);
        assert!(matches!(read_card("12345678"), Err(CardReadError::Mrz(_))));
    }

    #[test]
    fn debug_does_not_show_personal_data() {
        let shown = format!("{:?}", parse_td1(&azeri().join("\n")).unwrap());
        assert!(!shown.contains("MAMMADOV") && !shown.contains("5ABC12K") && !shown.contains("AA1234567"));
    }
}
