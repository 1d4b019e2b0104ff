//! State and service fees and the exemption rule language.
//!
//! A service charges a state fee (set by law, collected for the state) and a service fee (for the
//! agency or the provider), both in integer minor units of one currency. Exemptions waive one fee or
//! both for applicants that a [`Rule`] describes, such as "under 16" or "disabled".
//!
//! # The rule language
//!
//! ```text
//! expr       := or
//! or         := and ("or" and)*
//! and        := not ("and" not)*
//! not        := "not" not | atom
//! atom       := "(" expr ")" | comparison | flag | "true" | "false"
//! comparison := "age" op INTEGER          op: <  <=  >  >=  ==  !=
//! ```
//!
//! `not` binds tighter than `and`, which binds tighter than `or`. Keywords are lower-case; spaces,
//! tabs and newlines may appear between tokens or not at all (`age<16and veteran` is fine). A flag is
//! a name of lower-case ascii letters, digits and `_` that starts with a letter or `_` and is not a
//! keyword (`and`, `or`, `not`, `true`, `false`, `age`); it holds when the applicant's
//! [`Facts::flags`] contains it. Numbers are decimal `u32`s.
//! Nesting of `(` and `not` is limited to [`MAX_DEPTH`] levels.
//!
//! **Unknown age.** When [`Facts::age`] is `None`, every comparison on `age` is false — so
//! `age < 16` and `age >= 16` are both false, and `not (age < 16)` is *true*. Write
//! `age >= 16` rather than `not age < 16` when an unknown age must not match.
//!
//! # Bills
//!
//! [`Fees::bill`] waives each fee with the first exemption, in order, whose rule applies and which
//! waives that fee; a waived fee is waived in full. The bill records which rule and reason waived
//! what, so the officer and the citizen can see why a fee was not charged.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How deep `(` and `not` may nest in one rule.
pub const MAX_DEPTH: usize = 32;

/// What is known about an applicant when a bill is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Age in whole years, if known. Every `age` comparison is false when it is unknown.
    #[serde(default)]
    pub age: Option<u32>,
    /// Flags that hold for the applicant, such as `disability`, `pensioner` or `veteran`.
    #[serde(default)]
    pub flags: BTreeSet<String>,
}

impl Facts {
    /// Facts with the given age and flags.
    pub fn new<S: Into<String>>(age: Option<u32>, flags: impl IntoIterator<Item = S>) -> Facts {
        Facts { age, flags: flags.into_iter().map(Into::into).collect() }
    }
}

/// A parsed exemption rule; see the [module documentation](self) for the language.
///
/// Two rules are equal when they parse to the same tree, whatever their spacing and redundant
/// parentheses: `(a)and b` equals `a and b`. It serializes as its source text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rule {
    expr: Expr,
    source: String,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.expr == other.expr
    }
}

impl Eq for Rule {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Const(bool),
    Flag(String),
    Age(Op, u32),
    Not(Box<Expr>),
    /// Two or more operands.
    And(Vec<Expr>),
    /// Two or more operands.
    Or(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn holds(self, left: u32, right: u32) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

impl Rule {
    /// Parses a rule, or says at which column (1-based, in characters) and why it is wrong.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let tokens = lex(text)?;
        let mut parser = Parser { tokens, pos: 0, depth: 0 };
        if parser.peek().tok == Tok::End {
            return Err(RuleError::new(1, "the rule is empty"));
        }
        let expr = parser.or()?;
        let next = parser.peek();
        match next.tok {
            Tok::End => Ok(Rule { expr, source: text.trim().to_owned() }),
            Tok::RParen => Err(RuleError::new(next.column, "unmatched \")\"")),
            _ => Err(RuleError::new(
                next.column,
                format!("expected \"and\", \"or\" or the end of the rule, found {}", next.tok),
            )),
        }
    }

    /// Whether the rule holds for the applicant.
    pub fn applies(&self, facts: &Facts) -> bool {
        self.expr.eval(facts)
    }

    /// The text the rule was parsed from, without surrounding whitespace.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Expr {
    fn eval(&self, facts: &Facts) -> bool {
        match self {
            Expr::Const(value) => *value,
            Expr::Flag(name) => facts.flags.contains(name),
            Expr::Age(op, value) => facts.age.is_some_and(|age| op.holds(age, *value)),
            Expr::Not(inner) => !inner.eval(facts),
            Expr::And(items) => items.iter().all(|item| item.eval(facts)),
            Expr::Or(items) => items.iter().any(|item| item.eval(facts)),
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Const(value) => write!(f, "{value}"),
            Expr::Flag(name) => f.write_str(name),
            Expr::Age(op, value) => write!(f, "age {} {value}", op.as_str()),
            Expr::Not(inner) => {
                f.write_str("not ")?;
                inner.write_grouped(f, matches!(**inner, Expr::And(_) | Expr::Or(_)))
            }
            Expr::And(items) => {
                Expr::write_list(f, items, " and ", |e| matches!(e, Expr::And(_) | Expr::Or(_)))
            }
            Expr::Or(items) => Expr::write_list(f, items, " or ", |e| matches!(e, Expr::Or(_))),
        }
    }

    fn write_list(
        f: &mut fmt::Formatter<'_>,
        items: &[Expr],
        separator: &str,
        needs_parens: fn(&Expr) -> bool,
    ) -> fmt::Result {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(separator)?;
            }
            item.write_grouped(f, needs_parens(item))?;
        }
        Ok(())
    }

    fn write_grouped(&self, f: &mut fmt::Formatter<'_>, parens: bool) -> fmt::Result {
        if parens {
            f.write_str("(")?;
            self.write(f)?;
            f.write_str(")")
        } else {
            self.write(f)
        }
    }
}

