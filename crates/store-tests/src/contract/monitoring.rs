//! The contract of monitoring: statistics equal a brute-force recomputation from the raw events,
//! on a random data set, wherever the fold watermark stands; a day is folded once.

use super::{event, new_staff};
use crate::TestDb;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::cases::workflow::Workflows;
use onestop_domain::catalogue::{CentreCode, GroupCode, ServiceCode};
use onestop_domain::feedback::rating::Verdict;
use onestop_domain::identity::Role;
use onestop_domain::monitoring::hist::brute_percentile;
use onestop_domain::monitoring::{Cells, Context, Cuboid, Filter, GroupBy, Grouped, Tally};
use onestop_domain::payments::{PaymentChannel, Purpose, payment_reference};
use onestop_domain::queue::calling::{CallingRules, WindowContext};
use onestop_domain::queue::ticket::{
    Action, ActionName, Origin, ParkReason, ServiceResult, TicketRules, TransferTarget,
};
use onestop_store::cases::{ApplicationChange, NewApplication, NewBill, NewPayment};
use onestop_store::feedback::{RatingFilter, TicketRating};
use onestop_store::monitoring::{StatSpan, catch_up, statistics_by};
use onestop_store::queue::{NewTicket, TicketRecord};
use onestop_store::{Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// xorshift64*: a small deterministic random source.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) % n
    }

    fn secs(&mut self, from: i64, to: i64) -> SignedDuration {
        SignedDuration::from_secs(
            from + i64::try_from(self.below(u64::try_from(to - from).unwrap())).unwrap(),
        )
    }
}

const SERVICES: [(&str, &str, &str, char, i64); 3] =
    [("S1", "P1", "g1", 'A', 300), ("S2", "P1", "g1", 'A', 600), ("S3", "P2", "g2", 'B', 180)];
const DAYS: [Date; 3] = [date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1)];

fn zone(centre: &str) -> TimeZone {
    if centre == "C1" { TimeZone::get("Asia/Baku").unwrap() } else { TimeZone::UTC }
}

fn context() -> Context {
    Context {
        providers: SERVICES.iter().map(|s| (s.0.to_owned(), s.1.to_owned())).collect(),
        norms: SERVICES.iter().map(|s| (s.0.to_owned(), s.4)).collect(),
        zones: [("C1".to_owned(), zone("C1")), ("C2".to_owned(), zone("C2"))].into(),
        default_zone: TimeZone::UTC,
    }
}

/// Who held which window when: (centre, window, login, from, until).
type Occupancy = Vec<(String, u32, String, Timestamp, Option<Timestamp>)>;

fn officer_at(log: &Occupancy, centre: &str, window: u32, at: Timestamp) -> Option<String> {
    log.iter()
        .find(|(c, w, _, from, until)| {
            c == centre && *w == window && *from <= at && until.is_none_or(|u| at < u)
        })
        .map(|(_, _, login, _, _)| login.clone())
}

fn verdict(score: i64) -> Verdict {
    Verdict::parse(score, &[], None).unwrap()
}

/// An application the simulation made, as it stands.
struct RawApplication {
    tracking: String,
    centre: String,
    service: String,
    provider: String,
    officer: String,
    accepted_on: Date,
    deadline_on: Date,
    done_on: Option<Date>,
}

/// A payment the simulation made.
struct RawPayment {
    centre: String,
    service: String,
    provider: String,
    channel: String,
    amount: i64,
    day: Date,
}

/// The applications and payments made so far.
#[derive(Default)]
struct Cases {
    applications: Vec<RawApplication>,
    payments: Vec<RawPayment>,
}

fn reject(today: Date) -> ApplicationChange {
    ApplicationChange {
        workflow: Workflows::builtin().for_service("S1").clone(),
        action: "reject".into(),
        actor: "staff:manager".into(),
        role: Role::CentreManager,
        reason: Some("documents forged".into()),
        key: None,
        today,
        due_on: None,
        message: None,
    }
}

