//! Bills, payments and refunds: money that never passes through an officer's hands.
//!
//! Money is taken only by the bank section of the bill's centre (a bank teller), its payment
//! terminal, or online through the [`crate::acquirer::Acquirer`] in three steps shaped like
//! GOV.UK Pay's (create → pay → confirm). Paying returns a ticket parked for the payment to its
//! window's queue. A refund is asked for with its reason, decided by the centre manager and paid
//! out by the bank section. The daily reconciliation sums a centre's bills, payments and refunds.

use crate::AppState;
use crate::acquirer::{AcquirerError, Card};
use crate::auth::Caller;
use crate::cases::{BillView, bill_view, case_error, centre_of, denied, money};
use crate::complaints::clockwork;
use crate::problem::ApiError;
use axum::http::StatusCode;
use fluent_bundle::FluentValue;
use jiff::civil::Date;
use onestop_domain::catalogue::Catalogue;
use onestop_domain::identity::{DeviceKind, Permission, Principal, Target};
use onestop_domain::notify::{Message, recipient};
use onestop_domain::payments::{
    OnlineStatus, PaymentChannel, Reconciliation, RefundReason, RefundState, RefundStep, canonical_reference,
};
use onestop_domain::queue::ticket::{Action, ParkReason, TicketRules, TicketState};
use onestop_store::cases::{
    ApplicationRecord, BillRecord, NewOnlinePayment, NewPayment, NewRefund, OnlineChange,
    OnlinePaymentRecord, RefundRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefundView {
    /// Its id.
    pub id: i64,
    /// The bill's reference.
    pub bill: String,
    /// The centre.
    pub centre: String,
    /// Amount, minor units.
    pub amount: i64,
    /// The amount, written for people.
    pub amount_text: String,
    /// `overpaid`, `wrongly_charged` or `service_refused`.
    pub reason: String,
    /// Remarks.
    pub note: Option<String>,
    /// `requested`, `approved`, `declined` or `executed`.
    pub state: String,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Who paid it out.
    pub executed_by: Option<String>,
}

/// A link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Link {
    /// Where.
    pub href: String,
    /// With which method.
    pub method: String,
}

/// The links of an online payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentLinks {
    /// The payment itself.
    #[serde(rename = "self")]
    pub this: Link,
    /// Where to send the payer to enter card details (while it is `created`).
    pub next_url: Option<Link>,
}

/// An online payment's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentState {
    /// `created`, `submitted`, `success`, `failed` or `cancelled`.
    pub status: String,
    /// Whether it has ended.
    pub finished: bool,
    /// Why it failed.
    pub message: Option<String>,
}

/// An online payment (shaped like GOV.UK Pay's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OnlinePaymentView {
    /// Its id.
    pub payment_id: String,
    /// Amount, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// The bill's reference.
    pub reference: String,
    /// What it is for.
    pub description: String,
    /// Where the payer goes afterwards.
    pub return_url: Option<String>,
    /// Its state.
    pub state: PaymentState,
    /// The acquirer.
    pub provider: String,
    /// Whether the acquirer is a sandbox that takes no money.
    pub sandbox: bool,
    /// The card's brand and last digits, once known.
    pub card: Option<String>,
    /// When it was created.
    pub created_date: String,
    /// Links.
    #[serde(rename = "_links")]
    pub links: PaymentLinks,
}

/// Count and amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TallyView {
    /// How many.
    pub count: u64,
    /// How much, minor units.
    pub amount: i64,
}

/// One teller's or device's takings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TakerView {
    /// `bank`, `terminal` or `online`.
    pub channel: String,
    /// Who.
    pub taker: String,
    /// Payments taken.
    pub payments: TallyView,
    /// Refunds paid out.
    pub refunds: TallyView,
}

/// A centre's money for one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReconciliationView {
    /// The centre.
    pub centre: String,
    /// The day.
    pub day: String,
    /// Currency.
    pub currency: String,
    /// Unpaid at the start of the day, minor units.
    pub opening_outstanding: i64,
    /// Bills issued.
    pub issued: TallyView,
    /// Unpaid bills cancelled.
    pub cancelled: TallyView,
    /// Payments taken.
    pub paid: TallyView,
    /// Refunds paid out.
    pub refunded: TallyView,
    /// Unpaid at the end of the day, minor units.
    pub closing_outstanding: i64,
    /// Payments net of refunds, minor units.
    pub net_collected: i64,
    /// Whether opening + issued − cancelled − paid = closing and the lines add up.
    pub balanced: bool,
    /// Per channel and taker.
    pub takers: Vec<TakerView>,
}

