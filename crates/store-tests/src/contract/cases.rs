//! The contract of applications, bills, payments and refunds.

use super::event;
use crate::TestDb;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use onestop_domain::cases::workflow::{Need, StepError, Workflows};
use onestop_domain::identity::Role;
use onestop_domain::payments::{
    OnlineStatus, PaymentChannel, PaymentError, Purpose, RefundError, RefundReason, RefundState, RefundStep,
    Tally, payment_reference,
};
use onestop_store::Store;
use onestop_store::cases::{
    ApplicationChange, ApplicationFilter, ApplicationRecord, CaseError, NewApplication, NewBill,
    NewOnlinePayment, NewPayment, NewRefund, OnlineChange,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const BAKU: &str = "AZ-BAKU-1";
const GANJA: &str = "AZ-GANJA-1";

fn now(day: Date, hour: i8) -> Timestamp {
    day.at(hour, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).expect("a test time")
}

/// A deterministic stream of pseudo-random numbers (SplitMix64), so a failing seed replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn reference(&mut self) -> String {
        payment_reference(&self.next().to_le_bytes())
    }
}

fn bill(reference: &str, purpose: Purpose, state_fee: i64, service_fee: i64, on: Date) -> NewBill {
    NewBill {
        reference: reference.into(),
        purpose,
        state_fee,
        service_fee,
        currency: "AZN".into(),
        waivers: Vec::new(),
        issued_on: on,
    }
}

fn application(tracking: &str, centre: &str, fees: NewBill, on: Date) -> NewApplication {
    NewApplication {
        tracking: tracking.into(),
        centre: centre.into(),
        provider: "MIA".into(),
        service: "MIA-PASSPORT".into(),
        workflow: "standard".into(),
        initial: ("accepted".into(), Some(on)),
        billed: Some(("awaiting_payment".into(), Some(on))),
        ticket: None,
        officer: "staff:officer1".into(),
        role: Role::Officer,
        applicant_fin: "5ZXC7RT".into(),
        applicant_name: Some("AYAN ALIYEVA".into()),
        contact_email: Some("ayan@example.org".into()),
        contact_phone: None,
        lang: "az".into(),
        documents: vec!["ID card".into(), "Photo".into()],
        accepted_on: on,
        deadline_on: date(2026, 12, 14),
        bill: fees,
        key: Some(format!("accept-{tracking}")),
        message: None,
    }
}

fn change(
    action: &str,
    role: Role,
    reason: Option<&str>,
    key: Option<&str>,
    today: Date,
) -> ApplicationChange {
    ApplicationChange {
        workflow: Workflows::builtin().for_service("MIA-PASSPORT").clone(),
        action: action.into(),
        actor: "staff:officer1".into(),
        role,
        reason: reason.map(Into::into),
        key: key.map(Into::into),
        today,
        due_on: None,
        message: None,
    }
}

fn pay(centre: &str, amount: i64, channel: PaymentChannel, by: &str, on: Date) -> NewPayment {
    NewPayment {
        amount,
        currency: "AZN".into(),
        channel,
        centre: centre.into(),
        taken_by: by.into(),
        on_day: on,
        message: None,
    }
}

async fn act(
    store: &Arc<dyn Store>,
    tracking: &str,
    action: &str,
    today: Date,
) -> Result<ApplicationRecord, CaseError> {
    store
        .act_on_application(
            tracking,
            change(action, Role::Officer, None, None, today),
            now(today, 10),
            event("application.act"),
        )
        .await
}

