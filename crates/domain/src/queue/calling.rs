//! Which ticket a window calls next. The system chooses, never the officer, by the centre's
//! calling rules, among the waiting tickets whose service the window serves:
//!
//! 1. tickets returning to this window (parked, e.g. to pay at the bank section, and back), by
//!    issue time;
//! 2. appointments due: booked time at most [`CallingRules::appointment_grace`] after now,
//!    earliest booked time first;
//! 3. priority groups (disabled people, pregnant women, …), by issue time;
//! 4. everyone else, first come first served.
//!
//! Ties go to the lower ticket id, so the choice is deterministic. A ticket reserved for a window
//! (returning, or transferred there) is called by that window only. An appointment holder who
//! checked in earlier than the grace allows waits as a walk-in (priority or first come) until due.

use jiff::{SignedDuration, Timestamp};

use super::ticket::{PriorityGroup, Ticket, TicketId, TicketState, WindowNumber};
use crate::catalogue::ServiceCode;

/// How long before its booked time an appointment counts as due, by default.
pub const DEFAULT_APPOINTMENT_GRACE: SignedDuration = SignedDuration::from_mins(10);

/// A centre's calling rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingRules {
    /// An appointment is due from this long before its booked time.
    pub appointment_grace: SignedDuration,
}

impl Default for CallingRules {
    fn default() -> CallingRules {
        CallingRules { appointment_grace: DEFAULT_APPOINTMENT_GRACE }
    }
}

/// The window that calls: its number, the services it serves and the centre's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowContext {
    /// The window's number.
    pub number: WindowNumber,
    /// The services rendered there.
    pub services: Vec<ServiceCode>,
    /// The centre's calling rules.
    pub rules: CallingRules,
}

/// A waiting ticket, as the calling rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The ticket.
    pub id: TicketId,
    /// Its service.
    pub service: ServiceCode,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// Its priority group, if any.
    pub priority: Option<PriorityGroup>,
    /// Its booked time, if it checked in an appointment.
    pub appointment: Option<Timestamp>,
    /// The window it is reserved for, if any (returning from being parked, or transferred there).
    pub returning_to: Option<WindowNumber>,
}

impl Candidate {
    /// The candidate for a waiting ticket; `None` if the ticket is not waiting.
    pub fn of(ticket: &Ticket) -> Option<Candidate> {
        (ticket.state == TicketState::Waiting).then(|| Candidate {
            id: ticket.id,
            service: ticket.service.clone(),
            issued_at: ticket.issued_at,
            priority: ticket.priority,
            appointment: ticket.appointment(),
            returning_to: ticket.reserved_for,
        })
    }
}

/// Which rule put a ticket where it is in line; earlier rules are called first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallRule {
    /// Returning to this window.
    Returning,
    /// An appointment due.
    Appointment,
    /// A priority group.
    Priority,
    /// First come, first served.
    FirstCome,
}

impl CallRule {
    /// Every rule, in calling order.
    pub const ALL: [CallRule; 4] =
        [CallRule::Returning, CallRule::Appointment, CallRule::Priority, CallRule::FirstCome];

    /// The rule's name in the audit trail and on the wire, e.g. `first_come`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallRule::Returning => "returning",
            CallRule::Appointment => "appointment",
            CallRule::Priority => "priority",
            CallRule::FirstCome => "first_come",
        }
    }

    /// The rule named `name`, if any.
    pub fn parse(name: &str) -> Option<CallRule> {
        CallRule::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// The ticket a window should call, and the rule that chose it (for the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketRef {
    /// The ticket.
    pub id: TicketId,
    /// Why it is first.
    pub rule: CallRule,
}

/// Whether the window may call the candidate: it serves the service and the candidate is not
/// reserved for another window.
pub fn may_call(window: &WindowContext, candidate: &Candidate) -> bool {
    window.services.contains(&candidate.service) && candidate.returning_to.is_none_or(|w| w == window.number)
}

/// The rule that places `candidate` at `now`.
pub fn rule_of(candidate: &Candidate, now: Timestamp, rules: &CallingRules) -> CallRule {
    if candidate.returning_to.is_some() {
        CallRule::Returning
    } else if candidate.appointment.is_some_and(|at| at <= now + rules.appointment_grace) {
        CallRule::Appointment
    } else if candidate.priority.is_some() {
        CallRule::Priority
    } else {
        CallRule::FirstCome
    }
}