/// A payment at the bank section or a terminal.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PayRequest {
    /// The amount, minor units: exactly the amount due.
    #[serde(default)]
    pub amount: i64,
    /// The currency; the bill's by default.
    #[serde(default)]
    pub currency: Option<String>,
}

/// A refund request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RefundRequest {
    /// The amount, minor units.
    #[serde(default)]
    pub amount: i64,
    /// `overpaid`, `wrongly_charged` or `service_refused`.
    #[serde(default)]
    pub reason: String,
    /// Remarks.
    #[serde(default)]
    pub note: Option<String>,
}

/// Creating an online payment.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CreatePaymentRequest {
    /// The amount, minor units: exactly the bill's amount due.
    #[serde(default)]
    pub amount: i64,
    /// The bill's payment reference.
    #[serde(default)]
    pub reference: String,
    /// What it is for, shown to the payer.
    #[serde(default)]
    pub description: Option<String>,
    /// Where to send the payer afterwards.
    #[serde(default)]
    pub return_url: Option<String>,
}

/// Card details for an online payment.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CardRequest {
    /// The card number.
    #[serde(default)]
    pub card_number: String,
    /// The cardholder's name.
    #[serde(default)]
    pub cardholder_name: String,
    /// Expiry month, 1–12.
    #[serde(default)]
    pub expiry_month: u32,
    /// Expiry year, four digits.
    #[serde(default)]
    pub expiry_year: i32,
    /// The card verification code.
    #[serde(default)]
    pub cvc: String,
}

fn refund_view(c: &Catalogue, lang: &str, r: &RefundRecord) -> RefundView {
    RefundView {
        id: r.id,
        bill: r.bill.clone(),
        centre: r.centre.clone(),
        amount: r.amount,
        amount_text: money(c, lang, r.amount),
        reason: r.reason.as_str().into(),
        note: r.note.clone(),
        state: r.state.as_str().into(),
        requested_by: r.requested_by.clone(),
        requested_at: r.requested_at.to_string(),
        decided_by: r.decided_by.clone(),
        executed_by: r.executed_by.clone(),
    }
}

async fn bill_of(state: &AppState, reference: &str) -> Result<BillRecord, ApiError> {
    let canonical = canonical_reference(reference).ok_or_else(|| {
        ApiError::not_found(format!("{reference:?} is not a payment reference (12 digits)"))
    })?;
    state
        .store
        .bill(&canonical)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no bill {canonical}")))
}

/// The bill with `reference` (public: amounts and status only).
pub async fn bill(state: &AppState, lang: &str, reference: &str) -> Result<BillView, ApiError> {
    let b = bill_of(state, reference).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    Ok(bill_view(&loaded.catalogue, lang, &b))
}

/// The bill's QR code (its payment reference) as SVG.
pub async fn bill_qr(state: &AppState, reference: &str) -> Result<String, ApiError> {
    let b = bill_of(state, reference).await?;
    let code = qrcode::QrCode::new(b.reference.as_bytes()).map_err(|_| ApiError::internal())?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(160, 160).build())
}

/// Returns the ticket an application came from to its window's queue when it is parked for
/// payment and nothing is left to pay.
async fn unpark_after_payment(state: &AppState, caller: &Caller, tracking: &str) -> Result<(), ApiError> {
    let Some(a) = state.store.application(tracking).await? else { return Ok(()) };
    let Some(ticket) = a.ticket else { return Ok(()) };
    if a.bills.iter().any(|b| b.due() > 0) {
        return Ok(());
    }
    let Some(record) = state.store.ticket(ticket).await? else { return Ok(()) };
    if !matches!(record.ticket.state, TicketState::Parked { reason: ParkReason::Payment, .. }) {
        return Ok(());
    }
    let now = state.now();
    let audit = caller
        .event(now, "ticket.return", format!("ticket {ticket} returns to its window: {tracking} is paid"))
        .with_record(format!("ticket:{ticket}"));
    match state
        .store
        .act(&record.ticket.centre, ticket, None, Action::Return, TicketRules::default().into(), now, audit)
        .await
    {
        Ok(_) => Ok(()),
        // Returned by someone else in the meantime: nothing to do.
        Err(onestop_store::queue::ActError::Rule(_)) => Ok(()),
        Err(e) => {
            tracing::warn!(%ticket, cause = %e, "a paid ticket could not return to its window");
            Ok(())
        }
    }
}

