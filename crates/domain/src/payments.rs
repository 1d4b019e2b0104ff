//! Bills, payments and refunds — money that never passes through an officer's hands.
//!
//! A bill carries the state fee and the service fee after exemptions ([`crate::fees::Fees::bill`]),
//! a payment reference the bank section types or scans, and is paid **in full, once**: a payment
//! of another amount is refused, and so is a second payment. Payments are taken only at the bank
//! section of the bill's centre (a bank teller), by that centre's payment terminal, or online
//! through an acquirer ([`OnlineStatus`]). A refund is requested with its [`RefundReason`],
//! approved or declined by a centre manager and executed by the bank section; refunds of a bill
//! never add up to more than was paid.
//!
//! # Reconciliation
//!
//! For a centre and a day, [`Reconciliation`] holds the outstanding amount at the start of the
//! day, the bills issued and cancelled, the payments taken and the refunds executed, and the
//! outstanding amount at the end. It balances when
//! `opening + issued − cancelled − paid = closing`, to the minor unit.

use serde::{Deserialize, Serialize};

/// Digits of a payment reference, the check digit included.
pub const REFERENCE_DIGITS: usize = 12;

/// The Luhn check digit of `digits` (ASCII digits).
pub fn luhn_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 0 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0) + b'0'
}

/// Whether `digits` (ASCII digits) end with a correct Luhn check digit.
pub fn luhn_valid(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() >= 2 && b.iter().all(u8::is_ascii_digit) && luhn_digit(&b[..b.len() - 1]) == b[b.len() - 1]
}

/// A payment reference from 8 random bytes: 11 digits and a Luhn check digit, so a mistyped digit
/// is caught before a lookup.
pub fn payment_reference(random: &[u8; 8]) -> String {
    let n = u64::from_le_bytes(*random) % 100_000_000_000;
    let body = format!("{n:011}");
    let check = char::from(luhn_digit(body.as_bytes()));
    format!("{body}{check}")
}

/// The canonical form of a typed payment reference (spaces and dashes dropped), if it is one.
pub fn canonical_reference(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == REFERENCE_DIGITS && luhn_valid(&digits)).then_some(digits)
}

/// What a bill is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The service's state and service fees.
    Fees,
    /// Delivery of the ready document to an address.
    Delivery,
}

impl Purpose {
    /// The name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Fees => "fees",
            Purpose::Delivery => "delivery",
        }
    }

    /// Parses [`Purpose::as_str`].
    pub fn parse(name: &str) -> Option<Purpose> {
        [Purpose::Fees, Purpose::Delivery].into_iter().find(|p| p.as_str() == name)
    }
}

/// Where a payment was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentChannel {
    /// At the centre's bank section, by a teller.
    Bank,
    /// At the centre's payment terminal.
    Terminal,
    /// Online, through the acquirer.
    Online,
}

impl PaymentChannel {
    /// Every channel.
    pub const ALL: [PaymentChannel; 3] =
        [PaymentChannel::Bank, PaymentChannel::Terminal, PaymentChannel::Online];

    /// The name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentChannel::Bank => "bank",
            PaymentChannel::Terminal => "terminal",
            PaymentChannel::Online => "online",
        }
    }

    /// Parses [`PaymentChannel::as_str`].
    pub fn parse(name: &str) -> Option<PaymentChannel> {
        PaymentChannel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Why a payment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The bill was cancelled (its application was rejected before payment).
    #[error("the bill is cancelled")]
    Cancelled,
    /// The bill is already paid.
    #[error("the bill is already paid")]
    AlreadyPaid,
    /// The bill charges nothing.
    #[error("the bill charges nothing")]
    Nothing,
    /// The amount is not the amount due.
    #[error("pay exactly {due} (minor units), not {offered}")]
    WrongAmount {
        /// The amount due.
        due: i64,
        /// The amount offered.
        offered: i64,
    },
    /// The currency is not the bill's.
    #[error("the bill is in {0}")]
    WrongCurrency(String),
}

