//! The public queue statistics of a centre (case study §2.5, "queue statistics"): per service,
//! people waiting now, served today, the median wait today, the predicted wait of a newcomer and
//! the open windows; and, for one waiting ticket, the people ahead and its predicted wait.
//!
//! Everything is computed from values passed in: the day's tickets of the centre, the windows
//! with an officer signed in (and the services each serves) and the service's model from its recent
//! calls — mean service time and give-ups (see [`ServiceModel`]). The wait is predicted by
//! [`predict_wait`] with the people ahead in calling order
//! ([`calling::line_ahead`](super::calling::line_ahead)), each with how long they have waited (tickets
//! returning to a window or handed on by another window count as present), and the busy windows:
//! open windows serving the service that have a ticket called to them or being served there. No
//! personal data is read.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use super::calling::{CallingRules, Candidate, line_ahead};
use super::predict::{Ahead, ServiceModel, WaitContext, predict_wait};
use super::ticket::{Outcome, Ticket, TicketId, TicketState, WindowNumber};
use crate::catalogue::ServiceCode;

/// A window with an officer signed in, and the services it serves (from the catalogue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWindow {
    /// The window's number.
    pub number: WindowNumber,
    /// The services rendered there.
    pub services: Vec<ServiceCode>,
}

/// A service's statistics at a centre today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStats {
    /// The service.
    pub service: ServiceCode,
    /// Tickets waiting now.
    pub waiting: usize,
    /// Tickets served today (outcome "served").
    pub served_today: usize,
    /// The median wait from issue to first call of the tickets called today (follow-on tickets of
    /// transfers left out: their wait began at another window); `None` before the first call.
    pub median_wait: Option<SignedDuration>,
    /// The predicted wait of a ticket issued now without priority; `None` with no open window.
    pub predicted_wait: Option<SignedDuration>,
    /// Open windows serving the service.
    pub open_windows: usize,
}

/// Where a waiting ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketWait {
    /// People called before it, in calling order.
    pub ahead: usize,
    /// The predicted wait until called; `None` with no open window serving its service.
    pub predicted_wait: Option<SignedDuration>,
}

/// A centre's queue on one day, at one moment.
#[derive(Debug, Clone, Copy)]
pub struct CentreDay<'a> {
    /// Every ticket of the centre issued that day.
    pub tickets: &'a [Ticket],
    /// The windows with an officer signed in.
    pub open_windows: &'a [OpenWindow],
    /// The centre's calling rules.
    pub rules: CallingRules,
    /// Now.
    pub now: Timestamp,
}

/// The id no stored ticket has, for the hypothetical newcomer.
const NEWCOMER: TicketId = TicketId(i64::MAX);

impl CentreDay<'_> {
    fn waiting(&self) -> Vec<Candidate> {
        self.tickets.iter().filter_map(Candidate::of).collect()
    }

    /// Open windows serving `service`.
    pub fn open_windows_for(&self, service: &ServiceCode) -> usize {
        self.open_windows.iter().filter(|w| w.services.contains(service)).count()
    }

    /// Open windows serving `service` with a ticket called to them or being served there.
    pub fn busy_windows_for(&self, service: &ServiceCode) -> usize {
        let occupied: BTreeSet<WindowNumber> = self
            .tickets
            .iter()
            .filter_map(|t| match t.state {
                TicketState::Called { window, .. } | TicketState::Serving { window, .. } => Some(window),
                _ => None,
            })
            .collect();
        self.open_windows
            .iter()
            .filter(|w| w.services.contains(service) && occupied.contains(&w.number))
            .count()
    }

    /// The people ahead of `me` among `waiting`, in calling order, as the predictor sees them.
    fn line(&self, me: &Candidate, waiting: &[Candidate]) -> Vec<Ahead> {
        let handed_on: BTreeSet<TicketId> =
            self.tickets.iter().filter(|t| t.follows.is_some()).map(|t| t.id).collect();
        line_ahead(me, waiting, self.now, &self.rules)
            .into_iter()
            .map(|c| {
                if c.returning_to.is_some() || handed_on.contains(&c.id) {
                    Ahead::PRESENT
                } else {
                    Ahead::waiting(self.now.duration_since(c.issued_at))
                }
            })
            .collect()
    }

    fn predict(
        &self,
        service: &ServiceCode,
        ahead: &[Ahead],
        model: &ServiceModel,
    ) -> Option<SignedDuration> {
        let context = WaitContext {
            busy_windows: self.busy_windows_for(service),
            appointments: &[],
            grace: self.rules.appointment_grace,
            now: self.now,
        };
        predict_wait(ahead, self.open_windows_for(service), model, &context).wait
    }

    /// The statistics of `service`, described by `model`.
    pub fn service(&self, service: &ServiceCode, model: &ServiceModel) -> ServiceStats {
        let waiting = self.waiting();
        let newcomer = Candidate {
            id: NEWCOMER,
            service: service.clone(),
            issued_at: self.now,
            priority: None,
            appointment: None,
            returning_to: None,
        };
        let ahead = self.line(&newcomer, &waiting);
        let mine = self.tickets.iter().filter(|t| &t.service == service);
        let waits: Vec<SignedDuration> =
            mine.clone().filter(|t| t.follows.is_none()).filter_map(Ticket::waited).collect();
        ServiceStats {
            service: service.clone(),
            waiting: waiting.iter().filter(|c| &c.service == service).count(),
            served_today: mine.filter(|t| t.outcome() == Some(&Outcome::Served)).count(),
            median_wait: median(waits),
            predicted_wait: self.predict(service, &ahead, model),
            open_windows: self.open_windows_for(service),
        }
    }

    /// Where `ticket` stands, if it is waiting; `model` describes its service.
    pub fn ticket(&self, ticket: &Ticket, model: &ServiceModel) -> Option<TicketWait> {
        let me = Candidate::of(ticket)?;
        let waiting = self.waiting();
        let ahead = self.line(&me, &waiting);
        Some(TicketWait { ahead: ahead.len(), predicted_wait: self.predict(&ticket.service, &ahead, model) })
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(mut values: Vec<SignedDuration>) -> Option<SignedDuration> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        return Some(values[mid]);
    }
    let sum = values[mid - 1].as_millis() + values[mid].as_millis();
    Some(SignedDuration::from_millis(i64::try_from(sum / 2).unwrap_or(i64::MAX)))
}