/// An application starts accepted and billed, cannot proceed until its bill is paid in full,
/// takes each action once per idempotency key, and reaches delivery only once it is paid for.
pub async fn an_application_is_billed_paid_and_delivered(db: &TestDb) {
    let store = db.store().await;
    let today = date(2026, 12, 1);
    assert_eq!(store.reserve_tracking(2026).await.unwrap(), 1);
    assert_eq!(store.reserve_tracking(2026).await.unwrap(), 2);
    assert_eq!(store.reserve_tracking(2027).await.unwrap(), 1);

    let new = application("AS-2026-000001", BAKU, bill("100000000009", Purpose::Fees, 6000, 0, today), today);
    let app =
        store.create_application(new.clone(), now(today, 9), event("application.accept")).await.unwrap();
    assert_eq!(app.state, "awaiting_payment");
    let steps: Vec<(&str, Option<&str>, &str)> = app
        .history
        .iter()
        .map(|a| (a.action.as_str(), a.from_state.as_deref(), a.to_state.as_str()))
        .collect();
    assert_eq!(steps, [("accept", None, "accepted"), ("bill", Some("accepted"), "awaiting_payment")]);
    assert_eq!(app.documents, ["ID card", "Photo"]);
    assert_eq!((app.bills.len(), app.bills[0].total, app.bills[0].paid), (1, 6000, 0));
    assert!(!app.fees_paid());
    // A tracking number is given once (replays by idempotency key go by ticket: see the web tests).
    let again = store.create_application(new, now(today, 9), event("application.accept")).await;
    assert!(matches!(again, Err(CaseError::Store(onestop_store::StoreError::Conflict(_)))), "{again:?}");

    // Proceeding waits for the payment; nothing is written by the refusal.
    assert!(matches!(
        act(&store, &app.tracking, "proceed", today).await,
        Err(CaseError::Step(StepError::Needs(Need::Paid)))
    ));
    let reference = app.bills[0].reference.clone();
    let short = store
        .pay_bill(
            &reference,
            pay(BAKU, 5000, PaymentChannel::Bank, "staff:teller", today),
            now(today, 10),
            event("bill.pay"),
        )
        .await;
    assert!(
        matches!(short, Err(CaseError::Payment(PaymentError::WrongAmount { due: 6000, offered: 5000 }))),
        "{short:?}"
    );
    let elsewhere = store
        .pay_bill(
            &reference,
            pay(GANJA, 6000, PaymentChannel::Bank, "staff:teller2", today),
            now(today, 10),
            event("bill.pay"),
        )
        .await;
    assert!(matches!(elsewhere, Err(CaseError::Conflict(_))), "{elsewhere:?}");
    let paid = store
        .pay_bill(
            &reference,
            pay(BAKU, 6000, PaymentChannel::Bank, "staff:teller", today),
            now(today, 10),
            event("bill.pay"),
        )
        .await
        .unwrap();
    assert_eq!((paid.paid, paid.payment.as_ref().map(|p| p.taken_by.as_str())), (6000, Some("staff:teller")));
    let twice = store
        .pay_bill(
            &reference,
            pay(BAKU, 6000, PaymentChannel::Bank, "staff:teller", today),
            now(today, 10),
            event("bill.pay"),
        )
        .await;
    assert!(matches!(twice, Err(CaseError::Payment(PaymentError::AlreadyPaid))), "{twice:?}");

    let keyed = |action: &str, key: &str| change(action, Role::Officer, None, Some(key), today);
    let moved = store
        .act_on_application(&app.tracking, keyed("proceed", "k-1"), now(today, 11), event("application.act"))
        .await
        .unwrap();
    assert_eq!((moved.state.as_str(), moved.history.len()), ("in_processing", 3));
    let replay = store
        .act_on_application(&app.tracking, keyed("proceed", "k-1"), now(today, 11), event("application.act"))
        .await
        .unwrap();
    assert_eq!((replay.state.as_str(), replay.history.len()), ("in_processing", 3));
    let reused = store
        .act_on_application(&app.tracking, keyed("ready", "k-1"), now(today, 11), event("application.act"))
        .await;
    assert!(matches!(reused, Err(CaseError::Conflict(_))), "{reused:?}");
    let teller = store
        .act_on_application(
            &app.tracking,
            change("ready", Role::BankTeller, None, None, today),
            now(today, 11),
            event("application.act"),
        )
        .await;
    assert!(matches!(teller, Err(CaseError::Step(StepError::Role { .. }))), "{teller:?}");

    let ready = act(&store, &app.tracking, "ready", date(2026, 12, 3)).await.unwrap();
    assert_eq!((ready.state.as_str(), ready.done_on), ("ready_for_collection", Some(date(2026, 12, 3))));

    // Delivery: ordered from a dispatchable state, billed, and dispatched only once paid.
    let states = vec!["ready_for_collection".to_string()];
    let delivery_ref = "200000000008";
    let ordered = store
        .order_delivery(
            &app.tracking,
            "Nizami 10, Baku",
            &states,
            bill(delivery_ref, Purpose::Delivery, 0, 500, today),
            now(today, 12),
            event("application.delivery"),
        )
        .await
        .unwrap();
    assert_eq!(ordered.delivery_address.as_deref(), Some("Nizami 10, Baku"));
    assert_eq!(
        ordered.bills.iter().map(|b| b.purpose).collect::<Vec<_>>(),
        [Purpose::Fees, Purpose::Delivery]
    );
    let twice = store
        .order_delivery(
            &app.tracking,
            "Elsewhere",
            &states,
            bill("300000000007", Purpose::Delivery, 0, 500, today),
            now(today, 12),
            event("application.delivery"),
        )
        .await;
    assert!(matches!(twice, Err(CaseError::Conflict(_))), "{twice:?}");
    assert!(matches!(
        act(&store, &app.tracking, "dispatch", today).await,
        Err(CaseError::Step(StepError::Needs(Need::DeliveryPaid)))
    ));
    store
        .pay_bill(
            delivery_ref,
            pay(BAKU, 500, PaymentChannel::Terminal, "device:7", today),
            now(today, 13),
            event("bill.pay"),
        )
        .await
        .unwrap();
    act(&store, &app.tracking, "dispatch", today).await.unwrap();
    let issued = act(&store, &app.tracking, "deliver", today).await.unwrap();
    assert_eq!(issued.state, "issued");
    assert_eq!(issued.done_on, Some(date(2026, 12, 3)), "done when it first became ready");
    let late = store
        .order_delivery(
            &app.tracking,
            "Nizami 10",
            &states,
            bill("400000000006", Purpose::Delivery, 0, 500, today),
            now(today, 14),
            event("application.delivery"),
        )
        .await;
    assert!(matches!(late, Err(CaseError::Conflict(_))));

    let listed = store
        .applications(&ApplicationFilter { centre: Some(BAKU.into()), ..Default::default() }, 10)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|a| (a.tracking.as_str(), a.bills.len())).collect::<Vec<_>>(),
        [("AS-2026-000001", 2)]
    );
    let open = store.applications(&ApplicationFilter { open: true, ..Default::default() }, 10).await.unwrap();
    assert!(open.is_empty());
    let audit = store.audit_entries(0, 100).await.unwrap();
    assert!(audit.iter().any(|e| e.event.record.as_deref() == Some("bill:100000000009")));
}