fn payment_notice(state: &AppState, a: Option<&ApplicationRecord>) -> Option<Message> {
    let a = a?;
    let to = recipient(a.contact_email.as_deref(), a.contact_phone.as_deref())?;
    let args: Vec<(&str, FluentValue<'_>)> = vec![
        ("tracking", a.tracking.clone().into()),
        ("link", format!("{}track?tracking={}", state.public_url, a.tracking).into()),
    ];
    Some(state.templates.catalog.message(
        &a.lang,
        ("case", "paid"),
        to,
        &args,
        Some(format!("application:{}", a.tracking)),
    ))
}

/// Records a payment of bill `reference` at the bank section (a bank teller of the bill's centre)
/// or by the centre's payment terminal; the amount must be exactly the amount due. A ticket parked
/// for the payment returns to its window's queue.
pub async fn pay(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    reference: &str,
    req: &PayRequest,
) -> Result<BillView, ApiError> {
    let now = state.now();
    let b = bill_of(state, reference).await?;
    caller
        .authorize(Permission::TakePayment, Target { centre: Some(&b.centre), ..Target::ANY })
        .map_err(denied)?;
    let (channel, taken_by) = match &caller.principal {
        Some(Principal::Device(d)) if d.kind == DeviceKind::Terminal => {
            (PaymentChannel::Terminal, format!("device:{}", d.token_id))
        }
        Some(Principal::Staff(s)) => (PaymentChannel::Bank, format!("staff:{}", s.login)),
        _ => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "only the bank section and payment terminals take payments",
            ));
        }
    };
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let today = clockwork(state, c)?.today;
    let a = state.store.application(&b.tracking).await?;
    let payment = NewPayment {
        amount: req.amount,
        currency: req.currency.clone().unwrap_or_else(|| b.currency.clone()),
        channel,
        centre: b.centre.clone(),
        taken_by,
        on_day: today,
        message: payment_notice(state, a.as_ref()),
    };
    let audit = caller.event(
        now,
        "bill.pay",
        format!("took {} for bill {} ({})", req.amount, b.reference, channel.as_str()),
    );
    let paid = state.store.pay_bill(&b.reference, payment, now, audit).await.map_err(case_error)?;
    unpark_after_payment(state, caller, &paid.tracking).await?;
    Ok(bill_view(c, lang, &paid))
}

/// Asks for a refund on bill `reference`.
pub async fn request_refund(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    reference: &str,
    req: &RefundRequest,
) -> Result<RefundView, ApiError> {
    let now = state.now();
    let b = bill_of(state, reference).await?;
    caller
        .authorize(
            Permission::RequestRefund,
            Target { centre: Some(&b.centre), provider: None, window: None },
        )
        .map_err(denied)?;
    let reason = RefundReason::parse(req.reason.trim()).ok_or_else(|| {
        ApiError::unprocessable("reason", "say why: overpaid, wrongly_charged or service_refused")
    })?;
    let new = NewRefund {
        amount: req.amount,
        reason,
        note: req.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
        requested_by: caller.principal.as_ref().map(Principal::actor).unwrap_or_default(),
    };
    let audit = caller.event(
        now,
        "refund.request",
        format!("asked to refund {} of bill {}", req.amount, b.reference),
    );
    let r = state.store.request_refund(&b.reference, new, now, audit).await.map_err(case_error)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    Ok(refund_view(&loaded.catalogue, lang, &r))
}