/// The canonical text: single spaces, parentheses only where the tree needs them.
/// Parsing it gives back an equal rule.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.write(f)
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Rule, RuleError> {
        Rule::parse(text)
    }
}

impl TryFrom<String> for Rule {
    type Error = RuleError;

    fn try_from(text: String) -> Result<Rule, RuleError> {
        Rule::parse(&text)
    }
}

impl From<Rule> for String {
    fn from(rule: Rule) -> String {
        rule.source
    }
}

/// Why a rule does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct RuleError {
    /// 1-based column, counted in characters, where the problem was found.
    pub column: usize,
    /// What is wrong, in plain words.
    pub message: String,
}

impl RuleError {
    fn new(column: usize, message: impl Into<String>) -> RuleError {
        RuleError { column, message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Op(Op),
    Num(u32),
    /// A lower-case word: a keyword or a flag.
    Word(String),
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::LParen => f.write_str("\"(\""),
            Tok::RParen => f.write_str("\")\""),
            Tok::Op(op) => write!(f, "\"{}\"", op.as_str()),
            Tok::Num(n) => write!(f, "the number {n}"),
            Tok::Word(word) => write!(f, "\"{word}\""),
            Tok::End => f.write_str("the end of the rule"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    column: usize,
}

const KEYWORDS: [&str; 6] = ["and", "or", "not", "true", "false", "age"];

fn lex(text: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '<' | '>' | '=' | '!' => match (c, next == Some('=')) {
                ('<', false) => (Tok::Op(Op::Lt), 1),
                ('<', true) => (Tok::Op(Op::Le), 2),
                ('>', false) => (Tok::Op(Op::Gt), 1),
                ('>', true) => (Tok::Op(Op::Ge), 2),
                ('=', true) => (Tok::Op(Op::Eq), 2),
                ('!', true) => (Tok::Op(Op::Ne), 2),
                ('=', false) => {
                    return Err(RuleError::new(column, "\"=\" is not an operator; write \"==\" to compare"));
                }
                _ => return Err(RuleError::new(column, "unexpected \"!\"; write \"not\" to negate")),
            },
            '&' => return Err(RuleError::new(column, "unexpected \"&\"; write \"and\"")),
            '|' => return Err(RuleError::new(column, "unexpected \"|\"; write \"or\"")),
            c if c.is_ascii_digit() => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let digits: String = chars[i..i + len].iter().collect();
                let value = digits.parse().map_err(|_| {
                    RuleError::new(
                        column,
                        format!("the number {digits} is out of range (at most {})", u32::MAX),
                    )
                })?;
                (Tok::Num(value), len)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').count();
                let word: String = chars[i..i + len].iter().collect();
                (word_token(word, column)?, len)
            }
            c => return Err(RuleError::new(column, format!("unexpected character {c:?}"))),
        };
        tokens.push(Token { tok, column });
        i += len;
    }
    tokens.push(Token { tok: Tok::End, column: chars.len() + 1 });
    Ok(tokens)
}