/// The place in line: rule, then the time that orders within the rule, then the id.
fn order_key(candidate: &Candidate, now: Timestamp, rules: &CallingRules) -> (CallRule, Timestamp, TicketId) {
    let rule = rule_of(candidate, now, rules);
    let time = match (rule, candidate.appointment) {
        (CallRule::Appointment, Some(at)) => at,
        _ => candidate.issued_at,
    };
    (rule, time, candidate.id)
}

/// The ticket `window` calls next among `waiting` at `now`, or `None` if it may call none.
pub fn next_ticket(window: &WindowContext, waiting: &[Candidate], now: Timestamp) -> Option<TicketRef> {
    waiting
        .iter()
        .filter(|c| may_call(window, c))
        .map(|c| order_key(c, now, &window.rules))
        .min()
        .map(|(rule, _, id)| TicketRef { id, rule })
}

/// How many of `waiting` would be called before `candidate` for its service at `now`: the same
/// service, earlier in the order above (a ticket reserved for a window counts as ahead).
pub fn people_ahead(
    candidate: &Candidate,
    waiting: &[Candidate],
    now: Timestamp,
    rules: &CallingRules,
) -> usize {
    let mine = order_key(candidate, now, rules);
    waiting
        .iter()
        .filter(|c| c.id != candidate.id && c.service == candidate.service)
        .filter(|c| order_key(c, now, rules) < mine)
        .count()
}

