//! The contract of ratings and complaints.

use super::{BAKU, ID_CARD, act, call, centre, clock, day, event, id_card, new_staff, window};
use crate::TestDb;
use jiff::civil::date;
use onestop_domain::feedback::complaint::{
    Category, Channel, Contact, Status, Step, Subject, SubjectKind, WorkflowError,
};
use onestop_domain::feedback::rating::{RatingChannel, Reason, Satisfaction, Verdict};
use onestop_domain::identity::Role;
use onestop_domain::queue::ticket::{Action, ServiceResult, TicketId};
use onestop_store::complaints::{ComplaintChange, ComplaintFilter, ComplaintStepError, NewComplaint};
use onestop_store::feedback::{Grouping, RateError, RatingFilter, TicketRating};
use onestop_store::{AuditFilter, Store};
use std::sync::Arc;

fn verdict(score: i64) -> Verdict {
    Verdict::parse(score, &["speed".into()], Some("quick")).unwrap()
}

/// Issues, calls at `window`, starts and finishes served one ID-card ticket; answers its id.
async fn served_at(store: &Arc<dyn Store>, number: u32, minute: i8) -> TicketId {
    store.issue_ticket(id_card(), clock(9, minute), event("ticket.issue")).await.unwrap();
    let called = call(store, &window(number, &[ID_CARD]), clock(9, minute + 1)).await.unwrap();
    let id = called.ticket.ticket.id;
    act(store, id, Some(number), Action::Start, clock(9, minute + 2)).await.unwrap();
    let finish = Action::Finish { result: ServiceResult::Served };
    act(store, id, Some(number), finish, clock(9, minute + 3)).await.unwrap();
    id
}

fn rating(window: u32, ticket: TicketId, score: i64) -> TicketRating {
    TicketRating { centre: centre(BAKU), window, ticket, provider: "MIA".into(), verdict: verdict(score) }
}

/// A finished ticket takes one rating, from its own window's tablet only, linked to its service,
/// provider, window and the officer at the window; refusals write nothing.
pub async fn a_ticket_is_rated_once_at_its_window(db: &TestDb) {
    let store = db.store().await;
    let officer = store
        .create_staff(
            &new_staff("rashad", Role::Officer, Some(BAKU), Some("MIA"), None),
            clock(8, 0),
            event("s"),
        )
        .await
        .unwrap();
    store
        .open_window(&centre(BAKU), 3, officer.id, "rashad", clock(8, 1), event("window.sign_in"))
        .await
        .unwrap();
    store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap();
    let waiting = store.day_tickets(&centre(BAKU), day()).await.unwrap()[0].ticket.id;
    let early = store.rate_ticket(rating(3, waiting, 5), clock(9, 1), event("rating.give")).await;
    assert!(matches!(early, Err(RateError::NotFinished(ref n)) if n == "J-001"), "{early:?}");

    let id = served_at(&store, 3, 10).await;
    let head = store.audit_head().await.unwrap();
    let other = store.rate_ticket(rating(4, id, 5), clock(9, 20), event("rating.give")).await;
    assert!(matches!(other, Err(RateError::OtherWindow { finished_at: 3, .. })), "{other:?}");
    let elsewhere = TicketRating { centre: centre("GANJA-1"), ..rating(3, id, 5) };
    assert!(matches!(
        store.rate_ticket(elsewhere, clock(9, 20), event("r")).await,
        Err(RateError::NoTicket(_))
    ));
    assert_eq!(store.audit_head().await.unwrap(), head, "refusals write nothing");

    let given = store.rate_ticket(rating(3, id, 4), clock(9, 21), event("rating.give")).await.unwrap();
    assert_eq!(given.channel, RatingChannel::Tablet);
    assert_eq!(given.ticket, Some(id));
    assert_eq!(given.service.as_deref(), Some(ID_CARD));
    assert_eq!(given.provider.as_deref(), Some("MIA"));
    assert_eq!(given.window, Some(3));
    assert_eq!(given.officer.as_deref(), Some("rashad"));
    assert_eq!(given.verdict.reasons, [Reason::Speed]);
    assert_eq!(given.at, clock(9, 21));
    assert_eq!(store.ticket_rating(id).await.unwrap(), Some(given.clone()));

    let again = store.rate_ticket(rating(3, id, 1), clock(9, 22), event("rating.give")).await;
    assert!(matches!(again, Err(RateError::AlreadyRated(_))), "{again:?}");
    let audited = store
        .search_audit(&AuditFilter { action: Some("rating.give".into()), ..Default::default() }, 10)
        .await;
    assert_eq!(audited.unwrap().len(), 1);
}