impl Cases {
    /// The officer at the window accepts the documents of ticket `id`: an application and its
    /// fee bill, paid at once half the time and rejected the same day a third of the time.
    #[allow(clippy::too_many_arguments)]
    async fn accept(
        &mut self,
        store: &Arc<dyn Store>,
        rng: &mut Rng,
        ticket: onestop_domain::queue::ticket::TicketId,
        (centre, service, officer): (&str, &str, String),
        day: Date,
        t: Timestamp,
    ) {
        let n = self.applications.len() + 1;
        let tracking = format!("AS-2026-{n:06}");
        let reference = payment_reference(&(n as u64 * 7919).to_le_bytes());
        let deadline_on =
            day.checked_add(jiff::Span::new().days(i64::try_from(rng.below(2)).unwrap())).unwrap();
        let provider = context().provider(service);
        let fee = 500 + i64::try_from(rng.below(3000)).unwrap();
        let bill = NewBill {
            reference: reference.clone(),
            purpose: Purpose::Fees,
            state_fee: fee,
            service_fee: 0,
            currency: "AZN".into(),
            waivers: Vec::new(),
            issued_on: day,
        };
        let new = NewApplication {
            tracking: tracking.clone(),
            centre: centre.into(),
            provider: provider.clone(),
            service: service.into(),
            workflow: Workflows::builtin().for_service("S1").name.clone(),
            initial: ("accepted".into(), Some(day)),
            billed: Some(("awaiting_payment".into(), Some(day))),
            ticket: Some(ticket),
            officer: format!("staff:{officer}"),
            role: Role::Officer,
            applicant_fin: "5ZXC7RT".into(),
            applicant_name: None,
            contact_email: None,
            contact_phone: None,
            lang: "az".into(),
            documents: vec!["ID card".into()],
            accepted_on: day,
            deadline_on,
            bill,
            key: None,
            message: None,
        };
        store.create_application(new, t, event("application.accept")).await.unwrap();
        let mut raw = RawApplication {
            tracking: tracking.clone(),
            centre: centre.into(),
            service: service.into(),
            provider: provider.clone(),
            officer,
            accepted_on: day,
            deadline_on,
            done_on: None,
        };
        if rng.below(2) == 0 {
            let channel = PaymentChannel::ALL[usize::try_from(rng.below(3)).unwrap()];
            let payment = NewPayment {
                amount: fee,
                currency: "AZN".into(),
                channel,
                centre: centre.into(),
                taken_by: "staff:teller".into(),
                on_day: day,
                message: None,
            };
            store.pay_bill(&reference, payment, t, event("bill.pay")).await.unwrap();
            self.payments.push(RawPayment {
                centre: centre.into(),
                service: service.into(),
                provider,
                channel: channel.as_str().into(),
                amount: fee,
                day,
            });
        }
        if rng.below(3) == 0 {
            store.act_on_application(&tracking, reject(day), t, event("application.reject")).await.unwrap();
            raw.done_on = Some(day);
        }
        self.applications.push(raw);
    }

    /// Rejects about half the applications of `centre` still open, on `day` (some after their
    /// deadline).
    async fn close_some(
        &mut self,
        store: &Arc<dyn Store>,
        rng: &mut Rng,
        centre: &str,
        day: Date,
        t: Timestamp,
    ) {
        for a in self.applications.iter_mut().filter(|a| a.centre == centre && a.done_on.is_none()) {
            if rng.below(2) == 0 {
                store
                    .act_on_application(&a.tracking, reject(day), t, event("application.reject"))
                    .await
                    .unwrap();
                a.done_on = Some(day);
            }
        }
    }
}

