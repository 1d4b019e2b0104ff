//! Complaints and suggestions: channels, categories with their answer deadlines, subjects,
//! references, the contact to reply to, and the workflow received → assigned → answered → closed,
//! reopened within a configured number of days of the answer.

use crate::calendar::WorkingCalendar;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The longest complaint text kept, in characters.
pub const TEXT_MAX: usize = 5000;

macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in a stable order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name in storage and on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value named `name`.
            pub fn parse(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }
    };
}

named!(
    /// Where a complaint or suggestion came in.
    Channel {
        /// The public web form.
        Web = "web",
        /// Registered by a call-centre operator (108).
        CallCentre = "call_centre",
        /// The electronic complaint booth in a centre.
        Booth = "booth",
        /// A centre's paper complaint journal, entered by staff.
        PaperJournal = "paper_journal",
        /// Social networks, entered by staff.
        SocialMedia = "social_media",
        /// An Open311 GeoReport v2 client.
        Open311 = "open311",
    }
);

impl Channel {
    /// Whether staff enter complaints of this channel on someone's behalf.
    pub fn entered_by_staff(self) -> bool {
        matches!(self, Channel::CallCentre | Channel::PaperJournal | Channel::SocialMedia)
    }
}

named!(
    /// What a complaint is about; suggestions have their own category. Each has an answer
    /// deadline in working days ([`Category::answer_within`]).
    Category {
        /// Waiting too long.
        WaitingTime = "waiting_time",
        /// An officer's or staff member's conduct.
        StaffConduct = "staff_conduct",
        /// A request for an informal payment or other corruption.
        Corruption = "corruption",
        /// The service was wrong, refused or incomplete.
        ServiceQuality = "service_quality",
        /// Premises and accessibility.
        Premises = "premises",
        /// Anything else.
        Other = "other",
        /// A suggestion to improve the service.
        Suggestion = "suggestion",
    }
);

impl Category {
    /// Working days the monitoring department has to answer, counted from the day after it is
    /// received (or reopened).
    pub fn answer_within(self) -> u32 {
        match self {
            Category::Corruption => 3,
            Category::StaffConduct => 5,
            Category::WaitingTime | Category::ServiceQuality | Category::Premises => 10,
            Category::Other => 15,
            Category::Suggestion => 20,
        }
    }

    /// Whether this is a suggestion rather than a complaint.
    pub fn is_suggestion(self) -> bool {
        self == Category::Suggestion
    }
}

named!(
    /// What kind of thing a complaint is about.
    SubjectKind {
        /// The agency's network as a whole.
        Agency = "agency",
        /// A centre (by code).
        Centre = "centre",
        /// A service (by code).
        Service = "service",
        /// A provider (by code).
        Provider = "provider",
        /// An officer (by login).
        Officer = "officer",
    }
);

/// What a complaint is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The kind.
    pub kind: SubjectKind,
    /// The code or login; empty for the agency.
    pub code: String,
}

named!(
    /// Where a complaint is in its workflow.
    Status {
        /// Registered, waiting to be assigned in the monitoring department.
        Received = "received",
        /// Assigned to a member of the monitoring department.
        Assigned = "assigned",
        /// Answered to the complainant.
        Answered = "answered",
        /// Closed.
        Closed = "closed",
        /// Reopened by the complainant after the answer; to be assigned again.
        Reopened = "reopened",
    }
);

impl Status {
    /// Whether the complaint waits for an answer (so its deadline runs).
    pub fn awaits_answer(self) -> bool {
        matches!(self, Status::Received | Status::Assigned | Status::Reopened)
    }
}

named!(
    /// A step of the workflow.
    Step {
        /// Assign to a member of the monitoring department.
        Assign = "assign",
        /// Answer the complainant.
        Answer = "answer",
        /// Close after the answer.
        Close = "close",
        /// The complainant reopens it after the answer.
        Reopen = "reopen",
    }
);

/// Why a workflow step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The step does not apply in this status.
    #[error("a complaint that is {from} cannot take the step {step}")]
    Disallowed {
        /// The status.
        from: &'static str,
        /// The step.
        step: &'static str,
    },
    /// The reopening window has passed.
    #[error("the answer was given more than {days} days ago; it can no longer be reopened")]
    TooLateToReopen {
        /// The configured window.
        days: u32,
    },
}