/// Two tablets racing to rate one ticket: exactly one rating lands.
pub async fn racing_ratings_of_a_ticket_have_one_winner(db: &TestDb) {
    let store = db.store().await;
    let id = served_at(&store, 2, 0).await;
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store.rate_ticket(rating(2, id, 1 + i % 5), clock(10, 0), event("r")).await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(RateError::AlreadyRated(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.ratings(&RatingFilter::default(), 10).await.unwrap().len(), 1);
}

/// Satisfaction is the share of 4 and 5 per centre, provider, service and officer, over a period;
/// exit polls count for their centre only.
pub async fn satisfaction_groups_ratings(db: &TestDb) {
    let store = db.store().await;
    for (minute, score) in [(0, 5), (10, 3), (20, 4)] {
        let id = served_at(&store, 1, minute).await;
        store.rate_ticket(rating(1, id, score), clock(9, minute + 5), event("r")).await.unwrap();
    }
    store.rate_visit(&centre("GANJA-1"), verdict(2), clock(9, 30), event("r")).await.unwrap();
    let all = RatingFilter::default();
    let by = |g| {
        let store = Arc::clone(&store);
        let filter = all.clone();
        async move { store.satisfaction(g, &filter).await.unwrap() }
    };
    let two_of_three = Satisfaction { ratings: 3, satisfied: 2 };
    assert_eq!(
        by(Grouping::Centre).await,
        [("BAKU-1".into(), two_of_three), ("GANJA-1".into(), Satisfaction { ratings: 1, satisfied: 0 })]
    );
    assert_eq!(by(Grouping::Service).await, [(ID_CARD.to_owned(), two_of_three)]);
    assert_eq!(by(Grouping::Provider).await, [("MIA".to_owned(), two_of_three)]);
    assert_eq!(by(Grouping::Officer).await, [], "nobody was signed in at window 1");
    let period = RatingFilter { from: Some(clock(9, 10)), to: Some(clock(9, 26)), ..Default::default() };
    assert_eq!(
        store.satisfaction(Grouping::Centre, &period).await.unwrap(),
        [("BAKU-1".into(), Satisfaction { ratings: 2, satisfied: 1 })]
    );
    let newest = store.ratings(&RatingFilter { centre: Some("GANJA-1".into()), ..all }, 5).await.unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].channel, RatingChannel::ExitPoll);
    assert_eq!(newest[0].ticket, None);
}

fn complaint(reference: &str, category: Category, received: jiff::civil::Date) -> NewComplaint {
    NewComplaint {
        reference: reference.into(),
        channel: Channel::CallCentre,
        category,
        subject: Subject { kind: SubjectKind::Centre, code: BAKU.into() },
        centre: None,
        text: "Waited 2 hours — очень долго".into(),
        contact: Contact {
            name: Some("Aysel".into()),
            email: Some("aysel@example.az".into()),
            phone: Some(onestop_domain::pii::Phone::parse("+994501234567").unwrap()),
            address: None,
        },
        entered_by: Some("staff:operator".into()),
        received_on: received,
        due_on: received.checked_add(jiff::Span::new().days(10)).unwrap(),
        lang: "ru".into(),
        message: Some(notice(reference, "complaint.received")),
    }
}

/// A notice to the complainant of [`complaint`] about `reference`.
fn notice(reference: &str, topic: &str) -> onestop_domain::notify::Message {
    onestop_domain::notify::Message {
        channel: onestop_domain::notify::MessageChannel::Email,
        recipient: "aysel@example.az".into(),
        subject: format!("{topic} {reference}"),
        body: format!("Your complaint {reference}: {topic}"),
        topic: topic.into(),
        record: Some(format!("complaint:{reference}")),
    }
}

/// The topics of the outbox's messages to the complainant of [`complaint`], oldest first.
async fn notices(store: &Arc<dyn Store>) -> Vec<String> {
    let mut sent = store.outbox_messages(Some("aysel@example.az"), 100).await.unwrap();
    sent.reverse();
    sent.into_iter().map(|m| m.message.topic).collect()
}

fn change(step: Step, today: jiff::civil::Date) -> ComplaintChange {
    ComplaintChange {
        step,
        assignee: None,
        answer: None,
        today,
        due_on: None,
        reopen_days: 10,
        message: None,
    }
}