fn word_token(word: String, column: usize) -> Result<Tok, RuleError> {
    if word.bytes().any(|b| b.is_ascii_uppercase()) {
        let lower = word.to_ascii_lowercase();
        let message = if KEYWORDS.contains(&lower.as_str()) {
            format!("unknown keyword \"{word}\"; keywords are lower-case: \"{lower}\"")
        } else {
            format!("unknown word \"{word}\"; flag names are lower-case letters, digits and \"_\"")
        };
        return Err(RuleError::new(column, message));
    }
    Ok(Tok::Word(word))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends the list with `End`, and `next` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::End {
            self.pos += 1;
        }
        token
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w == word)
    }

    fn or(&mut self) -> Result<Expr, RuleError> {
        let mut items = vec![self.and()?];
        while self.at_word("or") {
            self.next();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::Or(items) })
    }

    fn and(&mut self) -> Result<Expr, RuleError> {
        let mut items = vec![self.not()?];
        while self.at_word("and") {
            self.next();
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::And(items) })
    }

    fn not(&mut self) -> Result<Expr, RuleError> {
        if self.at_word("not") {
            let token = self.next();
            self.enter(&token)?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn enter(&mut self, token: &Token) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(RuleError::new(
                token.column,
                format!("the rule nests \"(\" and \"not\" more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<Expr, RuleError> {
        let token = self.next();
        match &token.tok {
            Tok::LParen => {
                self.enter(&token)?;
                let inner = self.or()?;
                self.depth -= 1;
                let close = self.next();
                if close.tok != Tok::RParen {
                    return Err(RuleError::new(
                        close.column,
                        format!(
                            "expected \")\" to close the \"(\" at column {}, found {}",
                            token.column, close.tok
                        ),
                    ));
                }
                Ok(inner)
            }
            Tok::Word(word) if word == "true" => Ok(Expr::Const(true)),
            Tok::Word(word) if word == "false" => Ok(Expr::Const(false)),
            Tok::Word(word) if word == "age" => {
                let op_token = self.next();
                let Tok::Op(op) = op_token.tok else {
                    return Err(RuleError::new(
                        op_token.column,
                        format!(
                            "expected an operator (<, <=, >, >=, ==, !=) after \"age\", found {}",
                            op_token.tok
                        ),
                    ));
                };
                let value = self.next();
                let Tok::Num(value) = value.tok else {
                    return Err(RuleError::new(
                        value.column,
                        format!("expected a number after \"{}\", found {}", op.as_str(), value.tok),
                    ));
                };
                Ok(Expr::Age(op, value))
            }
            Tok::Word(word) if !KEYWORDS.contains(&word.as_str()) => Ok(Expr::Flag(word.clone())),
            other => Err(RuleError::new(
                token.column,
                format!("expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found {other}"),
            )),
        }
    }
}

/// Which fee an exemption waives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Waives {
    /// The state fee only.
    State,
    /// The service fee only.
    Service,
    /// Both fees.
    Both,
}

impl Waives {
    fn state(self) -> bool {
        matches!(self, Waives::State | Waives::Both)
    }

    fn service(self) -> bool {
        matches!(self, Waives::Service | Waives::Both)
    }
}

/// An exemption: applicants for whom the rule applies do not pay the fee it waives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    /// Who is exempt.
    pub rule: Rule,
    /// Which fee they do not pay.
    pub waives: Waives,
    /// A short reason key or text shown on the bill, e.g. "under 16".
    pub reason: String,
}

/// The fees of a service and their exemptions, checked by [`Fees::new`] (and on deserializing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FeesData")]
pub struct Fees {
    /// The state fee, in minor units (qəpik for AZN); never negative.
    pub state_fee: i64,
    /// The service fee, in minor units; never negative.
    pub service_fee: i64,
    /// ISO 4217 currency code of three upper-case letters, e.g. `AZN`.
    pub currency: String,
    /// Exemptions, in order: the first that applies to a fee waives it.
    pub exemptions: Vec<Exemption>,
}

#[derive(Deserialize)]
struct FeesData {
    state_fee: i64,
    service_fee: i64,
    currency: String,
    #[serde(default)]
    exemptions: Vec<Exemption>,
}

impl TryFrom<FeesData> for Fees {
    type Error = FeeError;

    fn try_from(data: FeesData) -> Result<Fees, FeeError> {
        Fees::new(data.state_fee, data.service_fee, data.currency, data.exemptions)
    }
}

/// Why fees are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// A fee is below zero.
    #[error("{field} must not be negative, got {amount}")]
    Negative {
        /// `state_fee` or `service_fee`.
        field: &'static str,
        /// The amount given.
        amount: i64,
    },
    /// The two fees together exceed the largest representable amount.
    #[error("state_fee plus service_fee is larger than the largest amount ({})", i64::MAX)]
    TooLarge,
    /// The currency is not three upper-case letters.
    #[error("currency must be an ISO 4217 code of three upper-case letters, e.g. AZN; got {0:?}")]
    Currency(String),
    /// An exemption has no reason to show on the bill.
    #[error("exemptions[{index}].reason must not be empty")]
    EmptyReason {
        /// Position of the exemption, from 0.
        index: usize,
    },
}