/// One centre's queue day, driven at random through the store: issues, calls, no-shows,
/// transfers, parking and returns, services, ratings, exit polls and officers changing windows;
/// then the day's close.
async fn simulate_day(
    store: &Arc<dyn Store>,
    rng: &mut Rng,
    code: &str,
    day: Date,
    staff: &mut Staff,
    cases: &mut Cases,
) {
    let centre = CentreCode::new(code);
    let rules = TicketRules::default();
    let all: Vec<ServiceCode> = SERVICES.iter().map(|s| ServiceCode::new(s.0)).collect();
    let mut t = day.at(9, 0, 0, 0).to_zoned(zone(code)).unwrap().timestamp();
    cases.close_some(store, rng, code, day, t).await;
    for _ in 0..34 {
        t += rng.secs(30, 300);
        match rng.below(100) {
            0..45 => {
                let (service, _, group, prefix, _) = SERVICES[usize::try_from(rng.below(3)).unwrap()];
                let origin = match rng.below(3) {
                    0 => Origin::InfoDesk,
                    1 => Origin::Kiosk,
                    _ => Origin::Appointment { at: t },
                };
                let new = NewTicket {
                    centre: centre.clone(),
                    service: ServiceCode::new(service),
                    group: GroupCode::new(group),
                    prefix,
                    day,
                    origin,
                    priority: None,
                    holder: None,
                };
                store.issue_ticket(new, t, event("ticket.issue")).await.unwrap();
            }
            45..90 => {
                let number = u32::try_from(1 + rng.below(2)).unwrap();
                let w = WindowContext { number, services: all.clone(), rules: CallingRules::default() };
                let called = store.call_next(&centre, day, &w, rules, t, event("ticket.call")).await.unwrap();
                let Some(called) = called else { continue };
                let id = called.ticket.ticket.id;
                let act = |action: Action, at: Timestamp, window: Option<u32>| {
                    let store = Arc::clone(store);
                    let centre = centre.clone();
                    async move {
                        store
                            .act(&centre, id, window, action, rules.into(), at, event("ticket.act"))
                            .await
                            .unwrap()
                    }
                };
                match rng.below(100) {
                    0..10 => {
                        t += rng.secs(10, 120);
                        act(Action::NoShow, t, Some(number)).await;
                    }
                    10..20 => {
                        t += rng.secs(30, 200);
                        let to = TransferTarget::Service(ServiceCode::new("S3"));
                        act(Action::Transfer { to }, t, Some(number)).await;
                    }
                    20..30 => {
                        t += rng.secs(5, 60);
                        act(Action::Start, t, Some(number)).await;
                        t += rng.secs(60, 400);
                        act(Action::Park { reason: ParkReason::Payment }, t, Some(number)).await;
                        t += rng.secs(60, 600);
                        act(Action::Return, t, None).await;
                    }
                    30..36 => {} // left called: the close ends it
                    _ => {
                        t += rng.secs(5, 60);
                        act(Action::Start, t, Some(number)).await;
                        t += rng.secs(60, 1500);
                        let result = if rng.below(8) == 0 {
                            ServiceResult::NotServed { reason: "documents".into() }
                        } else {
                            ServiceResult::Served
                        };
                        let served = result == ServiceResult::Served;
                        act(Action::Finish { result }, t, Some(number)).await;
                        if served && rng.below(2) == 0 {
                            t += rng.secs(1, 10);
                            let officer = officer_at(&staff.log, code, number, t).unwrap();
                            let service = called.ticket.ticket.service.as_str().to_owned();
                            cases.accept(store, rng, id, (code, &service, officer), day, t).await;
                        }
                        if rng.below(2) == 0 {
                            t += rng.secs(2, 30);
                            let provider = context().provider(called.ticket.ticket.service.as_str());
                            let score = i64::try_from(1 + rng.below(5)).unwrap();
                            let rating = TicketRating {
                                centre: centre.clone(),
                                window: number,
                                ticket: id,
                                provider,
                                verdict: verdict(score),
                            };
                            store.rate_ticket(rating, t, event("rating.give")).await.unwrap();
                        }
                    }
                }
            }
            90..95 => {
                let score = i64::try_from(1 + rng.below(5)).unwrap();
                store.rate_visit(&centre, verdict(score), t, event("rating.exit_poll")).await.unwrap();
            }
            _ => staff.swap(store, code, t).await,
        }
    }
    t += rng.secs(60, 600);
    store.close_day(&centre, day, t, event("queue.close_day")).await.unwrap();
}

/// The officers: two windows per centre, and a relief officer per centre who takes window 1 in turns.
struct Staff {
    ids: BTreeMap<String, i64>,
    /// (centre, window 1's officer now, the one off).
    turns: BTreeMap<String, (String, String)>,
    log: Occupancy,
}

impl Staff {
    async fn hire(store: &Arc<dyn Store>) -> Staff {
        let mut staff = Staff { ids: BTreeMap::new(), turns: BTreeMap::new(), log: Vec::new() };
        let t0 = "2026-03-29T00:00:00Z".parse().unwrap();
        for (centre, logins) in
            [("C1", ["ali", "vugar", "relief.c1"]), ("C2", ["leyla", "nigar", "relief.c2"])]
        {
            for login in logins {
                let s = new_staff(login, Role::Officer, Some(centre), Some("P1"), None);
                let id = store.create_staff(&s, t0, event("staff.create")).await.unwrap().id;
                staff.ids.insert(login.to_owned(), id);
            }
            for (window, login) in [(1, logins[0]), (2, logins[1])] {
                let c = CentreCode::new(centre);
                store
                    .open_window(&c, window, staff.ids[login], login, t0, event("window.sign_in"))
                    .await
                    .unwrap();
                staff.log.push((centre.to_owned(), window, login.to_owned(), t0, None));
            }
            staff.turns.insert(centre.to_owned(), (logins[0].to_owned(), logins[2].to_owned()));
        }
        staff
    }

    async fn swap(&mut self, store: &Arc<dyn Store>, centre: &str, t: Timestamp) {
        let (on, off) = self.turns[centre].clone();
        let c = CentreCode::new(centre);
        store.close_window(&c, self.ids[&on], t, event("window.sign_out")).await.unwrap();
        store.open_window(&c, 1, self.ids[&off], &off, t, event("window.sign_in")).await.unwrap();
        if let Some(entry) = self.log.iter_mut().find(|e| e.0 == centre && e.2 == on && e.4.is_none()) {
            entry.4 = Some(t);
        }
        self.log.push((centre.to_owned(), 1, off.clone(), t, None));
        self.turns.insert(centre.to_owned(), (off, on));
    }
}