/// A complaint is registered, followed by reference with its history, and walks received →
/// assigned → answered → closed → reopened; a refused step writes nothing.
pub async fn complaints_follow_their_workflow(db: &TestDb) {
    let store = db.store().await;
    let d = date(2026, 11, 30);
    let new = complaint("FB-2345-6789", Category::WaitingTime, d);
    let got = store.register_complaint(new.clone(), clock(9, 0), event("complaint.register")).await.unwrap();
    assert_eq!(got.status, Status::Received);
    assert_eq!(got.contact, new.contact);
    assert_eq!(got.text, new.text);
    assert_eq!(got.due_on, date(2026, 12, 10));
    assert_eq!(got.history.len(), 1);
    assert_eq!(got.lang, "ru");
    assert_eq!(
        notices(&store).await,
        ["complaint.received"],
        "the acknowledgement goes with the registration"
    );
    assert_eq!(store.complaint("FB-2345-6789").await.unwrap(), Some(got.clone()));
    assert_eq!(store.complaint("FB-XXXX-XXXX").await.unwrap(), None);
    let dup = store.register_complaint(new, clock(9, 1), event("complaint.register")).await;
    assert!(dup.is_err(), "a reference is unique");

    let head = store.audit_head().await.unwrap();
    let early_answer = ComplaintChange {
        message: Some(notice("FB-2345-6789", "complaint.answered")),
        ..change(Step::Answer, d)
    };
    let early = store.advance_complaint("FB-2345-6789", early_answer, clock(9, 2), event("c")).await;
    assert!(
        matches!(early, Err(ComplaintStepError::Workflow(WorkflowError::Disallowed { .. }))),
        "{early:?}"
    );
    let none =
        store.advance_complaint("FB-NONE-NONE", change(Step::Assign, d), clock(9, 2), event("c")).await;
    assert!(matches!(none, Err(ComplaintStepError::NotFound(_))));
    assert_eq!(store.audit_head().await.unwrap(), head);
    assert_eq!(notices(&store).await, ["complaint.received"], "a refused step sends nothing");

    let assign = ComplaintChange { assignee: Some("leyla".into()), ..change(Step::Assign, d) };
    let c = store
        .advance_complaint("FB-2345-6789", assign, clock(9, 3), event("complaint.assign"))
        .await
        .unwrap();
    assert_eq!((c.status, c.assignee.as_deref()), (Status::Assigned, Some("leyla")));
    let answer = ComplaintChange {
        answer: Some("We added a window.".into()),
        message: Some(notice("FB-2345-6789", "complaint.answered")),
        ..change(Step::Answer, date(2026, 12, 2))
    };
    let c = store
        .advance_complaint("FB-2345-6789", answer, clock(9, 4), event("complaint.answer"))
        .await
        .unwrap();
    assert_eq!((c.status, c.answered_on), (Status::Answered, Some(date(2026, 12, 2))));
    assert_eq!(notices(&store).await, ["complaint.received", "complaint.answered"]);
    let c = store
        .advance_complaint("FB-2345-6789", change(Step::Close, d), clock(9, 5), event("c"))
        .await
        .unwrap();
    assert_eq!(c.status, Status::Closed);
    let late = store
        .advance_complaint("FB-2345-6789", change(Step::Reopen, date(2026, 12, 13)), clock(9, 6), event("c"))
        .await;
    assert!(matches!(late, Err(ComplaintStepError::Workflow(WorkflowError::TooLateToReopen { days: 10 }))));
    let reopen =
        ComplaintChange { due_on: Some(date(2026, 12, 20)), ..change(Step::Reopen, date(2026, 12, 12)) };
    let c = store.advance_complaint("FB-2345-6789", reopen, clock(9, 7), event("c")).await.unwrap();
    assert_eq!(
        (c.status, c.reopened, c.due_on, c.answered_on),
        (Status::Reopened, 1, date(2026, 12, 20), None)
    );
    let steps: Vec<_> = c.history.iter().map(|h| (h.step, h.status)).collect();
    assert_eq!(
        steps,
        [
            (None, Status::Received),
            (Some(Step::Assign), Status::Assigned),
            (Some(Step::Answer), Status::Answered),
            (Some(Step::Close), Status::Closed),
            (Some(Step::Reopen), Status::Reopened),
        ]
    );
    let open = ComplaintFilter { statuses: vec![Status::Reopened], ..Default::default() };
    assert_eq!(store.complaints(&open, 10).await.unwrap().len(), 1);
    let closed = ComplaintFilter { statuses: vec![Status::Closed], ..Default::default() };
    assert!(store.complaints(&closed, 10).await.unwrap().is_empty());
}

