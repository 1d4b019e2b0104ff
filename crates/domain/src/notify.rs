//! The notification outbox's rules: the messages every area writes (email or SMS), and when a
//! failed delivery is tried again. Messages are stored in the transaction of the event that causes
//! them and delivered by the server's worker.

use jiff::SignedDuration;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageChannel {
    /// Email over SMTP.
    Email,
    /// SMS through the configured gateway.
    Sms,
}

/// Who to send to: the email address if any, else the phone (`None` with neither).
pub fn recipient(email: Option<&str>, phone: Option<&str>) -> Option<(MessageChannel, String)> {
    match (email, phone) {
        (Some(e), _) => Some((MessageChannel::Email, e.to_owned())),
        (None, Some(p)) => Some((MessageChannel::Sms, p.to_owned())),
        (None, None) => None,
    }
}

impl MessageChannel {
    /// The channel's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageChannel::Email => "email",
            MessageChannel::Sms => "sms",
        }
    }

    /// The channel named `name`.
    pub fn parse(name: &str) -> Option<MessageChannel> {
        match name {
            "email" => Some(MessageChannel::Email),
            "sms" => Some(MessageChannel::Sms),
            _ => None,
        }
    }
}

/// A message to send, already rendered in its recipient's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Email or SMS.
    pub channel: MessageChannel,
    /// An email address or a phone number.
    pub recipient: String,
    /// The subject (emails; empty for SMS).
    pub subject: String,
    /// The text.
    pub body: String,
    /// What it is about, e.g. `booking.code` (for the dev mailbox and metrics).
    pub topic: String,
    /// The record it concerns, e.g. `appointment:AP-7KQ2-M9XD`.
    pub record: Option<String>,
}

/// When failed deliveries are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// The wait after the first failure; doubled after each further one.
    pub first: SignedDuration,
    /// The longest wait.
    pub max: SignedDuration,
    /// Tries before giving up.
    pub attempts: u32,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { first: SignedDuration::from_secs(10), max: SignedDuration::from_mins(30), attempts: 8 }
    }
}

impl Retry {
    /// The wait after `failures` failed tries (1 or more), or `None` to give up.
    pub fn after(&self, failures: u32) -> Option<SignedDuration> {
        if failures >= self.attempts {
            return None;
        }
        let factor = 1i32 << failures.saturating_sub(1).min(20);
        Some(self.first.checked_mul(factor).unwrap_or(self.max).min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap_then_gives_up() {
        let r =
            Retry { first: SignedDuration::from_secs(10), max: SignedDuration::from_secs(60), attempts: 5 };
        assert_eq!(r.after(1), Some(SignedDuration::from_secs(10)));
        assert_eq!(r.after(2), Some(SignedDuration::from_secs(20)));
        assert_eq!(r.after(3), Some(SignedDuration::from_secs(40)));
        assert_eq!(r.after(4), Some(SignedDuration::from_secs(60)));
        assert_eq!(r.after(5), None);
        assert_eq!(MessageChannel::parse("sms"), Some(MessageChannel::Sms));
    }
}