/// Checks a payment of `amount` in `currency` against a bill of `total` in `bill_currency` with
/// `paid` already paid, `cancelled` or not: a bill is paid in full, once.
pub fn check_payment(
    total: i64,
    paid: i64,
    cancelled: bool,
    bill_currency: &str,
    amount: i64,
    currency: &str,
) -> Result<(), PaymentError> {
    if cancelled {
        return Err(PaymentError::Cancelled);
    }
    if total == 0 {
        return Err(PaymentError::Nothing);
    }
    if paid >= total {
        return Err(PaymentError::AlreadyPaid);
    }
    if currency != bill_currency {
        return Err(PaymentError::WrongCurrency(bill_currency.to_owned()));
    }
    let due = total - paid;
    if amount != due {
        return Err(PaymentError::WrongAmount { due, offered: amount });
    }
    Ok(())
}

/// Why a refund is asked for (the agency's guideline on refunding state fees).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    /// More was paid than the fee (e.g. an exemption applied that was missed).
    Overpaid,
    /// A fee was charged that was not due.
    WronglyCharged,
    /// The service was refused after payment.
    ServiceRefused,
}

impl RefundReason {
    /// Every reason.
    pub const ALL: [RefundReason; 3] =
        [RefundReason::Overpaid, RefundReason::WronglyCharged, RefundReason::ServiceRefused];

    /// The name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundReason::Overpaid => "overpaid",
            RefundReason::WronglyCharged => "wrongly_charged",
            RefundReason::ServiceRefused => "service_refused",
        }
    }

    /// Parses [`RefundReason::as_str`].
    pub fn parse(name: &str) -> Option<RefundReason> {
        RefundReason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// Where a refund is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Asked for; a centre manager decides.
    Requested,
    /// Approved; the bank section pays it out.
    Approved,
    /// Declined by the centre manager.
    Declined,
    /// Paid out by the bank section.
    Executed,
}

impl RefundState {
    /// The name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Approved => "approved",
            RefundState::Declined => "declined",
            RefundState::Executed => "executed",
        }
    }

    /// Parses [`RefundState::as_str`].
    pub fn parse(name: &str) -> Option<RefundState> {
        [RefundState::Requested, RefundState::Approved, RefundState::Declined, RefundState::Executed]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// Whether the refund still counts against what may be refunded (not declined).
    pub fn counts(self) -> bool {
        !matches!(self, RefundState::Declined)
    }
}

/// A step of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStep {
    /// The centre manager approves.
    Approve,
    /// The centre manager declines.
    Decline,
    /// The bank section pays it out.
    Execute,
}

impl RefundStep {
    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStep::Approve => "approve",
            RefundStep::Decline => "decline",
            RefundStep::Execute => "execute",
        }
    }

    /// Parses [`RefundStep::as_str`].
    pub fn parse(name: &str) -> Option<RefundStep> {
        [RefundStep::Approve, RefundStep::Decline, RefundStep::Execute]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// Why a refund or its step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// The amount is not positive.
    #[error("a refund must be more than zero")]
    NotPositive,
    /// The refunds would exceed what was paid.
    #[error("at most {available} (minor units) can still be refunded, not {asked}")]
    TooMuch {
        /// What can still be refunded.
        available: i64,
        /// What was asked.
        asked: i64,
    },
    /// The step does not apply in the refund's state.
    #[error("a {state} refund cannot be {step}d")]
    WrongState {
        /// The refund's state.
        state: &'static str,
        /// The step.
        step: &'static str,
    },
}

/// Checks a new refund of `amount` on a bill of which `paid` was paid and `committed` is already
/// refunded or asked for (refunds not declined).
pub fn check_refund(paid: i64, committed: i64, amount: i64) -> Result<(), RefundError> {
    if amount <= 0 {
        return Err(RefundError::NotPositive);
    }
    let available = (paid - committed).max(0);
    if amount > available {
        return Err(RefundError::TooMuch { available, asked: amount });
    }
    Ok(())
}

/// The state a refund in `state` moves to by `step`.
pub fn refund_step(state: RefundState, step: RefundStep) -> Result<RefundState, RefundError> {
    match (state, step) {
        (RefundState::Requested, RefundStep::Approve) => Ok(RefundState::Approved),
        (RefundState::Requested, RefundStep::Decline) => Ok(RefundState::Declined),
        (RefundState::Approved, RefundStep::Execute) => Ok(RefundState::Executed),
        _ => Err(RefundError::WrongState { state: state.as_str(), step: step.as_str() }),
    }
}