/// Complaints awaiting an answer after their due day are found; late answers are counted.
pub async fn deadline_breaches_are_detected(db: &TestDb) {
    let store = db.store().await;
    let d = date(2026, 11, 2);
    for (reference, days) in [("FB-AAAA-AAAA", 0), ("FB-BBBB-BBBB", 5), ("FB-CCCC-CCCC", 20)] {
        let mut new = complaint(reference, Category::Corruption, d);
        new.due_on = d.checked_add(jiff::Span::new().days(days)).unwrap();
        store.register_complaint(new, clock(9, 0), event("complaint.register")).await.unwrap();
    }
    let assign = ComplaintChange { assignee: Some("leyla".into()), ..change(Step::Assign, d) };
    store.advance_complaint("FB-AAAA-AAAA", assign, clock(9, 1), event("c")).await.unwrap();
    let answer = ComplaintChange { answer: Some("Sorry.".into()), ..change(Step::Answer, date(2026, 11, 4)) };
    store.advance_complaint("FB-AAAA-AAAA", answer, clock(9, 2), event("c")).await.unwrap();

    let on = |day| {
        let store = Arc::clone(&store);
        async move { store.complaint_breaches(day).await.unwrap() }
    };
    let b = on(date(2026, 11, 8)).await;
    assert_eq!(b.overdue.iter().map(|c| c.reference.as_str()).collect::<Vec<_>>(), ["FB-BBBB-BBBB"]);
    assert_eq!(b.answered_late, 1);
    assert!(b.overdue[0].breached(date(2026, 11, 8)));
    assert!(!b.overdue[0].breached(date(2026, 11, 7)));
    let b = on(date(2026, 11, 7).checked_add(jiff::Span::new().days(20)).unwrap()).await;
    assert_eq!(b.overdue.len(), 2);
    assert!(on(date(2026, 11, 2)).await.overdue.is_empty());
}

/// An exit-poll rating (NULLs where a ticket would be) and a complaint with dates and a step, for
/// the dump: 3 rows and 2 audit entries.
pub(super) async fn fill_feedback(store: &Arc<dyn Store>, now: jiff::Timestamp) {
    let v = Verdict::parse(5, &["courtesy".into(), "premises".into()], None).unwrap();
    store.rate_visit(&centre("AZ-B1"), v, now, event("rating.give")).await.unwrap();
    let mut new = complaint("FB-ÇÇÇÇ-2222", Category::Suggestion, date(2026, 11, 28));
    new.contact.phone = None;
    new.contact.address = Some("Bakı, Nizami küç. 1".into());
    new.message = None;
    store.register_complaint(new, now, event("complaint.register")).await.unwrap();
}

fn scores(v: u8) -> Vec<(String, u8)> {
    onestop_domain::feedback::idea::CRITERIA.iter().map(|c| (c.code.to_owned(), v)).collect()
}