/// A ticket's figures, computed here from its record and steps, independently of the rollups.
struct RawTicket {
    centre: String,
    day: Date,
    service: String,
    provider: String,
    origin: String,
    hour: i64,
    officer: Option<String>,
    visit: bool,
    called: bool,
    outcome: String,
    wait: Option<i64>,
    service_secs: Option<i64>,
    over_norm: bool,
}

struct RawRating {
    centre: String,
    day: Date,
    service: String,
    provider: String,
    channel: String,
    officer: Option<String>,
    score: u64,
}

fn raw_ticket(rec: &TicketRecord, log: &Occupancy) -> RawTicket {
    let t = &rec.ticket;
    let centre = t.centre.as_str().to_owned();
    let called = t.steps.iter().any(|s| s.action == ActionName::Call);
    let visit = t.follows.is_none();
    let outcome = t.outcome().map(|o| o.name().to_owned()).unwrap_or_default();
    let finished = outcome == "served" || outcome == "not_served";
    let service_secs = if finished { t.service_time().map(|d| d.as_secs()) } else { None };
    let norm = SERVICES.iter().find(|s| s.0 == t.service.as_str()).map(|s| s.4).unwrap();
    let last_at_window = t
        .steps
        .iter()
        .rev()
        .find(|s| s.window.is_some() && !matches!(s.action, ActionName::CloseDay | ActionName::Return));
    RawTicket {
        officer: last_at_window.and_then(|s| officer_at(log, &centre, s.window.unwrap(), s.at)),
        hour: i64::from(t.issued_at.to_zoned(zone(&centre)).hour()),
        day: rec.day,
        service: t.service.as_str().to_owned(),
        provider: context().provider(t.service.as_str()),
        origin: t.origin.kind().to_owned(),
        wait: if visit && called { t.waited().map(|d| d.as_secs()) } else { None },
        over_norm: service_secs.is_some_and(|s| s > norm),
        service_secs,
        visit,
        called,
        outcome,
        centre,
    }
}

/// What the comparison looks at: every count, and the waits' and service times' number, sum and
/// percentiles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Figures {
    counts: Vec<u64>,
    waits: (u64, i64, Option<i64>, Option<i64>),
    services: (u64, i64, Option<i64>, Option<i64>),
}

fn figures_of(t: &Tally) -> Figures {
    Figures {
        counts: vec![
            t.tickets,
            t.visits,
            t.called,
            t.served,
            t.not_served,
            t.no_show,
            t.transferred,
            t.abandoned,
            t.closed,
            t.over_norm,
            t.ratings,
            t.rating_sum,
            t.satisfied,
            t.accepted,
            t.finished,
            t.on_time,
            t.payments,
            u64::try_from(t.paid).unwrap(),
            u64::try_from(t.refunded).unwrap(),
        ],
        waits: (t.wait.n, t.wait.sum_secs, t.wait.percentile(50), t.wait.percentile(90)),
        services: (t.service.n, t.service.sum_secs, t.service.percentile(50), t.service.percentile(90)),
    }
}

#[derive(Default)]
struct Brute {
    counts: [u64; 19],
    waits: Vec<i64>,
    services: Vec<i64>,
}

impl Brute {
    fn figures(&self) -> Figures {
        let sum = |v: &Vec<i64>| v.iter().sum::<i64>();
        let n = |v: &Vec<i64>| u64::try_from(v.len()).unwrap();
        Figures {
            counts: self.counts.to_vec(),
            waits: (
                n(&self.waits),
                sum(&self.waits),
                brute_percentile(&self.waits, 50),
                brute_percentile(&self.waits, 90),
            ),
            services: (
                n(&self.services),
                sum(&self.services),
                brute_percentile(&self.services, 50),
                brute_percentile(&self.services, 90),
            ),
        }
    }
}

fn group_of(
    by: GroupBy,
    day: Date,
    centre: &str,
    service: &str,
    provider: &str,
    dims: (&str, i64, &str, &str),
) -> String {
    let (origin, hour, officer, channel) = dims;
    let weekday = day.weekday().to_monday_one_offset();
    match by {
        GroupBy::Total => String::new(),
        GroupBy::Centre => centre.into(),
        GroupBy::Service => service.into(),
        GroupBy::Provider => provider.into(),
        GroupBy::Origin => origin.into(),
        GroupBy::Hour => format!("{hour:02}"),
        GroupBy::Officer => officer.into(),
        GroupBy::Channel => channel.into(),
        GroupBy::Day => day.to_string(),
        GroupBy::Weekday => weekday.to_string(),
        GroupBy::WeekdayHour => format!("{weekday}-{hour:02}"),
        GroupBy::Month => format!("{:04}-{:02}", day.year(), day.month()),
        GroupBy::OfficerService => format!("{officer}|{service}"),
        GroupBy::ServiceOrigin => format!("{service}|{origin}"),
    }
}