/// A duration in whole minutes, rounded up (a wait of 10 s is shown as 1 minute, none as 0).
pub fn minutes_up(d: SignedDuration) -> u32 {
    let secs = d.as_secs().max(0);
    u32::try_from((secs + 59) / 60).unwrap_or(u32::MAX)
}

/// A duration in whole minutes, rounded to the nearest.
pub fn minutes_nearest(d: SignedDuration) -> u32 {
    let secs = d.as_secs().max(0);
    u32::try_from((secs + 30) / 60).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::CentreCode;
    use crate::queue::number::TicketNumber;
    use crate::queue::ticket::{Action, Origin, PriorityGroup, ServiceResult, apply};

    fn t0() -> Timestamp {
        "2026-03-02T06:00:00Z".parse().unwrap()
    }

    fn at(mins: i64) -> Timestamp {
        t0() + SignedDuration::from_mins(mins)
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn issue(id: i64, service: &str, issued: i64) -> Ticket {
        Ticket::issue(
            TicketId(id),
            TicketNumber::new('J', u32::try_from(id).unwrap()).unwrap(),
            CentreCode::new("BAKU-1"),
            ServiceCode::new(service),
            Origin::Kiosk,
            None,
            at(issued),
        )
    }

    fn run(mut t: Ticket, steps: &[(i64, Action)]) -> Ticket {
        for (m, action) in steps {
            t = apply(&t, action.clone(), at(*m)).unwrap();
        }
        t
    }

    fn served(t: Ticket, window: WindowNumber, call: i64, start: i64, end: i64) -> Ticket {
        run(
            t,
            &[
                (call, Action::Call { window }),
                (start, Action::Start),
                (end, Action::Finish { result: ServiceResult::Served }),
            ],
        )
    }

    fn window(number: WindowNumber, services: &[&str]) -> OpenWindow {
        OpenWindow { number, services: services.iter().map(|s| ServiceCode::new(*s)).collect() }
    }

    fn id() -> ServiceCode {
        ServiceCode::new("ID")
    }

    fn staying(minutes: i64) -> ServiceModel {
        ServiceModel::staying(mins(minutes))
    }

    #[test]
    fn an_empty_day_has_no_wait_and_no_median() {
        let open = [window(1, &["ID"])];
        let day = CentreDay { tickets: &[], open_windows: &open, rules: CallingRules::default(), now: at(0) };
        let stats = day.service(&id(), &staying(10));
        assert_eq!(
            stats,
            ServiceStats {
                service: id(),
                waiting: 0,
                served_today: 0,
                median_wait: None,
                predicted_wait: Some(SignedDuration::ZERO),
                open_windows: 1,
            }
        );
        let closed = CentreDay { open_windows: &[], ..day };
        assert_eq!(closed.service(&id(), &staying(10)).predicted_wait, None);
    }

    #[test]
    fn counts_medians_and_predictions_follow_the_day() {
        // Served: waits 4 and 10 minutes; one serving now at window 1 (waited 6); three waiting.
        let tickets = vec![
            served(issue(1, "ID", 0), 1, 4, 5, 15),
            served(issue(2, "ID", 0), 2, 10, 11, 20),
            run(issue(3, "ID", 20), &[(26, Action::Call { window: 1 }), (27, Action::Start)]),
            issue(4, "ID", 30),
            issue(5, "ID", 31),
            Ticket { priority: Some(PriorityGroup::Pregnant), ..issue(6, "ID", 32) },
            issue(7, "PASSPORT", 33),
            run(issue(8, "ID", 1), &[(2, Action::Call { window: 2 }), (3, Action::NoShow)]),
        ];
        let open = [window(1, &["ID", "PASSPORT"]), window(2, &["ID"]), window(3, &["CAR"])];
        let day =
            CentreDay { tickets: &tickets, open_windows: &open, rules: CallingRules::default(), now: at(40) };
        let stats = day.service(&id(), &staying(12));
        assert_eq!(stats.waiting, 3);
        assert_eq!(stats.served_today, 2);
        // Waits of called tickets: 4, 10, 6 and the no-show's 1 → median of [1, 4, 6, 10] = 5.
        assert_eq!(stats.median_wait, Some(mins(5)));
        assert_eq!(stats.open_windows, 2);
        assert_eq!(day.busy_windows_for(&id()), 1);
        // A newcomer has 3 ahead, 2 windows, 1 busy: 1 + 3 + 1 − 2 = 3 departures at 2/12 min → 18.
        assert_eq!(stats.predicted_wait, Some(mins(18)));
        assert_eq!(day.service(&ServiceCode::new("PASSPORT"), &staying(10)).waiting, 1);

        // The pregnant woman is called first: nobody ahead, and window 2 is free.
        let wait = day.ticket(&tickets[5], &staying(12)).unwrap();
        assert_eq!(wait, TicketWait { ahead: 0, predicted_wait: Some(SignedDuration::ZERO) });
        // The last walk-in has the pregnant woman and one walk-in ahead.
        assert_eq!(day.ticket(&tickets[4], &staying(12)).unwrap().ahead, 2);
        // Only waiting tickets stand anywhere.
        assert_eq!(day.ticket(&tickets[0], &staying(12)), None);
    }

    #[test]
    fn follow_on_tickets_do_not_count_in_the_median() {
        let first = run(
            issue(1, "ID", 0),
            &[
                (2, Action::Call { window: 1 }),
                (3, Action::Transfer { to: crate::queue::ticket::TransferTarget::Service(id()) }),
            ],
        );
        let follow = first.follow_on(TicketId(2)).unwrap();
        let follow = run(follow, &[(30, Action::Call { window: 1 })]);
        let tickets = [first, follow];
        let day =
            CentreDay { tickets: &tickets, open_windows: &[], rules: CallingRules::default(), now: at(31) };
        assert_eq!(day.service(&id(), &staying(10)).median_wait, Some(mins(2)));
    }

    #[test]
    fn people_ahead_are_discounted_by_their_wait_unless_known_to_be_there() {
        use crate::queue::predict::{Ahead, GiveUps, WaitContext, predict_wait};
        // Waiting since 0; handed on from the passport windows (issued at 5, so behind); serving.
        let handed_on = run(
            issue(2, "PASSPORT", 5),
            &[
                (6, Action::Call { window: 2 }),
                (7, Action::Transfer { to: crate::queue::ticket::TransferTarget::Service(id()) }),
            ],
        )
        .follow_on(TicketId(3))
        .unwrap();
        let tickets = vec![
            issue(1, "ID", 0),
            handed_on,
            run(issue(4, "ID", 30), &[(31, Action::Call { window: 1 }), (32, Action::Start)]),
        ];
        let open = [window(1, &["ID"])];
        let day =
            CentreDay { tickets: &tickets, open_windows: &open, rules: CallingRules::default(), now: at(40) };
        let model = ServiceModel {
            mean: mins(10),
            give_ups: GiveUps { rate: 1.0 / 1800.0, no_show_cost: mins(1), calls: 50, no_shows: 10 },
        };
        let context = WaitContext { busy_windows: 1, appointments: &[], grace: mins(10), now: at(40) };
        let line = [Ahead::waiting(mins(40)), Ahead::PRESENT];
        let expected = predict_wait(&line, 1, &model, &context).wait;
        let stats = day.service(&id(), &model);
        assert_eq!(stats.predicted_wait, expected);
        // Shorter than if both were surely there (3 × 10 minutes), as the first may have left.
        assert!(expected.unwrap() < mins(30));
        assert_eq!(day.service(&id(), &staying(10)).predicted_wait, Some(mins(30)));
        // The handed-on ticket's own wait: the walk-in ahead of it, discounted the same way.
        let wait = day.ticket(&tickets[1], &model).unwrap();
        let alone = predict_wait(&line[..1], 1, &model, &context).wait;
        assert_eq!((wait.ahead, wait.predicted_wait), (1, alone));
    }

    #[test]
    fn medians_and_minutes() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![mins(3), mins(1), mins(2)]), Some(mins(2)));
        assert_eq!(median(vec![mins(4), mins(1)]), Some(SignedDuration::from_secs(150)));
        assert_eq!(minutes_up(SignedDuration::ZERO), 0);
        assert_eq!(minutes_up(SignedDuration::from_secs(10)), 1);
        assert_eq!(minutes_up(mins(18)), 18);
        assert_eq!(minutes_nearest(SignedDuration::from_secs(89)), 1);
        assert_eq!(minutes_nearest(SignedDuration::from_secs(90)), 2);
        assert_eq!(minutes_up(SignedDuration::from_secs(-5)), 0);
    }
}