/// The status after `step` from `from`; a reopen also needs the day of the answer, the day now and
/// the configured reopening window in days.
pub fn next_status(
    from: Status,
    step: Step,
    answered_on: Option<Date>,
    today: Date,
    reopen_days: u32,
) -> Result<Status, WorkflowError> {
    let refused = || WorkflowError::Disallowed { from: from.as_str(), step: step.as_str() };
    match (step, from) {
        (Step::Assign, Status::Received | Status::Assigned | Status::Reopened) => Ok(Status::Assigned),
        (Step::Answer, Status::Assigned) => Ok(Status::Answered),
        (Step::Close, Status::Answered) => Ok(Status::Closed),
        (Step::Reopen, Status::Answered | Status::Closed) => {
            let answered = answered_on.ok_or_else(refused)?;
            let last =
                answered.checked_add(jiff::Span::new().days(i64::from(reopen_days))).unwrap_or(answered);
            if today > last {
                Err(WorkflowError::TooLateToReopen { days: reopen_days })
            } else {
                Ok(Status::Reopened)
            }
        }
        _ => Err(refused()),
    }
}

/// The day an answer is due for a complaint of `category` received (or reopened) on `from`.
pub fn due_on(calendar: &WorkingCalendar, category: Category, from: Date) -> Date {
    calendar.add_working_days(from, category.answer_within())
}

/// Whether a complaint breaches its deadline: answered after its due day, or still awaiting an
/// answer after it.
pub fn breached(status: Status, due: Date, answered_on: Option<Date>, today: Date) -> bool {
    if status.awaits_answer() { today > due } else { answered_on.is_some_and(|a| a > due) }
}

/// Letters of references: no 0/O, 1/I/L, so a reference read aloud on the phone is not misheard.
const REFERENCE_LETTERS: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A complaint's reference the complainant follows it by, e.g. `FB-7K3Q-X9PM`: eight random
/// characters (about 40 bits) from `random`, so references cannot be guessed from one another.
pub fn reference(random: &[u8; 8]) -> String {
    let c: Vec<char> = random
        .iter()
        .map(|b| char::from(REFERENCE_LETTERS[usize::from(*b) % REFERENCE_LETTERS.len()]))
        .collect();
    format!("FB-{}-{}", c[..4].iter().collect::<String>(), c[4..].iter().collect::<String>())
}

/// Whether `text` has the shape of a reference.
pub fn is_reference(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 12
        && text.starts_with("FB-")
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i < 3 || i == 7 || REFERENCE_LETTERS.contains(c))
}

/// How the complainant can be answered: at least one of an email address, a phone number or a
/// postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// The complainant's name, if given.
    pub name: Option<String>,
    /// An email address.
    pub email: Option<String>,
    /// A phone number (checked by [`crate::pii::Phone`]).
    pub phone: Option<crate::pii::Phone>,
    /// A postal address.
    pub address: Option<String>,
}

/// Why a complaint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComplaintError {
    /// No text.
    #[error("write what the complaint or suggestion is about")]
    NoText,
    /// Text too long.
    #[error("the text is longer than {TEXT_MAX} characters")]
    TextTooLong,
    /// No email, phone or address to answer.
    #[error("give an email address, a phone number or a postal address to receive the answer")]
    NoWayToReply,
    /// The email is not one.
    #[error("{0:?} is not an email address")]
    BadEmail(String),
    /// The phone is not one.
    #[error("{0:?} is not a phone number")]
    BadPhone(String),
}

impl ComplaintError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            ComplaintError::NoText | ComplaintError::TextTooLong => "text",
            ComplaintError::NoWayToReply => "contact",
            ComplaintError::BadEmail(_) => "email",
            ComplaintError::BadPhone(_) => "phone",
        }
    }
}

fn present(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Checks a complaint's text: trimmed, not empty, not too long.
pub fn check_text(text: &str) -> Result<String, ComplaintError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ComplaintError::NoText);
    }
    if text.chars().count() > TEXT_MAX {
        return Err(ComplaintError::TextTooLong);
    }
    Ok(text.to_owned())
}