fn brute_force(
    q: &StatQuery,
    tickets: &[RawTicket],
    ratings: &[RawRating],
    cases: &Cases,
) -> BTreeMap<String, Figures> {
    let f = &q.filter;
    let admits = |centre: &str, provider: &str, service: &str, officer: &str| {
        f.centre.as_deref().is_none_or(|x| x == centre)
            && f.provider.as_deref().is_none_or(|x| x == provider)
            && f.service.as_deref().is_none_or(|x| x == service)
            && f.officer.as_deref().is_none_or(|x| x == officer)
    };
    let mut out: BTreeMap<String, Brute> = BTreeMap::new();
    if q.cuboid == Cuboid::Applications {
        for a in &cases.applications {
            if !admits(&a.centre, &a.provider, &a.service, &a.officer) {
                continue;
            }
            let dims = ("", -1, a.officer.as_str(), "");
            if q.from <= a.accepted_on && a.accepted_on <= q.to {
                let key = group_of(q.by, a.accepted_on, &a.centre, &a.service, &a.provider, dims);
                out.entry(key).or_default().counts[13] += 1;
            }
            if let Some(done) = a.done_on.filter(|d| q.from <= *d && *d <= q.to) {
                let key = group_of(q.by, done, &a.centre, &a.service, &a.provider, dims);
                let b = out.entry(key).or_default();
                b.counts[14] += 1;
                b.counts[15] += u64::from(done <= a.deadline_on);
            }
        }
    }
    if q.cuboid == Cuboid::Payments {
        for p in cases.payments.iter().filter(|p| q.from <= p.day && p.day <= q.to) {
            if !admits(&p.centre, &p.provider, &p.service, "") {
                continue;
            }
            let key = group_of(q.by, p.day, &p.centre, &p.service, &p.provider, ("", -1, "", &p.channel));
            let b = out.entry(key).or_default();
            b.counts[16] += 1;
            b.counts[17] += u64::try_from(p.amount).unwrap();
        }
    }
    if matches!(q.cuboid, Cuboid::Flow | Cuboid::Hours | Cuboid::Officers) {
        for t in tickets.iter().filter(|t| q.from <= t.day && t.day <= q.to) {
            let officer = t.officer.clone().unwrap_or_default();
            if q.cuboid == Cuboid::Officers && t.officer.is_none() {
                continue;
            }
            let (origin, hour) = match q.cuboid {
                Cuboid::Flow => (t.origin.as_str(), -1),
                Cuboid::Hours => ("", t.hour),
                _ => ("", -1),
            };
            let officer_dim = if q.cuboid == Cuboid::Officers { officer.as_str() } else { "" };
            if !admits(&t.centre, &t.provider, &t.service, officer_dim) {
                continue;
            }
            let key =
                group_of(q.by, t.day, &t.centre, &t.service, &t.provider, (origin, hour, officer_dim, ""));
            let b = out.entry(key).or_default();
            let o = t.outcome.as_str();
            for (slot, yes) in [
                (0, true),
                (1, t.visit),
                (2, t.called),
                (3, o == "served"),
                (4, o == "not_served"),
                (5, o == "no_show"),
                (6, o == "transferred"),
                (7, o == "centre_closed" && !t.called),
                (8, o == "centre_closed" && t.called),
                (9, t.over_norm),
            ] {
                b.counts[slot] += u64::from(yes);
            }
            b.waits.extend(t.wait);
            b.services.extend(t.service_secs);
        }
    }
    if matches!(q.cuboid, Cuboid::Ratings | Cuboid::Officers) {
        for r in ratings.iter().filter(|r| q.from <= r.day && r.day <= q.to) {
            if q.cuboid == Cuboid::Officers && r.officer.is_none() {
                continue;
            }
            let officer = if q.cuboid == Cuboid::Officers {
                r.officer.clone().unwrap_or_default()
            } else {
                String::new()
            };
            let channel = if q.cuboid == Cuboid::Ratings { r.channel.as_str() } else { "" };
            if !admits(&r.centre, &r.provider, &r.service, &officer) {
                continue;
            }
            let key = group_of(q.by, r.day, &r.centre, &r.service, &r.provider, ("", -1, &officer, channel));
            let b = out.entry(key).or_default();
            b.counts[10] += 1;
            b.counts[11] += r.score;
            b.counts[12] += u64::from(r.score >= 4);
        }
    }
    out.into_iter().map(|(k, b)| (k, b.figures())).collect()
}

/// A query of the check: one cuboid over some days, grouped one way.
#[derive(Debug, Clone)]
struct StatQuery {
    cuboid: Cuboid,
    from: Date,
    to: Date,
    filter: Filter,
    by: GroupBy,
    durations: bool,
}