/// An idea is scored by members (a member's second scoring replaces the first), then decided
/// once, with a reward when accepted; refusals write nothing.
pub async fn ideas_are_scored_and_decided(db: &TestDb) {
    use onestop_domain::feedback::idea::{IdeaError, IdeaStatus};
    use onestop_store::ideas::{IdeaStepError, NewIdea, Reward};
    let store = db.store().await;
    let new = NewIdea {
        reference: "ID-2222-3333".into(),
        title: "SMS when my turn nears".into(),
        text: "Send an SMS five tickets before mine".into(),
        author: Some("Kamran".into()),
        contact: Some("kamran@example.az".into()),
    };
    let idea = store.submit_idea(new, clock(9, 0), event("idea.submit")).await.unwrap();
    assert_eq!((idea.status, idea.scores.len(), idea.reward.clone()), (IdeaStatus::Submitted, 0, None));
    let reward = || Some(Reward { amount_minor: 50_000, currency: "AZN".into(), note: None });
    let early =
        store.decide_idea("ID-2222-3333", true, reward(), "m1", clock(9, 1), event("idea.decide")).await;
    assert!(matches!(early, Err(IdeaStepError::Rule(IdeaError::NotScored))), "{early:?}");
    store.score_idea("ID-2222-3333", "m1", scores(2), clock(9, 2), event("idea.score")).await.unwrap();
    store.score_idea("ID-2222-3333", "m2", scores(4), clock(9, 3), event("idea.score")).await.unwrap();
    let idea =
        store.score_idea("ID-2222-3333", "m1", scores(5), clock(9, 4), event("idea.score")).await.unwrap();
    assert_eq!(idea.status, IdeaStatus::UnderReview);
    assert_eq!(
        idea.scores.iter().map(|m| (m.member.as_str(), m.scores[0].1)).collect::<Vec<_>>(),
        [("m1", 5), ("m2", 4)]
    );
    assert_eq!(idea.scores[0].scores, scores(5));
    let no_reward =
        store.decide_idea("ID-2222-3333", true, None, "m1", clock(9, 5), event("idea.decide")).await;
    assert!(matches!(no_reward, Err(IdeaStepError::Rule(IdeaError::Reward))));
    let idea = store
        .decide_idea("ID-2222-3333", true, reward(), "m2", clock(9, 6), event("idea.decide"))
        .await
        .unwrap();
    assert_eq!((idea.status, idea.decided_at), (IdeaStatus::Accepted, Some(clock(9, 6))));
    assert_eq!(idea.reward, reward());
    let again = store.decide_idea("ID-2222-3333", false, None, "m1", clock(9, 7), event("idea.decide")).await;
    assert!(matches!(again, Err(IdeaStepError::Rule(IdeaError::Decided))));
    let late = store.score_idea("ID-2222-3333", "m3", scores(1), clock(9, 8), event("idea.score")).await;
    assert!(matches!(late, Err(IdeaStepError::Rule(IdeaError::Decided))));
    assert!(matches!(
        store.score_idea("ID-NONE-NONE", "m1", scores(1), clock(9, 8), event("idea.score")).await,
        Err(IdeaStepError::NotFound(_))
    ));
    assert_eq!(store.ideas(10).await.unwrap(), std::slice::from_ref(&idea));
    assert_eq!(store.idea("ID-2222-3333").await.unwrap(), Some(idea));
    let filter = AuditFilter { action: Some("idea.score".into()), ..Default::default() };
    assert_eq!(store.search_audit(&filter, 20).await.unwrap().len(), 3, "refused scores are not audited");
}

/// A survey is created, published once, answered and its responses read back in order.
pub async fn surveys_are_published_and_answered(db: &TestDb) {
    use onestop_domain::feedback::survey::{Answer, Question, SurveyChannel};
    use onestop_store::StoreError;
    use onestop_store::surveys::NewSurvey;
    let store = db.store().await;
    let new = NewSurvey {
        code: "visit".into(),
        title: "Your visit — Ваш визит".into(),
        questions: vec![
            Question::Scale { prompt: "How easy?".into(), min: 1, max: 5 },
            Question::Choice { prompt: "Came by".into(), options: vec!["Bus".into(), "Car".into()] },
            Question::Text { prompt: "Else?".into() },
        ],
        channels: vec![SurveyChannel::Web, SurveyChannel::Tablet],
    };
    let created = store.create_survey(new.clone(), clock(9, 0), event("survey.create")).await.unwrap();
    assert_eq!(
        (created.questions.clone(), created.channels.clone(), created.published_at),
        (new.questions.clone(), new.channels.clone(), None)
    );
    assert!(matches!(
        store.create_survey(new, clock(9, 1), event("survey.create")).await,
        Err(StoreError::Conflict(_))
    ));
    let published = store.publish_survey("visit", clock(9, 2), event("survey.publish")).await.unwrap();
    assert_eq!(published.published_at, Some(clock(9, 2)));
    let again = store.publish_survey("visit", clock(9, 3), event("survey.publish")).await.unwrap();
    assert_eq!(again.published_at, Some(clock(9, 2)), "publishing twice keeps the first time");
    assert!(matches!(
        store.publish_survey("none", clock(9, 3), event("survey.publish")).await,
        Err(StoreError::NotFound(_))
    ));
    let answers = vec![Answer::Number(4), Answer::Number(1), Answer::Text("Ağ şəhər".into())];
    store
        .answer_survey(created.id, SurveyChannel::Tablet, &answers, clock(9, 4), event("survey.answer"))
        .await
        .unwrap();
    store
        .answer_survey(created.id, SurveyChannel::Web, &answers[..2], clock(9, 5), event("survey.answer"))
        .await
        .unwrap();
    let read = store.survey_responses(created.id).await.unwrap();
    assert_eq!(read, [answers.clone(), answers[..2].to_vec()]);
    assert_eq!(store.surveys().await.unwrap().len(), 1);
    assert_eq!(store.survey("visit").await.unwrap().unwrap().published_at, Some(clock(9, 2)));
}