/// Checks the contact fields: each present one well-formed, at least one way to reply.
pub fn check_contact(
    name: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    address: Option<&str>,
) -> Result<Contact, ComplaintError> {
    let email = present(email);
    if let Some(e) = &email {
        let ok = e.len() <= 254
            && !e.contains(char::is_whitespace)
            && e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'));
        if !ok {
            return Err(ComplaintError::BadEmail(e.clone()));
        }
    }
    let phone = present(phone)
        .map(|p| crate::pii::Phone::parse(&p).map_err(|_| ComplaintError::BadPhone(p)))
        .transpose()?;
    let contact = Contact { name: present(name), email, phone, address: present(address) };
    if contact.email.is_none() && contact.phone.is_none() && contact.address.is_none() {
        return Err(ComplaintError::NoWayToReply);
    }
    Ok(contact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_workflow_runs_received_assigned_answered_closed() {
        let d = date(2026, 11, 30);
        assert_eq!(next_status(Status::Received, Step::Assign, None, d, 10), Ok(Status::Assigned));
        assert_eq!(next_status(Status::Assigned, Step::Answer, None, d, 10), Ok(Status::Answered));
        assert_eq!(next_status(Status::Answered, Step::Close, None, d, 10), Ok(Status::Closed));
        assert!(next_status(Status::Received, Step::Answer, None, d, 10).is_err());
        assert!(next_status(Status::Received, Step::Close, None, d, 10).is_err());
        assert!(next_status(Status::Closed, Step::Assign, None, d, 10).is_err());
        assert_eq!(next_status(Status::Reopened, Step::Assign, None, d, 10), Ok(Status::Assigned));
    }

    #[test]
    fn reopening_is_limited_to_n_days_after_the_answer() {
        let answered = date(2026, 11, 30);
        let ok = next_status(Status::Closed, Step::Reopen, Some(answered), date(2026, 12, 10), 10);
        assert_eq!(ok, Ok(Status::Reopened));
        let late = next_status(Status::Closed, Step::Reopen, Some(answered), date(2026, 12, 11), 10);
        assert_eq!(late, Err(WorkflowError::TooLateToReopen { days: 10 }));
        assert!(next_status(Status::Assigned, Step::Reopen, Some(answered), answered, 10).is_err());
    }

    #[test]
    fn deadlines_count_working_days_and_breaches_show() {
        let calendar =
            WorkingCalendar::new([jiff::civil::Weekday::Saturday, jiff::civil::Weekday::Sunday], [], [])
                .unwrap();
        // Friday 27 November + 3 working days = Wednesday 2 December.
        let due = due_on(&calendar, Category::Corruption, date(2026, 11, 27));
        assert_eq!(due, date(2026, 12, 2));
        assert!(!breached(Status::Assigned, due, None, date(2026, 12, 2)));
        assert!(breached(Status::Assigned, due, None, date(2026, 12, 3)));
        assert!(breached(Status::Closed, due, Some(date(2026, 12, 3)), date(2026, 12, 9)));
        assert!(!breached(Status::Closed, due, Some(date(2026, 12, 1)), date(2026, 12, 9)));
    }

    #[test]
    fn references_are_random_and_recognised() {
        let r = reference(&[0, 1, 2, 3, 250, 251, 252, 253]);
        assert_eq!(r.len(), 12);
        assert!(is_reference(&r), "{r}");
        assert!(!is_reference("FB-0000-0000"));
        assert!(!is_reference("FB-ABCD_EFGH"));
    }

    #[test]
    fn a_complaint_needs_text_and_a_way_to_reply() {
        assert_eq!(check_text("  "), Err(ComplaintError::NoText));
        assert_eq!(check_text(" slow "), Ok("slow".into()));
        assert_eq!(check_contact(Some("Aysel"), None, Some(" "), None), Err(ComplaintError::NoWayToReply));
        assert!(matches!(
            check_contact(None, Some("not-mail"), None, None),
            Err(ComplaintError::BadEmail(_))
        ));
        assert!(check_contact(None, Some("a@b.az"), None, None).is_ok());
        assert!(check_contact(None, None, None, Some("Baku, Nizami 1")).is_ok());
    }
}