impl StatQuery {
    fn span(&self) -> StatSpan {
        StatSpan { from: self.from, to: self.to, filter: self.filter.clone(), durations: self.durations }
    }
}

/// `q` answered alone by [`statistics_by`].
async fn statistics(
    store: &dyn Store,
    ctx: &Context,
    centres: &[String],
    q: &StatQuery,
    today: Date,
) -> Grouped {
    let mut answers =
        statistics_by(store, ctx, centres, &q.span(), &[(q.cuboid, q.by)], today).await.unwrap();
    assert_eq!(answers.len(), 1);
    answers.pop().unwrap()
}

/// Every query of the check: each cuboid by each of its groupings, under several filters, over
/// ranges that take month cells, day cells or both.
fn queries() -> Vec<StatQuery> {
    let filters = [
        Filter::default(),
        Filter { centre: Some("C1".into()), ..Filter::default() },
        Filter { provider: Some("P1".into()), service: Some("S2".into()), ..Filter::default() },
        Filter { officer: Some("ali".into()), ..Filter::default() },
    ];
    let ranges = [
        (date(2026, 3, 1), date(2026, 4, 30)),
        (date(2026, 3, 31), date(2026, 4, 1)),
        (date(2026, 3, 1), date(2026, 3, 30)),
    ];
    let mut out = Vec::new();
    for cuboid in Cuboid::ALL {
        for by in GroupBy::ALL.into_iter().filter(|b| cuboid.groups_by(*b)) {
            for (i, filter) in filters.iter().enumerate() {
                if filter.officer.is_some() && !matches!(cuboid, Cuboid::Officers | Cuboid::Applications) {
                    continue;
                }
                let (from, to) = ranges[(i + by as usize) % ranges.len()];
                out.push(StatQuery { cuboid, from, to, filter: filter.clone(), by, durations: true });
            }
        }
    }
    out
}

async fn check_all(
    store: &Arc<dyn Store>,
    tickets: &[RawTicket],
    ratings: &[RawRating],
    cases: &Cases,
    stage: &str,
) {
    let ctx = context();
    let centres = vec!["C1".to_owned(), "C2".to_owned()];
    let today = date(2026, 4, 2);
    let mut groups = 0;
    for q in queries() {
        let full = statistics(store.as_ref(), &ctx, &centres, &q, today).await;
        // Without durations: the same counts, and no waits or service times.
        let counts = StatQuery { durations: false, ..q.clone() };
        let counts = statistics(store.as_ref(), &ctx, &centres, &counts, today).await;
        let mut stripped = full.clone();
        for t in stripped.values_mut() {
            (t.wait, t.service) = Default::default();
        }
        assert_eq!(counts, stripped, "{stage}: {q:?} without durations");
        let got: BTreeMap<String, Figures> = full.iter().map(|(k, t)| (k.clone(), figures_of(t))).collect();
        let want = brute_force(&q, tickets, ratings, cases);
        assert_eq!(got, want, "{stage}: {q:?}");
        groups += want.len();
    }
    assert!(groups > 150, "{stage}: the check compared only {groups} groups");
    // Every grouping of every cuboid at once, from one read of each, answers as each alone.
    for q in queries().into_iter().filter(|q| q.by == GroupBy::Total && q.cuboid == Cuboid::Flow) {
        let wants: Vec<(Cuboid, GroupBy)> = Cuboid::ALL
            .into_iter()
            .flat_map(|c| GroupBy::ALL.into_iter().filter(move |b| c.groups_by(*b)).map(move |b| (c, b)))
            .collect();
        let got = statistics_by(store.as_ref(), &ctx, &centres, &q.span(), &wants, today).await.unwrap();
        assert_eq!(got.len(), wants.len());
        for ((cuboid, by), got) in wants.iter().zip(got) {
            let got: BTreeMap<String, Figures> =
                got.iter().map(|(k, t)| (k.clone(), figures_of(t))).collect();
            let alone = StatQuery { cuboid: *cuboid, by: *by, ..q.clone() };
            assert_eq!(
                got,
                brute_force(&alone, tickets, ratings, cases),
                "{stage}: {alone:?} with the others"
            );
        }
    }
}