/// The [`people_ahead`] of `candidate` themselves, in the order they would be called.
pub fn line_ahead<'a>(
    candidate: &Candidate,
    waiting: &'a [Candidate],
    now: Timestamp,
    rules: &CallingRules,
) -> Vec<&'a Candidate> {
    let mine = order_key(candidate, now, rules);
    let mut ahead: Vec<((CallRule, Timestamp, TicketId), &Candidate)> = waiting
        .iter()
        .filter(|c| c.id != candidate.id && c.service == candidate.service)
        .map(|c| (order_key(c, now, rules), c))
        .filter(|(key, _)| *key < mine)
        .collect();
    ahead.sort_by_key(|(key, _)| *key);
    ahead.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-03-02T06:00:00Z".parse().unwrap()
    }

    fn at(mins: i64) -> Timestamp {
        t0() + SignedDuration::from_mins(mins)
    }

    fn walk_in(id: i64, service: &str, issued: i64) -> Candidate {
        Candidate {
            id: TicketId(id),
            service: ServiceCode::new(service),
            issued_at: at(issued),
            priority: None,
            appointment: None,
            returning_to: None,
        }
    }

    fn window(number: WindowNumber, services: &[&str]) -> WindowContext {
        WindowContext {
            number,
            services: services.iter().map(|s| ServiceCode::new(*s)).collect(),
            rules: CallingRules::default(),
        }
    }

    fn pick(w: &WindowContext, waiting: &[Candidate], now: i64) -> Option<(i64, CallRule)> {
        next_ticket(w, waiting, at(now)).map(|r| (r.id.0, r.rule))
    }

    #[test]
    fn first_come_first_served_among_served_services() {
        let w = window(5, &["ID"]);
        let waiting = [walk_in(1, "PASSPORT", 0), walk_in(3, "ID", 2), walk_in(2, "ID", 1)];
        assert_eq!(pick(&w, &waiting, 10), Some((2, CallRule::FirstCome)));
        assert_eq!(pick(&window(6, &["CAR"]), &waiting, 10), None);
        assert_eq!(pick(&w, &[], 10), None);
    }

    #[test]
    fn the_order_is_returning_then_appointments_then_priority_then_first_come() {
        let w = window(5, &["ID"]);
        let first = walk_in(1, "ID", 0);
        let pregnant = Candidate { priority: Some(PriorityGroup::Pregnant), ..walk_in(2, "ID", 5) };
        let booked = Candidate { appointment: Some(at(40)), ..walk_in(3, "ID", 8) };
        let back = Candidate { returning_to: Some(5), ..walk_in(4, "ID", 9) };
        let mut waiting = vec![first, pregnant, booked, back];
        assert_eq!(pick(&w, &waiting, 30), Some((4, CallRule::Returning)));
        waiting.retain(|c| c.id.0 != 4);
        // Booked for 40: due from 30 (grace 10), not before.
        assert_eq!(pick(&w, &waiting, 29), Some((2, CallRule::Priority)));
        assert_eq!(pick(&w, &waiting, 30), Some((3, CallRule::Appointment)));
        waiting.retain(|c| c.id.0 != 3);
        assert_eq!(pick(&w, &waiting, 30), Some((2, CallRule::Priority)));
        waiting.retain(|c| c.id.0 != 2);
        assert_eq!(pick(&w, &waiting, 30), Some((1, CallRule::FirstCome)));
    }

    #[test]
    fn appointments_go_by_booked_time_and_priorities_by_issue_time() {
        let w = window(5, &["ID"]);
        let late_booking = Candidate { appointment: Some(at(20)), ..walk_in(1, "ID", 0) };
        let early_booking = Candidate { appointment: Some(at(15)), ..walk_in(2, "ID", 10) };
        assert_eq!(pick(&w, &[late_booking, early_booking], 15), Some((2, CallRule::Appointment)));
        let veteran = Candidate { priority: Some(PriorityGroup::Veteran), ..walk_in(3, "ID", 1) };
        let disabled = Candidate { priority: Some(PriorityGroup::Disabled), ..walk_in(4, "ID", 2) };
        assert_eq!(pick(&w, &[disabled, veteran], 15), Some((3, CallRule::Priority)));
    }

    #[test]
    fn the_grace_is_configurable() {
        let mut w = window(5, &["ID"]);
        w.rules.appointment_grace = SignedDuration::ZERO;
        let waiting = [walk_in(1, "ID", 0), Candidate { appointment: Some(at(40)), ..walk_in(2, "ID", 8) }];
        assert_eq!(pick(&w, &waiting, 39), Some((1, CallRule::FirstCome)));
        assert_eq!(pick(&w, &waiting, 40), Some((2, CallRule::Appointment)));
    }

    #[test]
    fn a_reserved_ticket_is_called_by_its_window_only() {
        let back = Candidate { returning_to: Some(5), ..walk_in(1, "ID", 0) };
        let waiting = [back, walk_in(2, "ID", 1)];
        assert_eq!(pick(&window(5, &["ID"]), &waiting, 10), Some((1, CallRule::Returning)));
        assert_eq!(pick(&window(6, &["ID"]), &waiting, 10), Some((2, CallRule::FirstCome)));
    }

    #[test]
    fn rule_names_read_back() {
        for rule in CallRule::ALL {
            assert_eq!(CallRule::parse(rule.as_str()), Some(rule));
        }
        assert_eq!(CallRule::FirstCome.as_str(), "first_come");
        assert_eq!(CallRule::parse("first come"), None);
        assert!(CallRule::ALL.windows(2).all(|p| p[0] < p[1]));
    }

    #[test]
    fn ties_go_to_the_lower_id() {
        let w = window(5, &["ID"]);
        assert_eq!(pick(&w, &[walk_in(9, "ID", 0), walk_in(4, "ID", 0)], 1), Some((4, CallRule::FirstCome)));
    }

    #[test]
    fn people_ahead_count_the_order() {
        let rules = CallingRules::default();
        let waiting = [
            walk_in(1, "ID", 0),
            walk_in(2, "ID", 1),
            walk_in(3, "PASSPORT", 2),
            Candidate { priority: Some(PriorityGroup::Elderly), ..walk_in(4, "ID", 3) },
        ];
        let me = walk_in(5, "ID", 4);
        assert_eq!(people_ahead(&me, &waiting, at(4), &rules), 3);
        let elderly = Candidate { priority: Some(PriorityGroup::Elderly), ..me.clone() };
        assert_eq!(people_ahead(&elderly, &waiting, at(4), &rules), 1);
        assert_eq!(people_ahead(&waiting[0], &waiting, at(4), &rules), 1);
        // The line itself, in calling order: the elderly walk-in first.
        let ids = |line: Vec<&Candidate>| line.iter().map(|c| c.id.0).collect::<Vec<_>>();
        assert_eq!(ids(line_ahead(&me, &waiting, at(4), &rules)), vec![4, 1, 2]);
        assert_eq!(ids(line_ahead(&elderly, &waiting, at(4), &rules)), vec![4]);
    }

    #[test]
    fn randomised_the_line_is_the_calling_order() {
        let mut rng = Rng(7);
        for round in 0..300 {
            let mut waiting: Vec<Candidate> = (0..12).map(|i| random_candidate(&mut rng, i)).collect();
            for c in &mut waiting {
                c.returning_to = None;
                c.service = ServiceCode::new("ID");
            }
            let now = at(300);
            let rules = CallingRules::default();
            let me = waiting[rng.below(12) as usize].clone();
            let line: Vec<TicketId> = line_ahead(&me, &waiting, now, &rules).iter().map(|c| c.id).collect();
            assert_eq!(line.len(), people_ahead(&me, &waiting, now, &rules), "round {round}");
            // One window calling in turn calls exactly the line, in its order, before `me`.
            let w = window(1, &["ID"]);
            let mut left = waiting.clone();
            let mut called = Vec::new();
            while let Some(r) = next_ticket(&w, &left, now) {
                if r.id == me.id {
                    break;
                }
                called.push(r.id);
                left.retain(|c| c.id != r.id);
            }
            assert_eq!(called, line, "round {round}");
        }
    }

    /// A small xorshift generator, so the randomised tests repeat exactly.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_candidate(rng: &mut Rng, id: i64) -> Candidate {
        let services = ["ID", "PASSPORT", "CAR", "BIRTH"];
        let groups = [
            PriorityGroup::Disabled,
            PriorityGroup::Pregnant,
            PriorityGroup::Elderly,
            PriorityGroup::Veteran,
        ];
        Candidate {
            id: TicketId(id),
            service: ServiceCode::new(services[rng.below(4) as usize]),
            issued_at: at(rng.below(120) as i64),
            priority: (rng.below(4) == 0).then(|| groups[rng.below(4) as usize]),
            appointment: (rng.below(4) == 0).then(|| at(rng.below(240) as i64)),
            returning_to: (rng.below(8) == 0).then(|| 1 + rng.below(3) as u32),
        }
    }

    /// The tier of a candidate, written independently of the code under test.
    fn tier(c: &Candidate, window: WindowNumber, now: Timestamp) -> u8 {
        if c.returning_to == Some(window) {
            0
        } else if c.appointment.is_some_and(|a| a - SignedDuration::from_mins(10) <= now) {
            1
        } else if c.priority.is_some() {
            2
        } else {
            3
        }
    }

    #[test]
    fn randomised_the_choice_is_callable_and_nobody_better_is_skipped() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..2000 {
            let n = rng.below(12) as i64;
            let waiting: Vec<Candidate> =
                (0..n).map(|i| random_candidate(&mut rng, round * 100 + i)).collect();
            let number = 1 + rng.below(3) as u32;
            let services: Vec<&str> =
                ["ID", "PASSPORT", "CAR", "BIRTH"].into_iter().filter(|_| rng.below(2) == 0).collect();
            let w = window(number, &services);
            let now = at(rng.below(240) as i64);
            let callable: Vec<&Candidate> = waiting
                .iter()
                .filter(|c| {
                    services.contains(&c.service.as_str()) && c.returning_to.is_none_or(|r| r == number)
                })
                .collect();
            let Some(chosen) = next_ticket(&w, &waiting, now) else {
                assert!(callable.is_empty(), "round {round}: someone callable was left");
                continue;
            };
            let c = waiting.iter().find(|c| c.id == chosen.id).unwrap();
            assert!(callable.iter().any(|x| x.id == c.id), "round {round}: chose an uncallable ticket");
            let t = tier(c, number, now);
            for other in &callable {
                let o = tier(other, number, now);
                assert!(o >= t, "round {round}: skipped a higher tier");
                if o == t {
                    let time = |x: &Candidate| if t == 1 { x.appointment.unwrap() } else { x.issued_at };
                    assert!(
                        (time(other), other.id) >= (time(c), c.id),
                        "round {round}: skipped an earlier one"
                    );
                }
            }
        }
    }

    #[test]
    fn randomised_calling_in_turn_serves_everyone_once_in_order() {
        let mut rng = Rng(42);
        for round in 0..300 {
            let mut waiting: Vec<Candidate> = (0..10).map(|i| random_candidate(&mut rng, i)).collect();
            for c in &mut waiting {
                c.returning_to = None;
            }
            let w = window(1, &["ID", "PASSPORT", "CAR", "BIRTH"]);
            let now = at(300);
            let mut order = Vec::new();
            while let Some(r) = next_ticket(&w, &waiting, now) {
                order.push(r.rule);
                waiting.retain(|c| c.id != r.id);
            }
            assert!(waiting.is_empty(), "round {round}");
            assert!(order.windows(2).all(|p| p[0] <= p[1]), "round {round}: {order:?}");
        }
    }
}
