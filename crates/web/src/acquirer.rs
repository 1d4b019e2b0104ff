//! The acquirer behind online payments: who authorises a card and captures the money. A real bank
//! adapter implements [`Acquirer`]; [`Sandbox`] is the clearly labelled stand-in that takes no
//! money, answering by test card numbers (see `onestop_domain::payments::sandbox_answer`).

use async_trait::async_trait;
use onestop_domain::payments::{SandboxAnswer, card_brand, sandbox_answer};

/// Card details as the payer typed them. Never stored: only the brand and last four digits are.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    /// The card number (spaces allowed).
    pub number: String,
    /// The cardholder's name.
    pub holder: String,
    /// The card verification code.
    pub cvc: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Card { .. }")
    }
}

impl Card {
    /// The card number's last four digits.
    pub fn last4(&self) -> String {
        let digits: Vec<char> = self.number.chars().filter(char::is_ascii_digit).collect();
        digits[digits.len().saturating_sub(4)..].iter().collect()
    }
}

/// A card authorised for an amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorisation {
    /// The acquirer's authorisation code, used to capture.
    pub code: String,
    /// The card's brand.
    pub brand: String,
    /// The card number's last four digits.
    pub last4: String,
}

/// Why the acquirer refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcquirerError {
    /// The card's details are not a card.
    #[error("the card details are not valid")]
    InvalidCard,
    /// The card's issuer declined.
    #[error("the card was declined")]
    Declined,
    /// The acquirer could not process the payment.
    #[error("the payment could not be processed: {0}")]
    Failed(String),
}

/// Authorises cards and captures authorised amounts.
#[async_trait]
pub trait Acquirer: Send + Sync {
    /// The acquirer's name, stored with each online payment.
    fn name(&self) -> &'static str;

    /// Whether it is a sandbox that takes no real money (pages say so prominently).
    fn is_sandbox(&self) -> bool;

    /// Authorises `amount` minor units of `currency` on `card` for the payment `reference`.
    async fn authorise(
        &self,
        card: &Card,
        amount: i64,
        currency: &str,
        reference: &str,
    ) -> Result<Authorisation, AcquirerError>;

    /// Captures an authorised amount.
    async fn capture(&self, authorisation: &str, amount: i64) -> Result<(), AcquirerError>;
}

/// The sandbox acquirer: no money moves. `4444 3333 2222 1111` (or any number with a valid check
/// digit) is authorised, `4000 0000 0000 0002` declined, `4000 0000 0000 0119` fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;

#[async_trait]
impl Acquirer for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn is_sandbox(&self) -> bool {
        true
    }

    async fn authorise(
        &self,
        card: &Card,
        _amount: i64,
        _currency: &str,
        reference: &str,
    ) -> Result<Authorisation, AcquirerError> {
        if card.holder.trim().is_empty()
            || !(3..=4).contains(&card.cvc.len())
            || !card.cvc.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(AcquirerError::InvalidCard);
        }
        match sandbox_answer(&card.number) {
            SandboxAnswer::Authorised => Ok(Authorisation {
                code: format!("SBX-{reference}"),
                brand: card_brand(&card.number).to_owned(),
                last4: card.last4(),
            }),
            SandboxAnswer::Declined => Err(AcquirerError::Declined),
            SandboxAnswer::Error => {
                Err(AcquirerError::Failed("sandbox test card for a processing error".into()))
            }
            SandboxAnswer::Invalid => Err(AcquirerError::InvalidCard),
        }
    }

    async fn capture(&self, _authorisation: &str, _amount: i64) -> Result<(), AcquirerError> {
        Ok(())
    }
}