/// Statistics over any period, by any grouping, under any filter, equal a brute-force pass over
/// the raw tickets, steps and ratings of a random data set — before any day is folded, with some
/// folded, and with all folded; a day is folded once.
pub async fn statistics_equal_a_brute_force_recomputation(db: &TestDb) {
    let store = db.store().await;
    let mut staff = Staff::hire(&store).await;
    let mut cases = Cases::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(db.url.len() as u32));
    for day in DAYS {
        for centre in ["C1", "C2"] {
            simulate_day(&store, &mut rng, centre, day, &mut staff, &mut cases).await;
        }
    }
    let mut tickets = Vec::new();
    for day in DAYS {
        for centre in ["C1", "C2"] {
            for rec in store.day_tickets(&CentreCode::new(centre), day).await.unwrap() {
                tickets.push(raw_ticket(&rec, &staff.log));
            }
        }
    }
    let ratings: Vec<RawRating> = store
        .ratings(&RatingFilter::default(), 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let centre = r.centre.as_str().to_owned();
            RawRating {
                day: r.at.to_zoned(zone(&centre)).date(),
                service: r.service.unwrap_or_default(),
                provider: r.provider.unwrap_or_default(),
                channel: r.channel.as_str().to_owned(),
                officer: r.officer,
                score: u64::from(r.verdict.score.value()),
                centre,
            }
        })
        .collect();
    let outcomes = |name: &str| tickets.iter().filter(|t| t.outcome == name).count();
    assert!(tickets.len() > 60 && ratings.len() > 15, "{} tickets, {} ratings", tickets.len(), ratings.len());
    for name in ["served", "not_served", "no_show", "transferred", "centre_closed"] {
        assert!(outcomes(name) > 0, "no ticket ended {name}");
    }
    assert!(tickets.iter().any(|t| t.officer.as_deref() == Some("relief.c1")), "no relief officer served");
    let done = |late: bool| {
        cases.applications.iter().filter(|a| a.done_on.is_some_and(|d| (d > a.deadline_on) == late)).count()
    };
    assert!(done(false) > 0 && done(true) > 0, "applications finished on time and late");
    assert!(cases.payments.len() > 3, "{} payments", cases.payments.len());

    check_all(&store, &tickets, &ratings, &cases, "nothing folded").await;
    // Applications still open past their deadline, read from the open ones.
    let today = date(2026, 4, 2);
    let mut open: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for a in cases.applications.iter().filter(|a| a.done_on.is_none() && a.deadline_on < today) {
        *open.entry((a.centre.clone(), a.service.clone(), a.provider.clone())).or_default() += 1;
    }
    let read: BTreeMap<(String, String, String), u64> = store
        .overdue_applications(today)
        .await
        .unwrap()
        .into_iter()
        .map(|(c, s, p, n)| ((c, s, p), n))
        .collect();
    assert_eq!(read, open);

    let ctx = context();
    let centres = vec!["C1".to_owned(), "C2".to_owned()];
    let grace = SignedDuration::from_mins(30);
    // Just after the first day is over in Baku (and before it is in UTC): only C1's first day.
    let early: Timestamp = "2026-03-30T20:31:00Z".parse().unwrap();
    let report = catch_up(store.as_ref(), &ctx, &centres, early, grace, 100).await.unwrap();
    assert_eq!(report.days, 1, "{report:?}");
    assert_eq!(store.fold_watermarks().await.unwrap(), [("C1".to_owned(), DAYS[0])].into());
    check_all(&store, &tickets, &ratings, &cases, "one day folded").await;

    // A day is folded once: again refused, and the rollups unchanged.
    let again = store.fold_day("C1", DAYS[0], &Cells::new(), early).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let late: Timestamp = "2026-04-02T12:00:00Z".parse().unwrap();
    let report = catch_up(store.as_ref(), &ctx, &centres, late, grace, 100).await.unwrap();
    assert_eq!(report.days, 5, "{report:?}");
    assert!(report.waiting.is_empty());
    let folded = store.fold_watermarks().await.unwrap();
    assert_eq!(folded, [("C1".to_owned(), DAYS[2]), ("C2".to_owned(), DAYS[2])].into());
    check_all(&store, &tickets, &ratings, &cases, "all folded").await;
    // Nothing more to fold.
    let report = catch_up(store.as_ref(), &ctx, &centres, late, grace, 100).await.unwrap();
    assert_eq!(report.days, 0);
}