/// A rejection cancels the unpaid bill; refunds are requested, decided and executed once, and
/// never add up to more than was paid.
pub async fn rejections_cancel_bills_and_refunds_stay_within_the_payment(db: &TestDb) {
    let store = db.store().await;
    let today = date(2026, 12, 2);
    let a = store
        .create_application(
            application("AS-2026-000010", BAKU, bill("500000000005", Purpose::Fees, 2000, 0, today), today),
            now(today, 9),
            event("a"),
        )
        .await
        .unwrap();
    let refused = store
        .act_on_application(
            &a.tracking,
            change("reject", Role::Officer, None, None, today),
            now(today, 9),
            event("a"),
        )
        .await;
    assert!(matches!(refused, Err(CaseError::Step(StepError::Needs(Need::Reason)))));
    let rejected = store
        .act_on_application(
            &a.tracking,
            change("reject", Role::CentreManager, Some("forged document"), None, today),
            now(today, 9),
            event("a"),
        )
        .await
        .unwrap();
    assert_eq!(rejected.state, "rejected");
    assert!(rejected.bills[0].cancelled_at.is_some());
    assert_eq!(rejected.history.last().and_then(|h| h.reason.as_deref()), Some("forged document"));
    let paying = store
        .pay_bill(
            "500000000005",
            pay(BAKU, 2000, PaymentChannel::Bank, "staff:teller", today),
            now(today, 10),
            event("p"),
        )
        .await;
    assert!(matches!(paying, Err(CaseError::Payment(PaymentError::Cancelled))));

    let b = store
        .create_application(
            application(
                "AS-2026-000011",
                BAKU,
                bill("600000000004", Purpose::Fees, 2000, 1000, today),
                today,
            ),
            now(today, 9),
            event("a"),
        )
        .await
        .unwrap();
    let refund = |amount| NewRefund {
        amount,
        reason: RefundReason::WronglyCharged,
        note: None,
        requested_by: "staff:officer1".into(),
    };
    let unpaid = store.request_refund(&b.bills[0].reference, refund(100), now(today, 9), event("r")).await;
    assert!(matches!(unpaid, Err(CaseError::Refund(RefundError::TooMuch { available: 0, asked: 100 }))));
    store
        .pay_bill(
            "600000000004",
            pay(BAKU, 3000, PaymentChannel::Online, "online:pay1", today),
            now(today, 10),
            event("p"),
        )
        .await
        .unwrap();
    let first = store.request_refund("600000000004", refund(2000), now(today, 11), event("r")).await.unwrap();
    assert_eq!(first.state, RefundState::Requested);
    let over = store.request_refund("600000000004", refund(1500), now(today, 11), event("r")).await;
    assert!(
        matches!(over, Err(CaseError::Refund(RefundError::TooMuch { available: 1000, asked: 1500 }))),
        "{over:?}"
    );
    let early = store
        .refund_step(first.id, RefundStep::Execute, "staff:teller", today, now(today, 12), event("r"))
        .await;
    assert!(matches!(early, Err(CaseError::Refund(RefundError::WrongState { .. }))));
    let declined = store
        .refund_step(first.id, RefundStep::Decline, "staff:manager", today, now(today, 12), event("r"))
        .await
        .unwrap();
    assert_eq!(
        (declined.state, declined.decided_by.as_deref()),
        (RefundState::Declined, Some("staff:manager"))
    );
    let second =
        store.request_refund("600000000004", refund(3000), now(today, 13), event("r")).await.unwrap();
    store
        .refund_step(second.id, RefundStep::Approve, "staff:manager", today, now(today, 13), event("r"))
        .await
        .unwrap();
    let done = store
        .refund_step(second.id, RefundStep::Execute, "staff:teller", today, now(today, 14), event("r"))
        .await
        .unwrap();
    assert_eq!((done.state, done.executed_by.as_deref()), (RefundState::Executed, Some("staff:teller")));
    let again = store
        .refund_step(second.id, RefundStep::Execute, "staff:teller", today, now(today, 14), event("r"))
        .await;
    assert!(matches!(again, Err(CaseError::Refund(RefundError::WrongState { .. }))));
    let bill = store.bill("600000000004").await.unwrap().unwrap();
    assert_eq!((bill.paid, bill.refunded, bill.refunds.len()), (3000, 3000, 2));
    let pending = store.refunds(BAKU, &[RefundState::Requested, RefundState::Approved]).await.unwrap();
    assert!(pending.is_empty());
    assert_eq!(store.refunds(BAKU, &[]).await.unwrap().len(), 2);
    assert!(store.refunds(GANJA, &[]).await.unwrap().is_empty());
}