/// Where an online payment is (the shape of GOV.UK Pay's payment states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineStatus {
    /// Created; the payer has not yet entered card details.
    Created,
    /// The acquirer authorised the card; the payment awaits confirmation (capture).
    Submitted,
    /// Captured: the bill is paid.
    Success,
    /// The acquirer declined the card, or the payment could not be captured.
    Failed,
    /// Cancelled before it was paid.
    Cancelled,
}

impl OnlineStatus {
    /// The name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OnlineStatus::Created => "created",
            OnlineStatus::Submitted => "submitted",
            OnlineStatus::Success => "success",
            OnlineStatus::Failed => "failed",
            OnlineStatus::Cancelled => "cancelled",
        }
    }

    /// Parses [`OnlineStatus::as_str`].
    pub fn parse(name: &str) -> Option<OnlineStatus> {
        [
            OnlineStatus::Created,
            OnlineStatus::Submitted,
            OnlineStatus::Success,
            OnlineStatus::Failed,
            OnlineStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// Whether the payment has ended.
    pub fn finished(self) -> bool {
        matches!(self, OnlineStatus::Success | OnlineStatus::Failed | OnlineStatus::Cancelled)
    }
}

/// What the sandbox acquirer answers for a card number (test cards, as payment providers'
/// sandboxes publish them): `4000000000000002` is declined, `4000000000000119` fails with a
/// processing error, any other number with a valid Luhn check digit of 12–19 digits is
/// authorised; anything else is not a card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxAnswer {
    /// Authorised.
    Authorised,
    /// Declined by the (pretend) issuer.
    Declined,
    /// The (pretend) acquirer failed.
    Error,
    /// Not a card number.
    Invalid,
}

/// The sandbox acquirer's answer for `card_number` (spaces ignored).
pub fn sandbox_answer(card_number: &str) -> SandboxAnswer {
    let digits: String = card_number.chars().filter(|c| *c != ' ').collect();
    if !(12..=19).contains(&digits.len()) || !luhn_valid(&digits) {
        return SandboxAnswer::Invalid;
    }
    match digits.as_str() {
        "4000000000000002" => SandboxAnswer::Declined,
        "4000000000000119" => SandboxAnswer::Error,
        _ => SandboxAnswer::Authorised,
    }
}

/// The brand of a card number by its first digits, for the receipt.
pub fn card_brand(card_number: &str) -> &'static str {
    let digits: String = card_number.chars().filter(char::is_ascii_digit).collect();
    match digits.as_bytes() {
        [b'4', ..] => "visa",
        [b'5', b'1'..=b'5', ..] | [b'2', b'2'..=b'7', ..] => "mastercard",
        [b'3', b'4' | b'7', ..] => "amex",
        _ => "card",
    }
}

/// Count and amount of a kind of money movement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// How much, in minor units.
    pub amount: i64,
}

impl Tally {
    /// Adds one movement of `amount`.
    pub fn add(&mut self, amount: i64) {
        self.count += 1;
        self.amount += amount;
    }
}

/// Payments and refunds taken by one teller or device on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakerLine {
    /// The channel.
    pub channel: PaymentChannel,
    /// Who took them: `staff:LOGIN`, `device:ID` or `online`.
    pub taker: String,
    /// Payments taken.
    pub payments: Tally,
    /// Refunds paid out.
    pub refunds: Tally,
}

/// A centre's money for one day (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// Unpaid amounts of bills issued before the day and not cancelled before it, at its start.
    pub opening_outstanding: i64,
    /// Bills issued on the day.
    pub issued: Tally,
    /// Unpaid bills cancelled on the day.
    pub cancelled: Tally,
    /// Payments taken on the day.
    pub paid: Tally,
    /// Refunds paid out on the day.
    pub refunded: Tally,
    /// Unpaid amounts at the end of the day.
    pub closing_outstanding: i64,
    /// Payments and refunds per channel and taker, in channel then taker order.
    pub takers: Vec<TakerLine>,
}

impl Reconciliation {
    /// Whether `opening + issued − cancelled − paid = closing` and the takers' lines add up to the
    /// day's payments and refunds.
    pub fn balances(&self) -> bool {
        let flow = self.opening_outstanding + self.issued.amount - self.cancelled.amount - self.paid.amount;
        let paid: i64 = self.takers.iter().map(|t| t.payments.amount).sum();
        let refunded: i64 = self.takers.iter().map(|t| t.refunds.amount).sum();
        flow == self.closing_outstanding && paid == self.paid.amount && refunded == self.refunded.amount
    }