impl Fees {
    /// Checks and builds fees: amounts must not be negative nor sum past `i64::MAX`, the currency
    /// must be three upper-case letters and every exemption needs a reason.
    pub fn new(
        state_fee: i64,
        service_fee: i64,
        currency: impl Into<String>,
        exemptions: Vec<Exemption>,
    ) -> Result<Fees, FeeError> {
        for (field, amount) in [("state_fee", state_fee), ("service_fee", service_fee)] {
            if amount < 0 {
                return Err(FeeError::Negative { field, amount });
            }
        }
        if state_fee.checked_add(service_fee).is_none() {
            return Err(FeeError::TooLarge);
        }
        let currency = currency.into();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(FeeError::Currency(currency));
        }
        if let Some(index) = exemptions.iter().position(|e| e.reason.trim().is_empty()) {
            return Err(FeeError::EmptyReason { index });
        }
        Ok(Fees { state_fee, service_fee, currency, exemptions })
    }

    /// The bill for an applicant.
    ///
    /// Each fee above zero is waived in full by the first exemption, in order, that applies to the
    /// applicant and waives that fee. Every exemption that waived something gets one [`Waiver`]
    /// (in exemption order) saying what it waived: `Both` only when it waived both fees.
    ///
    /// Fees made by [`Fees::new`] cannot overflow; for fees built field by field whose sum exceeds
    /// `i64::MAX`, the sums saturate at `i64::MAX`.
    pub fn bill(&self, facts: &Facts) -> Bill {
        let first = |fee_above_zero: bool, waives: fn(Waives) -> bool| {
            if !fee_above_zero {
                return None;
            }
            self.exemptions.iter().position(|e| waives(e.waives) && e.rule.applies(facts))
        };
        let state_by = first(self.state_fee > 0, Waives::state);
        let service_by = first(self.service_fee > 0, Waives::service);
        let waived = self
            .exemptions
            .iter()
            .enumerate()
            .filter_map(|(i, exemption)| {
                let (fee, amount) = match (state_by == Some(i), service_by == Some(i)) {
                    (true, true) => (Waives::Both, sum(self.state_fee, self.service_fee)),
                    (true, false) => (Waives::State, self.state_fee),
                    (false, true) => (Waives::Service, self.service_fee),
                    (false, false) => return None,
                };
                Some(Waiver {
                    fee,
                    amount,
                    reason: exemption.reason.clone(),
                    rule: exemption.rule.source().to_owned(),
                })
            })
            .collect();
        let state_fee = if state_by.is_some() { 0 } else { self.state_fee };
        let service_fee = if service_by.is_some() { 0 } else { self.service_fee };
        Bill {
            state_fee,
            service_fee,
            total: sum(state_fee, service_fee),
            currency: self.currency.clone(),
            waived,
        }
    }
}

fn sum(a: i64, b: i64) -> i64 {
    a.checked_add(b).unwrap_or(if b < 0 { i64::MIN } else { i64::MAX })
}

/// What an applicant pays for one service, after exemptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    /// State fee to pay, in minor units (0 when waived).
    pub state_fee: i64,
    /// Service fee to pay, in minor units (0 when waived).
    pub service_fee: i64,
    /// `state_fee + service_fee`.
    pub total: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The fees waived, one entry per exemption that waived something, in exemption order.
    pub waived: Vec<Waiver>,
}