/// Takes `step` on refund `id`: the centre manager approves or declines, the bank section
/// executes.
pub async fn refund_step(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    id: i64,
    step: RefundStep,
) -> Result<RefundView, ApiError> {
    let now = state.now();
    let r = state
        .store
        .refund(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no refund {id}")))?;
    let permission = match step {
        RefundStep::Approve | RefundStep::Decline => Permission::DecideRefund,
        RefundStep::Execute => Permission::ExecuteRefund,
    };
    caller.authorize(permission, Target { centre: Some(&r.centre), ..Target::ANY }).map_err(denied)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let today = clockwork(state, c)?.today;
    let actor = caller.principal.as_ref().map(Principal::actor).unwrap_or_default();
    let audit =
        caller.event(now, &format!("refund.{}", step.as_str()), format!("{} refund {id}", step.as_str()));
    let r = state.store.refund_step(id, step, &actor, today, now, audit).await.map_err(case_error)?;
    Ok(refund_view(c, lang, &r))
}

/// The refunds of `centre` in `states`.
pub async fn refunds(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    centre: &str,
    states: &[RefundState],
) -> Result<Vec<RefundView>, ApiError> {
    caller
        .authorize(Permission::ReadPayments, Target { centre: Some(centre), ..Target::ANY })
        .map_err(denied)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    centre_of(c, centre)?;
    Ok(state.store.refunds(centre, states).await?.iter().map(|r| refund_view(c, lang, r)).collect())
}

/// The money of `centre` on `day` (today when none).
pub async fn reconciliation(
    state: &AppState,
    caller: &Caller,
    centre: &str,
    day: Option<&str>,
) -> Result<ReconciliationView, ApiError> {
    caller
        .authorize(Permission::ReadPayments, Target { centre: Some(centre), ..Target::ANY })
        .map_err(denied)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    centre_of(c, centre)?;
    let day = match day.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d
            .parse::<Date>()
            .map_err(|_| ApiError::bad_request("date", format!("{d:?} is not a date (YYYY-MM-DD)")))?,
        None => clockwork(state, c)?.today,
    };
    let r: Reconciliation = state.store.reconciliation(centre, day).await?;
    let tally = |t: onestop_domain::payments::Tally| TallyView { count: t.count, amount: t.amount };
    Ok(ReconciliationView {
        centre: centre.to_owned(),
        day: day.to_string(),
        currency: c.country.currency.code.clone(),
        opening_outstanding: r.opening_outstanding,
        issued: tally(r.issued),
        cancelled: tally(r.cancelled),
        paid: tally(r.paid),
        refunded: tally(r.refunded),
        closing_outstanding: r.closing_outstanding,
        net_collected: r.net_collected(),
        balanced: r.balances(),
        takers: r
            .takers
            .iter()
            .map(|t| TakerView {
                channel: t.channel.as_str().into(),
                taker: t.taker.clone(),
                payments: tally(t.payments),
                refunds: tally(t.refunds),
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Online payments

/// The view of an online payment.
pub fn online_view(state: &AppState, p: &OnlinePaymentRecord) -> OnlinePaymentView {
    let this = Link { href: format!("/api/v1/payments/{}", p.id), method: "GET".into() };
    let next_url = (p.status == OnlineStatus::Created)
        .then(|| Link { href: format!("/pay/{}", p.id), method: "GET".into() });
    OnlinePaymentView {
        payment_id: p.id.clone(),
        amount: p.amount,
        currency: p.currency.clone(),
        reference: p.bill.clone(),
        description: p.description.clone(),
        return_url: p.return_url.clone(),
        state: PaymentState {
            status: p.status.as_str().into(),
            finished: p.status.finished(),
            message: p.failure.clone(),
        },
        provider: p.acquirer.clone(),
        sandbox: state.cases.acquirer.is_sandbox(),
        card: p
            .card_last4
            .as_ref()
            .map(|l| format!("{} •••• {l}", p.card_brand.as_deref().unwrap_or("card"))),
        created_date: p.created_at.to_string(),
        links: PaymentLinks { this, next_url },
    }
}

/// Creates an online payment of a bill, for exactly its amount due.
pub async fn create_online(
    state: &AppState,
    req: &CreatePaymentRequest,
) -> Result<OnlinePaymentRecord, ApiError> {
    let now = state.now();
    let b = bill_of(state, &req.reference).await.map_err(|e| match e.status() {
        StatusCode::NOT_FOUND => ApiError::unprocessable("reference", e.problem().detail.unwrap_or_default()),
        _ => e,
    })?;
    if let Some(url) = &req.return_url
        && !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
    {
        return Err(ApiError::unprocessable("return_url", "give an http(s) address or a path"));
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let lang = c.country.default_language();
    let description = req
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            c.service(&b.service).map_or_else(|| b.service.clone(), |s| s.name.get_or(lang, lang).to_owned())
        });
    let id =
        crate::auth::random_token().chars().filter(char::is_ascii_alphanumeric).take(26).collect::<String>();
    let new = NewOnlinePayment {
        id,
        bill: b.reference.clone(),
        amount: req.amount,
        currency: b.currency.clone(),
        description,
        return_url: req.return_url.clone(),
        acquirer: state.cases.acquirer.name().to_owned(),
    };
    state.store.create_online_payment(new, now).await.map_err(case_error)
}

/// The online payment `id`.
pub async fn online(state: &AppState, id: &str) -> Result<OnlinePaymentRecord, ApiError> {
    state
        .store
        .online_payment(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no payment {id}")))
}

/// The payer submits card details: the acquirer authorises (status `submitted`) or refuses
/// (`failed`).
pub async fn online_pay(
    state: &AppState,
    caller: &Caller,
    id: &str,
    card: &CardRequest,
) -> Result<OnlinePaymentRecord, ApiError> {
    let now = state.now();
    let p = online(state, id).await?;
    if p.status != OnlineStatus::Created {
        return Err(ApiError::conflict(format!("the payment is {}", p.status.as_str())));
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = clockwork(state, &loaded.catalogue)?.today;
    let expired = card.expiry_year < i32::from(today.year())
        || (card.expiry_year == i32::from(today.year())
            && card.expiry_month < u32::try_from(today.month()).unwrap_or(0));
    if !(1..=12).contains(&card.expiry_month) || expired {
        return Err(ApiError::unprocessable(
            "expiry_month",
            "the card has expired or the expiry date is not valid",
        ));
    }
    let details = Card {
        number: card.card_number.clone(),
        holder: card.cardholder_name.clone(),
        cvc: card.cvc.trim().to_owned(),
    };
    let change = match state.cases.acquirer.authorise(&details, p.amount, &p.currency, &p.id).await {
        Ok(auth) => OnlineChange {
            from: OnlineStatus::Created,
            to: OnlineStatus::Submitted,
            auth_code: Some(auth.code),
            card_brand: Some(auth.brand),
            card_last4: Some(auth.last4),
            failure: None,
            payment: None,
        },
        Err(AcquirerError::InvalidCard) => {
            return Err(ApiError::unprocessable(
                "card_number",
                "the card details are not valid: check the number and the security code",
            ));
        }
        Err(e) => OnlineChange {
            from: OnlineStatus::Created,
            to: OnlineStatus::Failed,
            auth_code: None,
            card_brand: None,
            card_last4: Some(details.last4()),
            failure: Some(e.to_string()),
            payment: None,
        },
    };
    let audit =
        caller.event(now, "payment.authorise", format!("online payment {id}: {}", change.to.as_str()));
    state.store.change_online_payment(id, change, now, Some(audit)).await.map_err(case_error)
}

/// Confirms (captures) an authorised online payment: the bill is paid in the same transaction,
/// and a ticket parked for the payment returns to its window.
pub async fn online_confirm(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<OnlinePaymentRecord, ApiError> {
    let now = state.now();
    let p = online(state, id).await?;
    if p.status != OnlineStatus::Submitted {
        return Err(ApiError::conflict(format!(
            "the payment is {}: only a submitted payment is confirmed",
            p.status.as_str()
        )));
    }
    let b = bill_of(state, &p.bill).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let today = clockwork(state, c)?.today;
    let auth = p.auth_code.clone().unwrap_or_default();
    let change = match state.cases.acquirer.capture(&auth, p.amount).await {
        Ok(()) => {
            let a = state.store.application(&b.tracking).await?;
            OnlineChange {
                from: OnlineStatus::Submitted,
                to: OnlineStatus::Success,
                auth_code: None,
                card_brand: None,
                card_last4: None,
                failure: None,
                payment: Some(NewPayment {
                    amount: p.amount,
                    currency: p.currency.clone(),
                    channel: PaymentChannel::Online,
                    centre: b.centre.clone(),
                    taken_by: format!("online:{}", p.id),
                    on_day: today,
                    message: payment_notice(state, a.as_ref()),
                }),
            }
        }
        Err(e) => OnlineChange {
            from: OnlineStatus::Submitted,
            to: OnlineStatus::Failed,
            auth_code: None,
            card_brand: None,
            card_last4: None,
            failure: Some(e.to_string()),
            payment: None,
        },
    };
    let audit = caller.event(now, "payment.capture", format!("online payment {id}: {}", change.to.as_str()));
    let done = state.store.change_online_payment(id, change, now, Some(audit)).await.map_err(case_error)?;
    if done.status == OnlineStatus::Success {
        unpark_after_payment(state, caller, &b.tracking).await?;
    }
    Ok(done)
}

/// Cancels an online payment not yet submitted.
pub async fn online_cancel(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<OnlinePaymentRecord, ApiError> {
    let now = state.now();
    let change = OnlineChange {
        from: OnlineStatus::Created,
        to: OnlineStatus::Cancelled,
        auth_code: None,
        card_brand: None,
        card_last4: None,
        failure: None,
        payment: None,
    };
    let audit = caller.event(now, "payment.cancel", format!("online payment {id} cancelled"));
    state.store.change_online_payment(id, change, now, Some(audit)).await.map_err(case_error)
}

/// Days of refunds' states from a query's comma-separated list.
pub fn refund_states(text: Option<&str>) -> Result<Vec<RefundState>, ApiError> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            RefundState::parse(s)
                .ok_or_else(|| ApiError::bad_request("state", format!("{s:?} is not a refund state")))
        })
        .collect()
}