    /// Money collected on the day net of refunds.
    pub fn net_collected(&self) -> i64 {
        self.paid.amount - self.refunded.amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_carry_a_luhn_digit() {
        let r = payment_reference(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(r.len(), REFERENCE_DIGITS);
        assert!(luhn_valid(&r));
        assert_eq!(canonical_reference(&format!("{} {}", &r[..6], &r[6..])), Some(r.clone()));
        let mut typo = r.into_bytes();
        typo[3] = if typo[3] == b'9' { b'0' } else { typo[3] + 1 };
        assert_eq!(canonical_reference(&String::from_utf8(typo).unwrap()), None);
        assert!(luhn_valid("4444333322221111"));
        assert!(!luhn_valid("4444333322221112"));
    }

    #[test]
    fn a_bill_is_paid_in_full_once() {
        assert_eq!(check_payment(1500, 0, false, "AZN", 1500, "AZN"), Ok(()));
        assert_eq!(
            check_payment(1500, 0, false, "AZN", 1000, "AZN"),
            Err(PaymentError::WrongAmount { due: 1500, offered: 1000 })
        );
        assert_eq!(
            check_payment(1500, 0, false, "AZN", 1600, "AZN"),
            Err(PaymentError::WrongAmount { due: 1500, offered: 1600 })
        );
        assert_eq!(check_payment(1500, 1500, false, "AZN", 1500, "AZN"), Err(PaymentError::AlreadyPaid));
        assert_eq!(check_payment(1500, 0, true, "AZN", 1500, "AZN"), Err(PaymentError::Cancelled));
        assert_eq!(check_payment(0, 0, false, "AZN", 0, "AZN"), Err(PaymentError::Nothing));
        assert_eq!(
            check_payment(1500, 0, false, "AZN", 1500, "USD"),
            Err(PaymentError::WrongCurrency("AZN".into()))
        );
    }

    #[test]
    fn refunds_never_exceed_what_was_paid() {
        assert_eq!(check_refund(1500, 0, 1500), Ok(()));
        assert_eq!(check_refund(1500, 1000, 600), Err(RefundError::TooMuch { available: 500, asked: 600 }));
        assert_eq!(check_refund(1500, 0, 0), Err(RefundError::NotPositive));
        assert_eq!(check_refund(0, 0, 1), Err(RefundError::TooMuch { available: 0, asked: 1 }));
        assert_eq!(refund_step(RefundState::Requested, RefundStep::Approve), Ok(RefundState::Approved));
        assert_eq!(refund_step(RefundState::Approved, RefundStep::Execute), Ok(RefundState::Executed));
        assert!(refund_step(RefundState::Requested, RefundStep::Execute).is_err());
        assert!(refund_step(RefundState::Executed, RefundStep::Execute).is_err());
        assert!(refund_step(RefundState::Declined, RefundStep::Approve).is_err());
    }

    #[test]
    fn the_sandbox_knows_its_test_cards() {
        assert_eq!(sandbox_answer("4444 3333 2222 1111"), SandboxAnswer::Authorised);
        assert_eq!(sandbox_answer("4000000000000002"), SandboxAnswer::Declined);
        assert_eq!(sandbox_answer("4000000000000119"), SandboxAnswer::Error);
        assert_eq!(sandbox_answer("4444333322221112"), SandboxAnswer::Invalid);
        assert_eq!(sandbox_answer("12"), SandboxAnswer::Invalid);
        assert_eq!(card_brand("4444333322221111"), "visa");
        assert_eq!(card_brand("5105105105105100"), "mastercard");
    }

    #[test]
    fn a_reconciliation_balances_only_when_the_flows_add_up() {
        let mut r = Reconciliation {
            opening_outstanding: 1000,
            issued: Tally { count: 2, amount: 3000 },
            cancelled: Tally { count: 1, amount: 500 },
            paid: Tally { count: 1, amount: 1500 },
            refunded: Tally { count: 1, amount: 200 },
            closing_outstanding: 2000,
            takers: vec![TakerLine {
                channel: PaymentChannel::Bank,
                taker: "staff:teller".into(),
                payments: Tally { count: 1, amount: 1500 },
                refunds: Tally { count: 1, amount: 200 },
            }],
        };
        assert!(r.balances());
        assert_eq!(r.net_collected(), 1300);
        r.closing_outstanding += 1;
        assert!(!r.balances());
    }
}
