//! A booking as an iCalendar file (RFC 5545): one `VEVENT` in UTC, lines ending CRLF, text
//! escaped and long lines folded at 75 octets.

use jiff::Timestamp;

/// What the calendar file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// A globally unique id, e.g. `AP-7KQ2-M9XD@onestop`.
    pub uid: String,
    /// When the file was made.
    pub stamp: Timestamp,
    /// Start.
    pub starts_at: Timestamp,
    /// End.
    pub ends_at: Timestamp,
    /// The title, e.g. the service's name.
    pub summary: String,
    /// The centre's name and address.
    pub location: String,
    /// Free text: the reference, what to bring, when to come.
    pub description: String,
    /// A link to the booking, if any.
    pub url: Option<String>,
}

fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a character (§3.1), ending it with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The calendar file of `event`.
pub fn calendar(event: &CalendarEvent) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//onestop//booking//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(&event.uid)),
        format!("DTSTAMP:{}", utc(event.stamp)),
        format!("DTSTART:{}", utc(event.starts_at)),
        format!("DTEND:{}", utc(event.ends_at)),
        format!("SUMMARY:{}", escape(&event.summary)),
        format!("LOCATION:{}", escape(&event.location)),
        format!("DESCRIPTION:{}", escape(&event.description)),
    ];
    if let Some(url) = &event.url {
        lines.push(format!("URL:{url}"));
    }
    lines.extend(["END:VEVENT".to_owned(), "END:VCALENDAR".to_owned()]);
    let mut out = String::new();
    for line in &lines {
        fold(line, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_crlf_are_folded_and_escaped() {
        let at: Timestamp = "2026-11-30T06:00:00Z".parse().unwrap();
        let text = calendar(&CalendarEvent {
            uid: "AP-7KQ2-M9XD@onestop".into(),
            stamp: at,
            starts_at: at,
            ends_at: at + jiff::SignedDuration::from_mins(15),
            summary: "Şəxsiyyət vəsiqəsi; ID card, new".into(),
            location: "Bakı 1 nömrəli ASAN xidmət mərkəzi, Təbriz küçəsi 64, Nərimanov rayonu, Bakı şəhəri"
                .into(),
            description: "Reference AP-7KQ2-M9XD\ncome 10 minutes early".into(),
            url: None,
        });
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.contains("DTSTART:20261130T060000Z\r\n"));
        assert!(text.contains("DTEND:20261130T061500Z\r\n"));
        assert!(text.contains("SUMMARY:Şəxsiyyət vəsiqəsi\\; ID card\\, new\r\n"));
        assert!(text.contains("Reference AP-7KQ2-M9XD\\ncome"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(!text.replace("\r\n", "").contains('\n'));
    }
}