/// A fee not charged, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// What was waived: `State`, `Service`, or `Both` when this exemption waived both fees.
    pub fee: Waives,
    /// The amount waived, in minor units.
    pub amount: i64,
    /// The exemption's reason, as shown on the bill.
    pub reason: String,
    /// The source text of the exemption's rule.
    pub rule: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    fn rule(text: &str) -> Rule {
        Rule::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    fn facts(age: Option<u32>, flags: &[&str]) -> Facts {
        Facts::new(age, flags.iter().copied())
    }

    fn err(text: &str) -> (usize, String) {
        let e = Rule::parse(text).expect_err(text);
        (e.column, e.message)
    }

    #[test]
    fn every_operator_at_the_boundary() {
        let table: [(&str, [bool; 3]); 6] = [
            ("age < 16", [true, false, false]),
            ("age <= 16", [true, true, false]),
            ("age > 16", [false, false, true]),
            ("age >= 16", [false, true, true]),
            ("age == 16", [false, true, false]),
            ("age != 16", [true, false, true]),
        ];
        for (text, expected) in table {
            let r = rule(text);
            for (age, want) in [15, 16, 17].into_iter().zip(expected) {
                assert_eq!(r.applies(&facts(Some(age), &[])), want, "{text} at age {age}");
            }
            assert!(!r.applies(&facts(None, &[])), "{text} with unknown age");
            let negated = rule(&format!("not ({text})"));
            assert!(negated.applies(&facts(None, &[])), "not ({text}) with unknown age");
        }
    }

    #[test]
    fn extreme_numbers() {
        assert!(rule("age < 4294967295").applies(&facts(Some(4_294_967_294), &[])));
        assert!(!rule("age > 4294967295").applies(&facts(Some(u32::MAX), &[])));
        assert!(!rule("age < 0").applies(&facts(Some(0), &[])));
        assert!(rule("age >= 0").applies(&facts(Some(0), &[])));
        assert!(rule("age == 007").applies(&facts(Some(7), &[])));
    }

    #[test]
    fn unknown_age_makes_comparisons_false() {
        let unknown = facts(None, &["pensioner"]);
        assert!(!rule("age < 16").applies(&unknown));
        assert!(!rule("age >= 16").applies(&unknown));
        assert!(rule("not age < 16").applies(&unknown));
        assert!(rule("age >= 65 or pensioner").applies(&unknown));
        assert!(!rule("age >= 65 and pensioner").applies(&unknown));
    }

    #[test]
    fn flags_and_constants() {
        let f = facts(Some(30), &["disability", "group_2"]);
        assert!(rule("disability").applies(&f));
        assert!(rule("group_2").applies(&f));
        assert!(!rule("veteran").applies(&f));
        assert!(rule("true").applies(&f));
        assert!(!rule("false").applies(&f));
        assert!(rule("_x").applies(&facts(None, &["_x"])));
    }

    #[test]
    fn precedence_not_then_and_then_or() {
        let cases = [
            // `a or b and c` is `a or (b and c)`.
            ("true or false and false", true),
            ("(true or false) and false", false),
            // `not a and b` is `(not a) and b`.
            ("not false and false", false),
            ("not (false and false)", true),
            // `not a or b` is `(not a) or b`.
            ("not true or true", true),
            ("not (true or true)", false),
            ("false and true or true", true),
            ("false and (true or true)", false),
            ("not not true", true),
            ("not not not true", false),
            ("((true))", true),
            ("true and true and false", false),
            ("false or false or true", true),
        ];
        for (text, want) in cases {
            assert_eq!(rule(text).applies(&Facts::default()), want, "{text}");
        }
        assert_eq!(rule("a or b and c"), rule("a or (b and c)"));
        assert_eq!(rule("not a and b"), rule("(not a) and b"));
        assert_ne!(rule("not a and b"), rule("not (a and b)"));
    }

    #[test]
    fn whitespace_is_free_and_source_is_kept() {
        let r = rule("  age<16and(disability)\n");
        assert_eq!(r, rule("age < 16 and disability"));
        assert_eq!(r.source(), "age<16and(disability)");
        assert_eq!(r.to_string(), "age < 16 and disability");
        assert_eq!(rule("\tnot\tveteran").to_string(), "not veteran");
        assert_eq!("veteran or pensioner".parse::<Rule>(), Ok(rule("veteran or pensioner")));
    }

    #[test]
    fn errors_name_the_column_and_the_problem() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "the rule is empty"),
            ("   ", 1, "the rule is empty"),
            ("age < ", 7, "expected a number after \"<\", found the end of the rule"),
            ("age <= x", 8, "expected a number after \"<=\", found \"x\""),
            (
                "age",
                4,
                "expected an operator (<, <=, >, >=, ==, !=) after \"age\", found the end of the rule",
            ),
            ("age 16", 5, "expected an operator (<, <=, >, >=, ==, !=) after \"age\", found the number 16"),
            ("age = 16", 5, "\"=\" is not an operator; write \"==\" to compare"),
            ("!veteran", 1, "unexpected \"!\"; write \"not\" to negate"),
            ("a && b", 3, "unexpected \"&\"; write \"and\""),
            ("a || b", 3, "unexpected \"|\"; write \"or\""),
            ("a # b", 3, "unexpected character '#'"),
            ("age < -1", 7, "unexpected character '-'"),
            ("nəfər", 2, "unexpected character 'ə'"),
            ("ə or x$", 1, "unexpected character 'ə'"),
            ("a AND b", 3, "unknown keyword \"AND\"; keywords are lower-case: \"and\""),
            (
                "Disability",
                1,
                "unknown word \"Disability\"; flag names are lower-case letters, digits and \"_\"",
            ),
            ("(a or b", 8, "expected \")\" to close the \"(\" at column 1, found the end of the rule"),
            ("((a) b", 6, "expected \")\" to close the \"(\" at column 1, found \"b\""),
            ("a)", 2, "unmatched \")\""),
            ("a b", 3, "expected \"and\", \"or\" or the end of the rule, found \"b\""),
            ("age < 16 17", 10, "expected \"and\", \"or\" or the end of the rule, found the number 17"),
            ("age < 4294967296", 7, "the number 4294967296 is out of range (at most 4294967295)"),
            (
                "a and",
                6,
                "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found the end of the rule",
            ),
            ("a or or b", 6, "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found \"or\""),
            ("and", 1, "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found \"and\""),
            (
                "not",
                4,
                "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found the end of the rule",
            ),
            ("()", 2, "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found \")\""),
            ("2fa", 1, "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found the number 2"),
            ("age < 16abc", 9, "expected \"and\", \"or\" or the end of the rule, found \"abc\""),
            ("16", 1, "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found the number 16"),
            ("< 16", 1, "expected a flag, \"age\", \"true\", \"false\", \"not\" or \"(\", found \"<\""),
        ];
        for (text, column, message) in cases {
            assert_eq!(err(text), (*column, (*message).to_owned()), "{text:?}");
        }
        let e = Rule::parse("age < ").expect_err("incomplete");
        assert_eq!(e.to_string(), "column 7: expected a number after \"<\", found the end of the rule");
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("column 7"));
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(rule(&ok).applies(&facts(None, &["a"])));
        let deep = format!("{}a{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        let (column, message) = err(&deep);
        assert_eq!(column, MAX_DEPTH + 1);
        assert!(message.contains("more than 32 levels"), "{message}");
        let nots = format!("{}a", "not ".repeat(MAX_DEPTH + 1));
        assert_eq!(err(&nots).0, MAX_DEPTH * 4 + 1);
        assert!(rule(&format!("{}a", "not ".repeat(MAX_DEPTH))).applies(&facts(None, &["a"])));
        // Long flat chains are not nesting.
        let long = vec!["x"; 1000].join(" or ");
        assert!(rule(&long).applies(&facts(None, &["x"])));
    }

    const ROUND_TRIP: &[&str] = &[
        "true",
        "false",
        "disability",
        "age < 16",
        "age <= 16",
        "age > 65",
        "age >= 65",
        "age == 0",
        "age != 18",
        "not veteran",
        "not not veteran",
        "not age < 16",
        "not (a and b)",
        "not (a or b)",
        "a and b and c",
        "a or b or c",
        "a and (b and c)",
        "(a and b) and c",
        "a or (b or c)",
        "(a or b) or c",
        "a or b and c",
        "(a or b) and c",
        "a and (b or c) and not d",
        "not (age < 16 or age >= 65) and resident or minor_child_disabled",
        "((a))",
        "(not a) and (not (b)) or ((c or d) and e)",
        "age<16 or(pensioner and not military_registration)",
    ];

    #[test]
    fn display_round_trips() {
        for text in ROUND_TRIP {
            let r = rule(text);
            let shown = r.to_string();
            let again = rule(&shown);
            assert_eq!(again, r, "{text:?} shown as {shown:?}");
            assert_eq!(again.to_string(), shown, "canonical text is stable for {text:?}");
        }
        assert_eq!(rule("(a or b) or c").to_string(), "(a or b) or c");
        assert_eq!(rule("((a))").to_string(), "a");
        assert_eq!(rule("(a and b) or c").to_string(), "a and b or c");
        assert_eq!(rule("not(age<16)").to_string(), "not age < 16");
    }

    #[test]
    fn display_round_trips_for_combinations() {
        let mut rules: Vec<Rule> = ROUND_TRIP.iter().map(|t| rule(t)).collect();
        let base = rules.clone();
        for a in &base {
            for b in &base {
                for template in ["({a}) and ({b})", "({a}) or ({b})", "not ({a}) or not ({b})"] {
                    let text = template.replace("{a}", &a.to_string()).replace("{b}", &b.to_string());
                    rules.push(rule(&text));
                }
            }
        }
        let all_facts: Vec<Facts> = [None, Some(15), Some(70)]
            .into_iter()
            .flat_map(|age| {
                [facts(age, &[]), facts(age, &["a", "c", "veteran"]), facts(age, &["b", "d", "e"])]
            })
            .collect();
        for r in &rules {
            let again = rule(&r.to_string());
            assert_eq!(&again, r);
            for f in &all_facts {
                assert_eq!(again.applies(f), r.applies(f));
            }
        }
    }

    #[test]
    fn brute_force_against_closures() {
        type Check = fn(Option<u32>, bool, bool, bool) -> bool;
        let cases: &[(&str, Check)] = &[
            ("disability", |_, d, _, _| d),
            ("not pensioner", |_, _, p, _| !p),
            ("disability or pensioner and veteran", |_, d, p, v| d || (p && v)),
            ("(disability or pensioner) and veteran", |_, d, p, v| (d || p) && v),
            ("not disability and not veteran", |_, d, _, v| !d && !v),
            ("not (disability or veteran)", |_, d, _, v| !(d || v)),
            ("age < 16", |a, _, _, _| a.is_some_and(|a| a < 16)),
            ("age <= 15", |a, _, _, _| a.is_some_and(|a| a <= 15)),
            ("age > 15", |a, _, _, _| a.is_some_and(|a| a > 15)),
            ("age >= 65 or pensioner", |a, _, p, _| a.is_some_and(|a| a >= 65) || p),
            ("age == 0 or age == 65", |a, _, _, _| a == Some(0) || a == Some(65)),
            ("age != 16", |a, _, _, _| a.is_some_and(|a| a != 16)),
            ("not age < 16", |a, _, _, _| a.is_none_or(|a| a >= 16)),
            ("age < 16 and disability or age >= 65 and veteran", |a, d, _, v| {
                (a.is_some_and(|a| a < 16) && d) || (a.is_some_and(|a| a >= 65) && v)
            }),
            ("not (age < 16 or age >= 65) and (disability or not veteran)", |a, d, _, v| {
                !(a.is_some_and(|a| a < 16) || a.is_some_and(|a| a >= 65)) && (d || !v)
            }),
            ("true and not false", |_, _, _, _| true),
            ("false or disability and pensioner and veteran", |_, d, p, v| d && p && v),
            ("not not (pensioner or false)", |_, _, p, _| p),
        ];
        let mut evaluated = 0;
        for (text, check) in cases {
            let r = rule(text);
            for age in [None, Some(0), Some(15), Some(16), Some(65)] {
                for bits in 0..8u8 {
                    let (d, p, v) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
                    let names = [(d, "disability"), (p, "pensioner"), (v, "veteran")];
                    let f = Facts::new(age, names.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
                    assert_eq!(r.applies(&f), check(age, d, p, v), "{text} with {f:?}");
                    evaluated += 1;
                }
            }
        }
        assert_eq!(evaluated, cases.len() * 5 * 8);
    }

    #[test]
    fn rule_serde_uses_the_source_text() {
        let de: StrDeserializer<'_, DeError> = "age<16  or veteran".into_deserializer();
        let r = Rule::deserialize(de).expect("valid rule");
        assert_eq!(r, rule("age < 16 or veteran"));
        assert_eq!(String::from(r), "age<16  or veteran");
        let bad: StrDeserializer<'_, DeError> = "age <".into_deserializer();
        let e = Rule::deserialize(bad).expect_err("invalid rule");
        assert!(e.to_string().contains("column 6"), "{e}");
    }

    #[test]
    fn waives_serde_is_lower_case() {
        for (text, want) in [("state", Waives::State), ("service", Waives::Service), ("both", Waives::Both)] {
            let de: StrDeserializer<'_, DeError> = text.into_deserializer();
            assert_eq!(Waives::deserialize(de), Ok(want));
        }
        let de: StrDeserializer<'_, DeError> = "State".into_deserializer();
        assert!(Waives::deserialize(de).is_err());
    }

    fn exemption(text: &str, waives: Waives, reason: &str) -> Exemption {
        Exemption { rule: rule(text), waives, reason: reason.to_owned() }
    }

    fn fees(state: i64, service: i64, exemptions: Vec<Exemption>) -> Fees {
        Fees::new(state, service, "AZN", exemptions).expect("valid fees")
    }

    #[test]
    fn new_refuses_bad_fees() {
        assert_eq!(
            Fees::new(-1, 0, "AZN", vec![]),
            Err(FeeError::Negative { field: "state_fee", amount: -1 })
        );
        assert_eq!(
            Fees::new(0, -5, "AZN", vec![]),
            Err(FeeError::Negative { field: "service_fee", amount: -5 })
        );
        assert_eq!(Fees::new(i64::MAX, 1, "AZN", vec![]), Err(FeeError::TooLarge));
        assert!(Fees::new(i64::MAX - 1, 1, "AZN", vec![]).is_ok());
        for currency in ["azn", "AZ", "AZNN", "", "A1N", "ÄZN"] {
            assert_eq!(
                Fees::new(0, 0, currency, vec![]),
                Err(FeeError::Currency(currency.to_owned())),
                "{currency:?}"
            );
        }
        assert_eq!(
            Fees::new(
                1,
                1,
                "AZN",
                vec![exemption("true", Waives::Both, "ok"), exemption("a", Waives::State, " ")]
            ),
            Err(FeeError::EmptyReason { index: 1 })
        );
        assert_eq!(
            FeeError::Negative { field: "state_fee", amount: -1 }.to_string(),
            "state_fee must not be negative, got -1"
        );
        assert_eq!(
            FeeError::Currency("azn".into()).to_string(),
            "currency must be an ISO 4217 code of three upper-case letters, e.g. AZN; got \"azn\""
        );
    }

    #[test]
    fn free_service() {
        let f = fees(0, 0, vec![exemption("true", Waives::Both, "free for all")]);
        let bill = f.bill(&facts(Some(30), &[]));
        assert_eq!(
            bill,
            Bill { state_fee: 0, service_fee: 0, total: 0, currency: "AZN".into(), waived: vec![] }
        );
    }

    #[test]
    fn no_exemption_applies() {
        let f = fees(500, 300, vec![exemption("age < 16", Waives::Both, "under 16")]);
        let bill = f.bill(&facts(None, &[]));
        assert_eq!((bill.state_fee, bill.service_fee, bill.total), (500, 300, 800));
        assert!(bill.waived.is_empty());
    }

    #[test]
    fn one_rule_waives_both_fees() {
        let f = fees(500, 300, vec![exemption("age < 16", Waives::Both, "under 16")]);
        let bill = f.bill(&facts(Some(15), &[]));
        assert_eq!(
            bill,
            Bill {
                state_fee: 0,
                service_fee: 0,
                total: 0,
                currency: "AZN".into(),
                waived: vec![Waiver {
                    fee: Waives::Both,
                    amount: 800,
                    reason: "under 16".into(),
                    rule: "age < 16".into()
                }],
            }
        );
    }

    #[test]
    fn state_waived_service_charged() {
        let f = fees(2000, 150, vec![exemption("disability", Waives::State, "disability")]);
        let bill = f.bill(&facts(Some(40), &["disability"]));
        assert_eq!((bill.state_fee, bill.service_fee, bill.total), (0, 150, 150));
        assert_eq!(
            bill.waived,
            vec![Waiver {
                fee: Waives::State,
                amount: 2000,
                reason: "disability".into(),
                rule: "disability".into()
            }]
        );
        let service_only = fees(2000, 150, vec![exemption("veteran", Waives::Service, "veteran")]);
        let bill = service_only.bill(&facts(None, &["veteran"]));
        assert_eq!((bill.state_fee, bill.service_fee, bill.total), (2000, 0, 2000));
        assert_eq!(bill.waived[0].fee, Waives::Service);
        assert_eq!(bill.waived[0].amount, 150);
    }

    #[test]
    fn first_matching_exemption_wins() {
        let f = fees(
            1000,
            200,
            vec![
                exemption("age < 16", Waives::Both, "under 16"),
                exemption("pensioner", Waives::Service, "pensioner"),
                exemption("disability", Waives::Both, "disability"),
                exemption("true", Waives::State, "everyone"),
            ],
        );
        // Pensioner with a disability: service by "pensioner" (earlier), state by "disability".
        let bill = f.bill(&facts(Some(70), &["pensioner", "disability"]));
        assert_eq!(bill.total, 0);
        let got: Vec<(Waives, i64, &str)> =
            bill.waived.iter().map(|w| (w.fee, w.amount, w.reason.as_str())).collect();
        assert_eq!(got, vec![(Waives::Service, 200, "pensioner"), (Waives::State, 1000, "disability")]);
        // A child who is also a pensioner (by flag): "under 16" comes first and takes both.
        let bill = f.bill(&facts(Some(10), &["pensioner"]));
        assert_eq!(bill.waived.len(), 1);
        assert_eq!((bill.waived[0].fee, bill.waived[0].reason.as_str()), (Waives::Both, "under 16"));
        // Nobody special: only the catch-all state waiver.
        let bill = f.bill(&facts(Some(30), &[]));
        assert_eq!((bill.state_fee, bill.service_fee, bill.total), (0, 200, 200));
        assert_eq!(bill.waived.len(), 1);
        assert_eq!(bill.waived[0].reason, "everyone");
    }

    #[test]
    fn zero_fee_is_not_recorded_as_waived() {
        let f = fees(0, 300, vec![exemption("true", Waives::Both, "all")]);
        let bill = f.bill(&Facts::default());
        assert_eq!(bill.total, 0);
        assert_eq!(bill.waived.len(), 1);
        assert_eq!((bill.waived[0].fee, bill.waived[0].amount), (Waives::Service, 300));
        let f = fees(0, 300, vec![exemption("true", Waives::State, "all")]);
        let bill = f.bill(&Facts::default());
        assert_eq!(bill.total, 300);
        assert!(bill.waived.is_empty());
    }

    #[test]
    fn currency_is_kept() {
        let f = Fees::new(700, 0, "USD", vec![]).expect("valid");
        let bill = f.bill(&Facts::default());
        assert_eq!(bill.currency, "USD");
        assert_eq!(bill.total, 700);
    }

    #[test]
    fn large_amounts_do_not_overflow() {
        let f = fees(i64::MAX - 10, 10, vec![exemption("veteran", Waives::Both, "veteran")]);
        assert_eq!(f.bill(&Facts::default()).total, i64::MAX);
        let waived = f.bill(&facts(None, &["veteran"]));
        assert_eq!(waived.total, 0);
        assert_eq!(waived.waived[0].amount, i64::MAX);
        let hand_built =
            Fees { state_fee: i64::MAX, service_fee: i64::MAX, currency: "AZN".into(), exemptions: vec![] };
        assert_eq!(hand_built.bill(&Facts::default()).total, i64::MAX);
    }
}