/// An online payment is created for the amount due only, moves one status at a time, and on
/// success pays its bill in the same transaction.
pub async fn online_payments_pay_their_bill_once(db: &TestDb) {
    let store = db.store().await;
    let today = date(2026, 12, 3);
    store
        .create_application(
            application("AS-2026-000020", BAKU, bill("700000000003", Purpose::Fees, 1500, 0, today), today),
            now(today, 9),
            event("a"),
        )
        .await
        .unwrap();
    let new = |id: &str, amount| NewOnlinePayment {
        id: id.into(),
        bill: "700000000003".into(),
        amount,
        currency: "AZN".into(),
        description: "Passport".into(),
        return_url: Some("https://example.org/back".into()),
        acquirer: "sandbox".into(),
    };
    let wrong = store.create_online_payment(new("op1", 1000), now(today, 9)).await;
    assert!(matches!(wrong, Err(CaseError::Payment(PaymentError::WrongAmount { .. }))));
    let created = store.create_online_payment(new("op1", 1500), now(today, 9)).await.unwrap();
    assert_eq!((created.status, created.bill.as_str()), (OnlineStatus::Created, "700000000003"));
    let step = |from, to, payment: Option<NewPayment>| OnlineChange {
        from,
        to,
        auth_code: Some("AUTH1".into()),
        card_brand: Some("visa".into()),
        card_last4: Some("1111".into()),
        failure: None,
        payment,
    };
    let skipped = store
        .change_online_payment(
            "op1",
            step(OnlineStatus::Submitted, OnlineStatus::Success, None),
            now(today, 9),
            None,
        )
        .await;
    assert!(matches!(skipped, Err(CaseError::Conflict(_))));
    let submitted = store
        .change_online_payment(
            "op1",
            step(OnlineStatus::Created, OnlineStatus::Submitted, None),
            now(today, 9),
            None,
        )
        .await
        .unwrap();
    assert_eq!((submitted.status, submitted.card_last4.as_deref()), (OnlineStatus::Submitted, Some("1111")));
    let captured = pay(BAKU, 1500, PaymentChannel::Online, "online:op1", today);
    let done = store
        .change_online_payment(
            "op1",
            step(OnlineStatus::Submitted, OnlineStatus::Success, Some(captured.clone())),
            now(today, 9),
            Some(event("payment.capture")),
        )
        .await
        .unwrap();
    assert_eq!(done.status, OnlineStatus::Success);
    assert_eq!(store.bill("700000000003").await.unwrap().unwrap().paid, 1500);
    let again = store
        .change_online_payment(
            "op1",
            step(OnlineStatus::Submitted, OnlineStatus::Success, Some(captured)),
            now(today, 9),
            None,
        )
        .await;
    assert!(matches!(again, Err(CaseError::Conflict(_))));
    let second = store.create_online_payment(new("op2", 1500), now(today, 10)).await;
    assert!(matches!(second, Err(CaseError::Payment(PaymentError::AlreadyPaid))));
    assert!(store.online_payment("nope").await.unwrap().is_none());
}