/// The monitoring department's records: complaint verdicts and tallies, refusals per actor,
/// appraisal comments, the Index's manual inputs and scores, and produced reports.
pub async fn assessment_records_are_kept(db: &TestDb) {
    use onestop_domain::feedback::complaint::{Category, Channel, Contact, Subject, SubjectKind};
    use onestop_store::complaints::NewComplaint;
    use onestop_store::monitoring::{IndexInput, IndexScore, NewAppraisalComment, NewReport};
    let store = db.store().await;
    let now: Timestamp = "2026-11-10T09:00:00Z".parse().unwrap();
    for (reference, kind, code, category, due) in [
        ("FB-2222-2222", SubjectKind::Officer, "ali", Category::StaffConduct, date(2026, 11, 5)),
        ("FB-3333-3333", SubjectKind::Officer, "ali", Category::StaffConduct, date(2026, 11, 20)),
        ("FB-4444-4444", SubjectKind::Service, "S1", Category::WaitingTime, date(2026, 11, 20)),
    ] {
        let new = NewComplaint {
            reference: reference.into(),
            channel: Channel::Web,
            category,
            subject: Subject { kind, code: code.into() },
            centre: None,
            text: "Rude".into(),
            contact: Contact { name: None, email: Some("a@b.az".into()), phone: None, address: None },
            entered_by: None,
            received_on: date(2026, 11, 1),
            due_on: due,
            lang: "az".into(),
            message: None,
        };
        store.register_complaint(new, now, event("complaint.register")).await.unwrap();
    }
    store
        .set_complaint_verdict("FB-2222-2222", false, "analyst", now, event("complaint.verdict"))
        .await
        .unwrap();
    store
        .set_complaint_verdict("FB-2222-2222", true, "analyst", now, event("complaint.verdict"))
        .await
        .unwrap();
    let missing = store.set_complaint_verdict("FB-9999-9999", true, "analyst", now, event("x")).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
    let end = now + SignedDuration::from_hours(1);
    let tallies = store.complaint_tallies(now, end, date(2026, 11, 10)).await.unwrap();
    let ali: Vec<_> = tallies.iter().filter(|t| t.subject_code == "ali").collect();
    assert_eq!(ali.len(), 1);
    assert_eq!((ali[0].received, ali[0].upheld, ali[0].overdue, ali[0].on_time), (2, 1, 1, 0));
    assert_eq!(tallies.iter().map(|t| t.received).sum::<u64>(), 3);
    assert!(store.complaint_tallies(end, end, date(2026, 11, 10)).await.unwrap().is_empty());

    store.append_audit(event("access.refused").refused()).await.unwrap();
    // The test events are dated 2026-11-28 09:00.
    let day_of_events = "2026-11-28T00:00:00Z".parse::<Timestamp>().unwrap();
    let refusals =
        store.refusals_by_actor(day_of_events, day_of_events + SignedDuration::from_hours(24)).await.unwrap();
    assert_eq!(refusals.get("cli:root"), Some(&1));

    for (period, body) in [("2026-10", "Good month"), ("2026-11", "Ağır ay — тяжёлый")] {
        let c = NewAppraisalComment {
            officer: "ali".into(),
            period: period.into(),
            author: "manager".into(),
            body: body.into(),
        };
        store.add_appraisal_comment(&c, now, event("appraisal.comment")).await.unwrap();
    }
    let comments = store.appraisal_comments("ali").await.unwrap();
    assert_eq!(
        comments.iter().map(|c| c.comment.period.as_str()).collect::<Vec<_>>(),
        ["2026-11", "2026-10"]
    );
    assert_eq!(comments[0].at, now);
    assert!(store.appraisal_comments("vugar").await.unwrap().is_empty());

    let input = IndexInput {
        quarter: "2026-Q4".into(),
        provider: "P1".into(),
        training_tenths: 125,
        entered_by: "a".into(),
    };
    store.put_index_input(&input, now, event("index.input")).await.unwrap();
    let input = IndexInput { training_tenths: 80, ..input };
    store.put_index_input(&input, now, event("index.input")).await.unwrap();
    assert_eq!(store.index_inputs("2026-Q4").await.unwrap(), [input]);
    let score = |service: &str, total| IndexScore {
        quarter: "2026-Q4".into(),
        service: service.into(),
        provider: "P1".into(),
        methodology: "asan-index/1".into(),
        scores: [1000, 500, 250, 0, 1000, 900, total],
        breakdown: r#"{"a":1}"#.into(),
        computed_at: now,
    };
    store.put_index_scores("2026-Q4", &[score("S1", 600), score("S2", 700)]).await.unwrap();
    store.put_index_scores("2026-Q4", &[score("S1", 650)]).await.unwrap();
    assert_eq!(store.index_scores(Some("2026-Q4")).await.unwrap(), [score("S1", 650)]);
    assert_eq!(store.index_scores(None).await.unwrap().len(), 1);
    assert!(store.index_scores(Some("2026-Q3")).await.unwrap().is_empty());

    let report = NewReport {
        period: "2026-10".into(),
        scope: String::new(),
        format: "pdf".into(),
        body: vec![1, 2, 3],
    };
    let id = store.put_report(&report, now).await.unwrap();
    let again = store.put_report(&NewReport { body: vec![9; 5], ..report }, end).await.unwrap();
    assert_eq!(id, again, "one report per period, scope and format");
    let list = store.reports().await.unwrap();
    assert_eq!((list.len(), list[0].size, list[0].generated_at), (1, 5, end));
    assert_eq!(store.report(id).await.unwrap().unwrap().1, vec![9; 5]);
    assert!(store.report(id + 100).await.unwrap().is_none());
}