/// Why a typed amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a decimal number such as `5` or `5.50`.
    #[error("{0:?} is not an amount such as 5 or 5.50")]
    Malformed(String),
    /// Below zero.
    #[error("an amount cannot be negative")]
    Negative,
    /// More decimals than the currency has.
    #[error("the currency has only {0} decimals")]
    TooPrecise(u32),
    /// Too large to hold.
    #[error("the amount is too large")]
    TooLarge,
}

/// Reads an amount typed in major units (`5`, `5.5`, `5,50`) as integer minor units of a currency
/// with `minor_units` decimals.
pub fn parse_amount(text: &str, minor_units: u32) -> Result<i64, AmountError> {
    let t = text.trim().replace(',', ".");
    if t.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, fraction) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || t.ends_with('.') {
        return Err(AmountError::Malformed(text.to_owned()));
    }
    if fraction.len() > minor_units as usize {
        return Err(AmountError::TooPrecise(minor_units));
    }
    let scale = 10i64.checked_pow(minor_units).ok_or(AmountError::TooLarge)?;
    let whole: i64 = whole.parse().map_err(|_| AmountError::TooLarge)?;
    let padded = format!("{fraction:0<width$}", width = minor_units as usize);
    let fraction: i64 =
        if padded.is_empty() { 0 } else { padded.parse().map_err(|_| AmountError::TooLarge)? };
    whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or(AmountError::TooLarge)
}

#[cfg(test)]
mod amount_tests {
    use super::*;

    #[test]
    fn amounts_are_read_in_minor_units() {
        assert_eq!(parse_amount("5", 2), Ok(500));
        assert_eq!(parse_amount("5.5", 2), Ok(550));
        assert_eq!(parse_amount(" 5,05 ", 2), Ok(505));
        assert_eq!(parse_amount("0", 2), Ok(0));
        assert_eq!(parse_amount("1000", 0), Ok(1000));
        assert_eq!(parse_amount("-1", 2), Err(AmountError::Negative));
        assert_eq!(parse_amount("5.555", 2), Err(AmountError::TooPrecise(2)));
        assert!(matches!(parse_amount("five", 2), Err(AmountError::Malformed(_))));
        assert!(matches!(parse_amount("5.", 2), Err(AmountError::Malformed(_))));
        assert!(matches!(parse_amount("", 2), Err(AmountError::Malformed(_))));
        assert_eq!(parse_amount("99999999999999999999", 2), Err(AmountError::TooLarge));
    }
}