/// Eight tellers paying one bill at once: exactly one payment is taken.
pub async fn racing_payments_of_one_bill_take_it_once(db: &TestDb) {
    let store = db.store().await;
    let today = date(2026, 12, 4);
    store
        .create_application(
            application("AS-2026-000030", BAKU, bill("800000000002", Purpose::Fees, 900, 100, today), today),
            now(today, 9),
            event("a"),
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .pay_bill(
                    "800000000002",
                    pay(BAKU, 1000, PaymentChannel::Bank, &format!("staff:teller{i}"), today),
                    now(today, 10),
                    event("p"),
                )
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(CaseError::Payment(PaymentError::AlreadyPaid))
            | Err(CaseError::Store(onestop_store::StoreError::Conflict(_))) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(store.bill("800000000002").await.unwrap().unwrap().paid, 1000);
}

#[derive(Default, Clone)]
struct ModelBill {
    reference: String,
    centre: &'static str,
    tracking: String,
    total: i64,
    issued: Date,
    paid_on: Option<Date>,
    cancelled_on: Option<Date>,
    refunded: i64,
    requested: i64,
}

/// A random fortnight of bills, payments (bank, terminal, online), cancellations and refunds at
/// two centres: every day's reconciliation of each centre balances to the minor unit and equals
/// the sums recomputed from the events played.
pub async fn reconciliation_balances_over_random_days(db: &TestDb) {
    let store = db.store().await;
    // Three seeds, each at its own pair of centres, so a failing seed replays alone.
    let seeds: [(u64, [&'static str; 2]); 3] = [
        (0x0057_0A5E_2026, [BAKU, GANJA]),
        (0xBEEF_0001, ["AZ-SUMQAYIT-1", "AZ-SHEKI-1"]),
        (0x2026_1129, ["AZ-LANKARAN-1", "AZ-QUBA-1"]),
    ];
    for (n, (seed, centres)) in seeds.into_iter().enumerate() {
        play_random_fortnight(&store, seed, centres, u32::try_from(n).unwrap() * 100_000).await;
    }
}

async fn play_random_fortnight(store: &Arc<dyn Store>, seed: u64, centres: [&'static str; 2], first: u32) {
    let [one, two] = centres;
    let mut rng = Rng(seed);
    let mut bills: Vec<ModelBill> = Vec::new();
    let mut executed: Vec<(&'static str, Date, i64, String)> = Vec::new();
    let mut pending: Vec<(i64, usize, i64, bool)> = Vec::new(); // (refund id, bill index, amount, approved)
    let start = date(2026, 12, 1);
    let days: Vec<Date> = (0..14).map(|i| start.checked_add(jiff::Span::new().days(i)).unwrap()).collect();
    let mut sequence = first;
    for &day in &days {
        for _ in 0..rng.below(6) + 2 {
            sequence += 1;
            let centre = if rng.below(3) == 0 { two } else { one };
            let state_fee = i64::try_from(rng.below(5)).unwrap() * 1000;
            let service_fee = i64::try_from(rng.below(4)).unwrap() * 250 + 1;
            let reference = rng.reference();
            let tracking = format!("AS-2026-{sequence:06}");
            store
                .create_application(
                    application(
                        &tracking,
                        centre,
                        bill(&reference, Purpose::Fees, state_fee, service_fee, day),
                        day,
                    ),
                    now(day, 9),
                    event("a"),
                )
                .await
                .unwrap();
            bills.push(ModelBill {
                reference,
                centre,
                tracking,
                total: state_fee + service_fee,
                issued: day,
                ..Default::default()
            });
        }
        for b in bills.iter_mut() {
            if b.paid_on.is_some() || b.cancelled_on.is_some() {
                continue;
            }
            match rng.below(10) {
                0..=3 => {
                    let channel = [PaymentChannel::Bank, PaymentChannel::Terminal, PaymentChannel::Online]
                        [usize::try_from(rng.below(3)).unwrap()];
                    let by = match channel {
                        PaymentChannel::Bank => format!("staff:teller{}", rng.below(2)),
                        PaymentChannel::Terminal => "device:9".into(),
                        PaymentChannel::Online => format!("online:{}", b.reference),
                    };
                    store
                        .pay_bill(
                            &b.reference,
                            pay(b.centre, b.total, channel, &by, day),
                            now(day, 11),
                            event("p"),
                        )
                        .await
                        .unwrap();
                    b.paid_on = Some(day);
                }
                4 => {
                    store
                        .act_on_application(
                            &b.tracking,
                            change("reject", Role::Officer, Some("withdrawn"), None, day),
                            now(day, 12),
                            event("a"),
                        )
                        .await
                        .unwrap();
                    b.cancelled_on = Some(day);
                }
                _ => {}
            }
        }
        // Refunds: ask for some on paid bills, decide and execute those pending.
        for (id, index, amount, approved) in std::mem::take(&mut pending) {
            let b = &bills[index];
            if !approved {
                let step = if rng.below(4) == 0 { RefundStep::Decline } else { RefundStep::Approve };
                store.refund_step(id, step, "staff:manager", day, now(day, 13), event("r")).await.unwrap();
                if step == RefundStep::Approve {
                    pending.push((id, index, amount, true));
                } else {
                    bills[index].requested -= amount;
                }
            } else {
                let teller = format!("staff:teller{}", rng.below(2));
                store
                    .refund_step(id, RefundStep::Execute, &teller, day, now(day, 14), event("r"))
                    .await
                    .unwrap();
                executed.push((b.centre, day, amount, teller));
                bills[index].refunded += amount;
            }
        }
        for (i, b) in bills.iter_mut().enumerate() {
            let available = b.total - b.requested;
            if b.paid_on.is_some() && available > 0 && rng.below(5) == 0 {
                let amount = i64::try_from(rng.below(u64::try_from(available).unwrap())).unwrap() + 1;
                let reason = RefundReason::ALL[usize::try_from(rng.below(3)).unwrap()];
                let r = store
                    .request_refund(
                        &b.reference,
                        NewRefund { amount, reason, note: None, requested_by: "staff:officer1".into() },
                        now(day, 15),
                        event("r"),
                    )
                    .await
                    .unwrap();
                b.requested += amount;
                pending.push((r.id, i, amount, false));
            }
        }
    }
    let outstanding = |centre: &str, before_end_of: Option<Date>, start_of: Date| -> i64 {
        // Unpaid, uncancelled amounts of bills issued up to the boundary.
        bills
            .iter()
            .filter(|b| b.centre == centre)
            .filter(|b| match before_end_of {
                Some(d) => {
                    b.issued <= d && b.cancelled_on.is_none_or(|c| c > d) && b.paid_on.is_none_or(|p| p > d)
                }
                None => {
                    b.issued < start_of
                        && b.cancelled_on.is_none_or(|c| c >= start_of)
                        && b.paid_on.is_none_or(|p| p >= start_of)
                }
            })
            .map(|b| b.total)
            .sum()
    };
    let tally = |items: Vec<i64>| Tally { count: items.len() as u64, amount: items.iter().sum() };
    let mut checked = 0;
    for &day in &days {
        for centre in [one, two] {
            let r = store.reconciliation(centre, day).await.unwrap();
            assert!(r.balances(), "seed {seed:#x}: {centre} {day}: {r:?}");
            let ours = bills.iter().filter(|b| b.centre == centre);
            assert_eq!(r.opening_outstanding, outstanding(centre, None, day), "{centre} {day} opening");
            assert_eq!(r.closing_outstanding, outstanding(centre, Some(day), day), "{centre} {day} closing");
            assert_eq!(
                r.issued,
                tally(ours.clone().filter(|b| b.issued == day).map(|b| b.total).collect()),
                "{centre} {day} issued"
            );
            assert_eq!(
                r.paid,
                tally(ours.clone().filter(|b| b.paid_on == Some(day)).map(|b| b.total).collect()),
                "{centre} {day} paid"
            );
            assert_eq!(
                r.cancelled,
                tally(ours.filter(|b| b.cancelled_on == Some(day)).map(|b| b.total).collect()),
                "{centre} {day} cancelled"
            );
            let refunds: Vec<&(&str, Date, i64, String)> =
                executed.iter().filter(|e| e.0 == centre && e.1 == day).collect();
            assert_eq!(r.refunded, tally(refunds.iter().map(|e| e.2).collect()), "{centre} {day} refunded");
            let mut by_teller: BTreeMap<String, i64> = BTreeMap::new();
            for e in &refunds {
                *by_teller.entry(e.3.clone()).or_default() += e.2;
            }
            for (teller, amount) in by_teller {
                let line = r
                    .takers
                    .iter()
                    .find(|t| t.channel == PaymentChannel::Bank && t.taker == teller)
                    .expect("a teller line");
                assert_eq!(line.refunds.amount, amount);
            }
            checked += usize::from(r.issued.count > 0 || r.paid.count > 0);
        }
    }
    assert!(checked > 20, "the random days moved money on most days ({checked})");
    assert!(
        executed.len() > 2 && bills.iter().any(|b| b.cancelled_on.is_some()),
        "refunds and cancellations were played"
    );
}
