//! The contract every backend must honour. Each function takes a fresh [`TestDb`] and panics on a
//! broken promise; [`crate::contract_tests!`] runs them on both backends.

use crate::TestDb;
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use onestop_domain::audit::{self, AuditEvent, ChainVerifier, Outcome};
use onestop_domain::catalogue::{CentreCode, GroupCode, ServiceCode};
use onestop_domain::idempotency::{Claim, IdempotencyKey, RequestFingerprint, StoredResponse};
use onestop_domain::identity::{DeviceKind, Role, Scope};
use onestop_domain::pii::{Fin, Phone};
use onestop_domain::queue::calling::{CallRule, CallingRules, WindowContext};
use onestop_domain::queue::predict::{CallEnd, RecentCall};
use onestop_domain::queue::ticket::{
    Action, ActionName, Origin, Outcome as TicketOutcome, ParkReason, PriorityGroup, QueueError,
    ServiceResult, StateName, Ticket, TicketId, TicketRules, TicketState, TransferTarget, WindowNumber,
};
use onestop_domain::session::SessionTimes;
use onestop_domain::throttle::Throttle;
use onestop_store::dump::DumpError;
use onestop_store::queue::{
    ActError, Acted, Called, EventKind, Holder, NewTicket, QueueEvent, SERVICE_TIME_HISTORY, ServiceTimes,
    TicketRecord, WindowSession,
};
use onestop_store::{AuditFilter, NewSession, NewStaff, Store, StoreError};
use std::path::Path;
use std::sync::Arc;

mod cases;
mod feedback;
mod monitoring;
pub use cases::*;
pub use feedback::*;
pub use monitoring::*;

fn at(text: &str) -> Timestamp {
    text.parse().expect("a test timestamp")
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).expect("a test key")
}

/// The newest migration file's version, read from the backend's own folder.
fn newest_migration(backend: &str) -> i64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(backend).join("migrations");
    std::fs::read_dir(dir)
        .expect("migrations folder")
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().split('_').next().and_then(|v| v.parse().ok()))
        .max()
        .expect("at least one migration")
}

/// Every migration is applied on open.
pub async fn migrations_are_applied(db: &TestDb) {
    let store = db.store().await;
    let folder = if db.url.starts_with("sqlite:") { "store-sqlite" } else { "store-postgres" };
    assert_eq!(store.schema_version().await.unwrap(), Some(newest_migration(folder)));
    store.ping().await.unwrap();
    let stats = store.pool_stats();
    assert!(stats.size >= 1 && stats.size <= stats.max, "{stats:?}");
    match store.backend() {
        // The migrations ran on the pool; the writer has carried nothing yet.
        onestop_store::Backend::Sqlite => {
            assert_eq!(
                stats.group_commit,
                Some(onestop_store::GroupCommit { commits: 0, writes: 0, sync_times: Default::default() })
            )
        }
        onestop_store::Backend::Postgres => assert_eq!(stats.group_commit, None),
    }
}

/// A key is fresh once, in flight until completed, then replays its answer; another request
/// under the same key is refused.
pub async fn idempotency_keys_replay_the_first_answer(db: &TestDb) {
    let store = db.store().await;
    let now = at("2026-11-28T09:00:00Z");
    let k = key("ticket-7f3c");
    let fp = RequestFingerprint::of("POST", "/api/v1/centres/AZ-B1/tickets", br#"{"service":"X"}"#);
    let other = RequestFingerprint::of("POST", "/api/v1/centres/AZ-B1/tickets", br#"{"service":"Y"}"#);

    assert_eq!(store.claim_idempotency_key("tickets", &k, &fp, now).await.unwrap(), Claim::Fresh);
    assert_eq!(store.claim_idempotency_key("tickets", &k, &fp, now).await.unwrap(), Claim::InFlight);
    // The same key in another scope is another key.
    assert_eq!(store.claim_idempotency_key("bookings", &k, &fp, now).await.unwrap(), Claim::Fresh);

    let answer = StoredResponse { status: 201, body: vec![0, 159, 146, 150, b'{', b'}'] };
    store.complete_idempotency_key("tickets", &k, &answer).await.unwrap();
    let later = now + SignedDuration::from_mins(5);
    assert_eq!(
        store.claim_idempotency_key("tickets", &k, &fp, later).await.unwrap(),
        Claim::Replay(answer.clone())
    );
    assert_eq!(store.claim_idempotency_key("tickets", &k, &other, later).await.unwrap(), Claim::Mismatch);
    // Completing twice would overwrite the first answer: refused.
    assert!(store.complete_idempotency_key("tickets", &k, &answer).await.is_err());
}

/// An answer expires after the retention; a released claim may be claimed again; purging
/// removes only old records.
pub async fn idempotency_keys_expire_release_and_purge(db: &TestDb) {
    let store = db.store().await;
    let now = at("2026-11-28T09:00:00Z");
    let fp = RequestFingerprint::of("POST", "/x", b"1");
    let other = RequestFingerprint::of("POST", "/x", b"2");
    let answer = StoredResponse { status: 201, body: b"{}".to_vec() };

    assert_eq!(store.claim_idempotency_key("s", &key("old"), &fp, now).await.unwrap(), Claim::Fresh);
    store.complete_idempotency_key("s", &key("old"), &answer).await.unwrap();
    let next_day = now + SignedDuration::from_hours(24);
    assert_eq!(store.claim_idempotency_key("s", &key("old"), &other, next_day).await.unwrap(), Claim::Fresh);
    assert_eq!(
        store.claim_idempotency_key("s", &key("old"), &other, next_day).await.unwrap(),
        Claim::InFlight
    );

    assert_eq!(store.claim_idempotency_key("s", &key("failed"), &fp, now).await.unwrap(), Claim::Fresh);
    store.release_idempotency_key("s", &key("failed")).await.unwrap();
    assert_eq!(store.claim_idempotency_key("s", &key("failed"), &fp, now).await.unwrap(), Claim::Fresh);

    let purged = store.purge_idempotency_keys(now + SignedDuration::from_hours(1)).await.unwrap();
    assert_eq!(purged, 1, "only the key claimed at `now` and not renewed is older than the cutoff");
    assert_eq!(
        store.claim_idempotency_key("s", &key("old"), &other, next_day).await.unwrap(),
        Claim::InFlight
    );
    assert_eq!(store.claim_idempotency_key("s", &key("failed"), &fp, next_day).await.unwrap(), Claim::Fresh);
}

/// Many requests racing to claim one key: exactly one wins.
pub async fn idempotency_key_races_have_one_winner(db: &TestDb) {
    let store = db.store().await;
    let now = at("2026-11-28T09:00:00Z");
    for round in 0..5 {
        let mut racers = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let store = Arc::clone(&store);
            racers.spawn(async move {
                let fp = RequestFingerprint::of("POST", "/race", b"{}");
                store.claim_idempotency_key("race", &key(&format!("k{round}")), &fp, now).await.unwrap()
            });
        }
        let claims = racers.join_all().await;
        let fresh = claims.iter().filter(|c| **c == Claim::Fresh).count();
        assert_eq!(fresh, 1, "round {round}: {claims:?}");
        assert!(claims.iter().all(|c| matches!(c, Claim::Fresh | Claim::InFlight)), "{claims:?}");
    }
}

/// Fills a store with rows of every shape the dump must carry: NULLs, raw bytes, micro-second
/// timestamps, booleans and text whose byte order differs from a locale's order; in every table.
/// Answers the number of rows written.
pub async fn fill_for_dump(store: &Arc<dyn Store>) -> u64 {
    fill_idempotency(store).await;
    let now = at("2026-11-28T05:06:07.123456Z");
    let admin = store
        .create_staff(
            &new_staff("ağa", Role::AgencyAdmin, None, None, Some("5ZK7Q2M")),
            now,
            event("staff.create"),
        )
        .await
        .unwrap();
    let zeynab = store
        .create_staff(
            &new_staff("Zeynab", Role::Officer, Some("AZ-B1"), Some("MIA"), None),
            now,
            event("staff.create"),
        )
        .await
        .unwrap();
    let session = NewSession {
        staff_id: admin.id,
        token_hash: "a".repeat(64),
        csrf_token: "c".repeat(43),
        times: SessionTimes::start(now),
        origin: Some("127.0.0.1".into()),
    };
    store.start_session("ağa", &session, event("session.start")).await.unwrap();
    let (throttle, _) = Throttle::default().after_failure(now);
    store.record_sign_in_failure("nobody", throttle, event("sign_in.fail").refused()).await.unwrap();
    let scope = Scope { centre: Some("AZ-B1".into()), provider: None, window: Some("7".into()) };
    let tablet = store
        .issue_device_token(
            DeviceKind::Tablet,
            &scope,
            "Tablet at window 7",
            &"d".repeat(64),
            now,
            event("device.issue"),
        )
        .await
        .unwrap();
    store.revoke_device_token(tablet.id, now, event("device.revoke")).await.unwrap();
    store
        .save_catalogue(
            "format: onestop-catalogue\nname: Ağstafa — Агстафа\n",
            &"e".repeat(64),
            "demo.yaml",
            now,
            event("catalogue.import"),
        )
        .await
        .unwrap();
    fill_queue(store, zeynab.id, now).await;
    feedback::fill_feedback(store, now).await;
    // 14 idempotency keys, 2 persons, 2 staff, 1 session, 1 throttle, 1 device token,
    // 1 catalogue version, 2 ticket counters, 3 tickets, 3 ticket steps, 7 queue events,
    // 1 window session, 1 rating, 1 complaint, 1 complaint step, 15 audit entries and 1 signature.
    let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let head = store.audit_head().await.unwrap().unwrap();
    store.store_audit_signature(&audit::sign(&key, &head, now)).await.unwrap();
    57
}

/// Two counters (one group named with a non-ASCII letter), a ticket with a holder that is
/// called, served and transferred (so a follow-on), an appointment with a priority, and an
/// officer at a window: 6 audit entries.
async fn fill_queue(store: &Arc<dyn Store>, officer: i64, now: Timestamp) {
    let on = date(2026, 11, 28);
    let id_card = NewTicket {
        centre: CentreCode::new("AZ-B1"),
        service: ServiceCode::new("MIA-ID-CARD"),
        group: GroupCode::new("identity"),
        prefix: 'J',
        day: on,
        origin: Origin::InfoDesk,
        priority: None,
        holder: Some(Holder {
            fin: Fin::parse("5ZK7Q2M").unwrap(),
            name: Some("Əli Məmmədov — Алиев".into()),
        }),
    };
    let property = NewTicket {
        service: ServiceCode::new("EMLAK-1"),
        group: GroupCode::new("Əmlak"),
        prefix: 'E',
        origin: Origin::Appointment { at: now + SignedDuration::from_micros(5_400_000_001) },
        priority: Some(PriorityGroup::WithInfant),
        holder: None,
        ..id_card.clone()
    };
    store.issue_ticket(id_card, now, event("ticket.issue")).await.unwrap();
    store.issue_ticket(property, now, event("ticket.issue")).await.unwrap();
    let later = |micros| now + SignedDuration::from_micros(micros);
    let w = WindowContext {
        number: 7,
        services: vec![ServiceCode::new("MIA-ID-CARD")],
        rules: CallingRules::default(),
    };
    let called = store
        .call_next(&CentreCode::new("AZ-B1"), on, &w, TicketRules::default(), later(1), event("ticket.call"))
        .await
        .unwrap()
        .unwrap();
    let id = called.ticket.ticket.id;
    let centre = CentreCode::new("AZ-B1");
    let rules = TicketRules::default();
    store
        .act(&centre, id, Some(7), Action::Start, rules.into(), later(2), event("ticket.start"))
        .await
        .unwrap();
    let to = TransferTarget::Service(ServiceCode::new("MIA-PASSPORT"));
    let moved = store
        .act(&centre, id, Some(7), Action::Transfer { to }, rules.into(), later(3), event("ticket.transfer"))
        .await
        .unwrap();
    assert!(moved.follow_on.is_some());
    store.open_window(&centre, 7, officer, "Zeynab", later(4), event("window.sign_in")).await.unwrap();
}

async fn fill_idempotency(store: &Arc<dyn Store>) {
    let base = at("2026-11-28T05:06:07.123456Z");
    for (i, name) in ["Zeta", "alpha", "Émile", "ağac", "Ω-9", "_x", "a b"].iter().enumerate() {
        let fp = RequestFingerprint::of("POST", "/fill", name.as_bytes());
        let when = base + SignedDuration::from_micros(i as i64 * 1_000_001);
        assert_eq!(
            store.claim_idempotency_key("fill", &key(&format!("k-{i}")), &fp, when).await.unwrap(),
            Claim::Fresh
        );
        let scope = format!("scope-{name}");
        let k = key(&format!("key-{i}"));
        assert_eq!(store.claim_idempotency_key(&scope, &k, &fp, when).await.unwrap(), Claim::Fresh);
        if i % 2 == 0 {
            let body = [name.as_bytes(), &[0, 255, 254]].concat();
            store
                .complete_idempotency_key(&scope, &k, &StoredResponse { status: 200 + i as u16, body })
                .await
                .unwrap();
        }
    }
}

fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// Asserts two dump folders hold the same files with the same bytes.
pub fn assert_same_dump(a: &Path, b: &Path) {
    let (a, b) = (read_tree(a), read_tree(b));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the dumps hold different files");
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
}

/// Export, import into a new database of the same backend, export again: the same bytes.
pub async fn dumps_round_trip(db: &TestDb) {
    let store = db.store().await;
    let rows = fill_for_dump(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let summary = store.export_dump(&first).await.unwrap();
    assert_eq!(summary.rows, rows);

    let target =
        if db.url.starts_with("sqlite:") { TestDb::sqlite() } else { TestDb::postgres().await.unwrap() };
    let copy = target.store().await;
    assert_eq!(copy.import_dump(&first).await.unwrap(), summary);
    let second = dir.path().join("second");
    copy.export_dump(&second).await.unwrap();
    assert_same_dump(&first, &second);

    // The copy behaves like the original: a replayed answer is still replayed.
    let fp = RequestFingerprint::of("POST", "/fill", "Zeta".as_bytes());
    let claim = copy
        .claim_idempotency_key("scope-Zeta", &key("key-0"), &fp, at("2026-11-28T06:00:00Z"))
        .await
        .unwrap();
    assert_eq!(claim, Claim::Replay(StoredResponse { status: 200, body: b"Zeta\0\xff\xfe".to_vec() }));

    // Rows come out in primary-key order, by bytes: "Zeta" before "_x" before "a b" before "alpha".
    let rows = std::fs::read_to_string(first.join("tables/idempotency_keys.jsonl")).unwrap();
    let scopes: Vec<_> = rows.lines().filter_map(|l| l.split('"').nth(11)).collect();
    let mut sorted = scopes.clone();
    sorted.sort();
    assert_eq!(scopes, sorted);
}

/// An import into a database that holds data is refused and changes nothing.
pub async fn imports_refuse_a_database_with_data(db: &TestDb) {
    let store = db.store().await;
    fill_for_dump(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    store.export_dump(&dump).await.unwrap();
    let err = store.import_dump(&dump).await.unwrap_err();
    assert!(matches!(&err, DumpError::NotEmpty(_)), "{err}");
    let again = dir.path().join("again");
    store.export_dump(&again).await.unwrap();
    assert_same_dump(&dump, &again);
}

/// A broken row late in a dump fails the whole import: nothing is written.
pub async fn broken_dumps_write_nothing(db: &TestDb) {
    let source = db.store().await;
    fill_for_dump(&source).await;
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    source.export_dump(&dump).await.unwrap();
    let file = dump.join("tables/idempotency_keys.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&file).unwrap().lines().map(String::from).collect();
    let last = lines.len() - 1;
    lines[last] = lines[last].replace(".000000Z", "not a time").replacen("Z\"", "+99:99\"", 1);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let target =
        if db.url.starts_with("sqlite:") { TestDb::sqlite() } else { TestDb::postgres().await.unwrap() };
    let copy = target.store().await;
    let err = copy.import_dump(&dump).await.unwrap_err().to_string();
    assert!(err.contains(&format!("idempotency_keys.jsonl line {}", last + 1)), "{err}");
    let empty = dir.path().join("empty");
    assert_eq!(copy.export_dump(&empty).await.unwrap().rows, 0, "the failed import left rows behind");
}

fn event(action: &str) -> AuditEvent {
    AuditEvent::new(at("2026-11-28T09:00:00Z"), "cli:root", action, format!("{action} in a test"))
        .with_origin(Some("cli".into()))
}

fn new_staff(
    login: &str,
    role: Role,
    centre: Option<&str>,
    provider: Option<&str>,
    fin: Option<&str>,
) -> NewStaff {
    NewStaff {
        login: login.into(),
        full_name: format!("{login} Əliyev"),
        fin: fin.map(|f| Fin::parse(f).unwrap()),
        phone: fin.map(|_| Phone::parse("+994501234567").unwrap()),
        role,
        scope: Scope { centre: centre.map(Into::into), provider: provider.map(Into::into), window: None },
        password_hash: onestop_domain::password::hash("a long enough password", &[1; 16]),
        must_change_password: fin.is_none(),
    }
}

/// Verifies the whole chain as `onestop audit verify` does.
async fn verify_chain(
    store: &Arc<dyn Store>,
    key: Option<ed25519_dalek::VerifyingKey>,
) -> Result<audit::Verified, audit::Broken> {
    let mut verifier = ChainVerifier::new(key, store.audit_signatures().await.unwrap());
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, 3).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            verifier.push(entry)?;
        }
    }
    verifier.finish()
}

/// Accounts are created once per login and per person, and each creation is audited.
pub async fn staff_accounts_are_created_once(db: &TestDb) {
    let store = db.store().await;
    let now = at("2026-11-28T09:00:00Z");
    let officer = store
        .create_staff(
            &new_staff("rashad", Role::Officer, Some("AZ-B1"), Some("MIA"), Some("5ZK7Q2M")),
            now,
            event("staff.create"),
        )
        .await
        .unwrap();
    assert_eq!(officer.login, "rashad");
    assert_eq!(officer.role, Role::Officer);
    assert_eq!(officer.scope.provider.as_deref(), Some("MIA"));
    assert_eq!(officer.fin.as_ref().map(Fin::reveal), Some("5ZK7Q2M"));
    assert_eq!(officer.phone.as_ref().map(Phone::reveal), Some("+994501234567"));
    assert!(officer.active && !officer.must_change_password);
    let leyla_first = store
        .create_staff(
            &new_staff("leyla", Role::InfoDesk, Some("AZ-B2"), None, None),
            now,
            event("staff.create"),
        )
        .await
        .unwrap();
    assert!(leyla_first.must_change_password);
    assert_eq!(officer.created_at, now);

    let again = store
        .create_staff(
            &new_staff("rashad", Role::InfoDesk, Some("AZ-B1"), None, None),
            now,
            event("staff.create"),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(m)) if m.contains("login rashad")));
    let same_person = store
        .create_staff(
            &new_staff("rashad2", Role::InfoDesk, Some("AZ-B1"), None, Some("5zk7q2m")),
            now,
            event("staff.create"),
        )
        .await;
    assert!(matches!(same_person, Err(StoreError::Conflict(m)) if m.contains("FIN")));

    let (found, hash) = store.staff_by_login("rashad").await.unwrap().unwrap();
    assert_eq!(found, officer);
    assert!(onestop_domain::password::verify("a long enough password", &hash));
    assert!(store.staff_by_login("nobody").await.unwrap().is_none());
    let all: Vec<_> = store.list_staff(None).await.unwrap().into_iter().map(|s| s.login).collect();
    assert_eq!(all, ["leyla", "rashad"]);
    let b2: Vec<_> = store.list_staff(Some("AZ-B2")).await.unwrap().into_iter().map(|s| s.login).collect();
    assert_eq!(b2, ["leyla"]);
    // Two creations were audited; the refused ones wrote nothing.
    assert_eq!(store.audit_head().await.unwrap().unwrap().seq, 2);
}

/// Sessions are found by their token's hash and end by sign-out, suspension or a password change.
pub async fn sessions_end_when_they_should(db: &TestDb) {
    let store = db.store().await;
    let now = at("2026-11-28T09:00:00Z");
    let staff = store
        .create_staff(
            &new_staff("nigar", Role::CentreManager, Some("AZ-B1"), None, None),
            now,
            event("staff.create"),
        )
        .await
        .unwrap();
    let start = |n: char| NewSession {
        staff_id: staff.id,
        token_hash: n.to_string().repeat(64),
        csrf_token: format!("csrf-{n}"),
        times: SessionTimes::start(now),
        origin: None,
    };
    let a = store.start_session("nigar", &start('a'), event("session.start")).await.unwrap();
    let b = store.start_session("nigar", &start('b'), event("session.start")).await.unwrap();
    let c = store.start_session("nigar", &start('c'), event("session.start")).await.unwrap();
    let found = store.session_by_token(&"a".repeat(64)).await.unwrap().unwrap();
    assert_eq!((found.id, found.staff.login.as_str(), found.csrf_token.as_str()), (a, "nigar", "csrf-a"));
    assert_eq!(found.times, SessionTimes::start(now));
    assert!(store.session_by_token(&"z".repeat(64)).await.unwrap().is_none());

    let later = now + SignedDuration::from_mins(5);
    store.touch_session(a, later).await.unwrap();
    assert_eq!(store.session_by_token(&"a".repeat(64)).await.unwrap().unwrap().times.last_seen_at, later);

    store.end_session(b, later, event("session.end")).await.unwrap();
    assert_eq!(store.session_by_token(&"b".repeat(64)).await.unwrap().unwrap().times.revoked_at, Some(later));

    // A password change keeps the session that made it and ends the others.
    store.set_password("nigar", "new-hash", false, Some(a), later, event("staff.password")).await.unwrap();
    assert_eq!(store.session_by_token(&"a".repeat(64)).await.unwrap().unwrap().times.revoked_at, None);
    let ended = store.session_by_token(&"c".repeat(64)).await.unwrap().unwrap();
    assert_eq!((ended.id, ended.times.revoked_at), (c, Some(later)));
    assert_eq!(store.staff_by_login("nigar").await.unwrap().unwrap().1, "new-hash");

    // Suspension ends every session and shows on the account.
    let suspended = store.set_staff_active("nigar", false, later, event("staff.suspend")).await.unwrap();
    assert!(!suspended.active);
    assert!(store.session_by_token(&"a".repeat(64)).await.unwrap().unwrap().times.revoked_at.is_some());
    assert!(matches!(
        store.set_staff_active("ghost", false, later, event("staff.suspend")).await,
        Err(StoreError::NotFound(_))
    ));

    let d = store.start_session("nigar", &start('d'), event("session.start")).await.unwrap();
    assert_eq!(store.end_staff_sessions("nigar", later, event("session.end_all")).await.unwrap(), 1);
    assert!(
        store.session_by_token(&"d".repeat(64)).await.unwrap().unwrap().times.revoked_at.is_some(),
        "session {d}"
    );
}

/// Failed sign-ins are remembered per login until a success clears them.
pub async fn sign_in_throttles_are_kept(db: &TestDb) {
    let store = db.store().await;
    let now = at("2026-11-28T09:00:00Z");
    assert_eq!(store.sign_in_throttle("samir").await.unwrap(), Throttle::default());
    let (once, _) = Throttle::default().after_failure(now);
    let (twice, _) = once.after_failure(now + SignedDuration::from_secs(1));
    store.record_sign_in_failure("samir", once, event("sign_in.fail").refused()).await.unwrap();
    store.record_sign_in_failure("samir", twice, event("sign_in.fail").refused()).await.unwrap();
    assert_eq!(store.sign_in_throttle("samir").await.unwrap(), twice);
    let locked = Throttle {
        failures: 0,
        last_failure: Some(now),
        locked_until: Some(now + SignedDuration::from_mins(15)),
    };
    store.record_sign_in_failure("samir", locked, event("sign_in.lock").refused()).await.unwrap();
    assert_eq!(store.sign_in_throttle("samir").await.unwrap(), locked);

    let staff = store
        .create_staff(
            &new_staff("samir", Role::InfoDesk, Some("AZ-B1"), None, None),
            now,
            event("staff.create"),
        )
        .await
        .unwrap();
    let session = NewSession {
        staff_id: staff.id,
        token_hash: "s".repeat(64),
        csrf_token: "x".into(),
        times: SessionTimes::start(now),
        origin: None,
    };
    store.start_session("samir", &session, event("session.start")).await.unwrap();
    assert_eq!(store.sign_in_throttle("samir").await.unwrap(), Throttle::default());
}

/// Device tokens are found by hash, listed, and revoked once.
pub async fn device_tokens_are_issued_and_revoked(db: &TestDb) {
    let store = db.store().await;
    let now = at("2026-11-28T09:00:00Z");
    let scope = Scope { centre: Some("AZ-B1".into()), provider: None, window: None };
    let kiosk = store
        .issue_device_token(
            DeviceKind::Kiosk,
            &scope,
            "Entrance kiosk",
            &"k".repeat(64),
            now,
            event("device.issue"),
        )
        .await
        .unwrap();
    assert_eq!(
        (kiosk.kind, kiosk.scope.clone(), kiosk.label.as_str(), kiosk.revoked_at),
        (DeviceKind::Kiosk, scope, "Entrance kiosk", None)
    );
    assert_eq!(store.device_by_token(&"k".repeat(64)).await.unwrap(), Some(kiosk.clone()));
    assert_eq!(store.device_by_token(&"q".repeat(64)).await.unwrap(), None);
    let later = now + SignedDuration::from_hours(1);
    let revoked = store.revoke_device_token(kiosk.id, later, event("device.revoke")).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(later));
    assert!(matches!(
        store.revoke_device_token(kiosk.id, later, event("device.revoke")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.revoke_device_token(999, later, event("device.revoke")).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.list_device_tokens().await.unwrap(), vec![revoked]);
    let issued = store
        .search_audit(&AuditFilter { action: Some("device.issue".into()), ..AuditFilter::default() }, 10)
        .await
        .unwrap();
    assert_eq!(issued[0].event.record.as_deref(), Some(format!("device:{}", kiosk.id).as_str()));
}

/// The chain verifies, is searchable, and carries its signatures.
pub async fn the_audit_chain_verifies_and_searches(db: &TestDb) {
    let store = db.store().await;
    let t0 = at("2026-11-28T09:00:00Z");
    for (i, (actor, action, outcome)) in [
        ("staff:admin", "staff.create", Outcome::Done),
        ("staff:admin", "staff.suspend", Outcome::Done),
        ("anonymous", "sign_in.fail", Outcome::Refused),
        ("staff:nigar", "access.refused", Outcome::Refused),
        ("staff:admin", "staffing.plan", Outcome::Done),
    ]
    .into_iter()
    .enumerate()
    {
        let mut e =
            AuditEvent::new(t0 + SignedDuration::from_mins(i as i64), actor, action, format!("event {i}"));
        e.outcome = outcome;
        store.append_audit(e.with_record(format!("r:{i}"))).await.unwrap();
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let head = store.audit_head().await.unwrap().unwrap();
    assert_eq!(head.seq, 5);
    store.store_audit_signature(&audit::sign(&key, &head, t0)).await.unwrap();
    assert_eq!(store.last_audit_signature().await.unwrap().unwrap().seq, 5);
    assert_eq!(
        verify_chain(&store, Some(key.verifying_key())).await,
        Ok(audit::Verified { entries: 5, signatures: 1 })
    );

    let search = |filter: AuditFilter| {
        let store = Arc::clone(&store);
        async move {
            store.search_audit(&filter, 10).await.unwrap().into_iter().map(|e| e.seq).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search(AuditFilter { actor: Some("staff:admin".into()), ..Default::default() }).await,
        [5, 2, 1]
    );
    // "staff" matches staff.create and staff.suspend but not staffing.plan.
    assert_eq!(search(AuditFilter { action: Some("staff".into()), ..Default::default() }).await, [2, 1]);
    assert_eq!(search(AuditFilter { outcome: Some(Outcome::Refused), ..Default::default() }).await, [4, 3]);
    assert_eq!(search(AuditFilter { record: Some("r:3".into()), ..Default::default() }).await, [4]);
    let window = AuditFilter {
        from: Some(t0 + SignedDuration::from_mins(1)),
        to: Some(t0 + SignedDuration::from_mins(3)),
        ..Default::default()
    };
    assert_eq!(search(window).await, [3, 2]);
    assert_eq!(search(AuditFilter { before_seq: Some(3), ..Default::default() }).await, [2, 1]);
    let entry = &store.audit_entries(3, 1).await.unwrap()[0];
    assert_eq!(
        (entry.seq, entry.event.actor.as_str(), entry.event.outcome),
        (4, "staff:nigar", Outcome::Refused)
    );
    assert_eq!(entry.event.at, t0 + SignedDuration::from_mins(3));
}

/// Appends racing from many connections still form one unbroken chain.
pub async fn audit_appends_race_without_forking(db: &TestDb) {
    let store = db.store().await;
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..24 {
        let store = Arc::clone(&store);
        racers.spawn(async move {
            let e = AuditEvent::new(at("2026-11-28T09:00:00Z"), format!("device:{i}"), "race", "racing");
            store.append_audit(e).await.unwrap().seq
        });
    }
    let mut seqs = racers.join_all().await;
    seqs.sort();
    assert_eq!(seqs, (1..=24).collect::<Vec<_>>());
    assert_eq!(verify_chain(&store, None).await.map(|v| v.entries), Ok(24));
}

/// Catalogue versions are numbered in order, the newest is in force, and racing saves never share a number.
pub async fn catalogue_versions_are_kept_in_order(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.current_catalogue().await.unwrap(), None);
    assert_eq!(store.current_catalogue_version().await.unwrap(), None);
    let now = at("2026-11-28T09:00:00Z");
    let first =
        store.save_catalogue("v: 1\n", "a", "first.yaml", now, event("catalogue.import")).await.unwrap();
    let second =
        store.save_catalogue("v: 2 — ə\n", "b", "second.yaml", now, event("catalogue.import")).await.unwrap();
    assert_eq!((first, second), (1, 2));
    let current = store.current_catalogue().await.unwrap().unwrap();
    assert_eq!(
        (current.version, current.body.as_str(), current.label.as_str()),
        (2, "v: 2 — ə\n", "second.yaml")
    );
    assert_eq!(
        (current.saved_by.as_str(), current.saved_at, current.sha256.as_str()),
        ("cli:root", now, "b")
    );
    assert_eq!(store.current_catalogue_version().await.unwrap(), Some(2));
    let audited = store
        .search_audit(&AuditFilter { action: Some("catalogue".into()), ..Default::default() }, 10)
        .await
        .unwrap();
    assert_eq!(audited[0].event.record.as_deref(), Some("catalogue:2"));

    let mut racers = tokio::task::JoinSet::new();
    for i in 0..8 {
        let store = Arc::clone(&store);
        racers.spawn(async move {
            store
                .save_catalogue(&format!("v: {i}\n"), "c", "race", now, event("catalogue.import"))
                .await
                .unwrap()
        });
    }
    let mut versions = racers.join_all().await;
    versions.sort();
    assert_eq!(versions, (3..=10).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------------
// The queue.

const BAKU: &str = "BAKU-1";
const ID_CARD: &str = "MIA-ID-CARD";
const PASSPORT: &str = "MIA-PASSPORT";

fn day() -> Date {
    date(2026, 11, 30)
}

fn centre(code: &str) -> CentreCode {
    CentreCode::new(code)
}

fn issue(code: &str, service: &str, group: &str, prefix: char, on: Date) -> NewTicket {
    NewTicket {
        centre: centre(code),
        service: ServiceCode::new(service),
        group: GroupCode::new(group),
        prefix,
        day: on,
        origin: Origin::InfoDesk,
        priority: None,
        holder: None,
    }
}

fn id_card() -> NewTicket {
    issue(BAKU, ID_CARD, "identity", 'J', day())
}

fn window(number: WindowNumber, services: &[&str]) -> WindowContext {
    WindowContext {
        number,
        services: services.iter().map(|s| ServiceCode::new(*s)).collect(),
        rules: CallingRules::default(),
    }
}

/// 2026-11-30 at `hh:mm` UTC.
fn clock(hh: i8, mm: i8) -> Timestamp {
    day().at(hh, mm, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp()
}

async fn call(store: &Arc<dyn Store>, w: &WindowContext, now: Timestamp) -> Option<Called> {
    store.call_next(&centre(BAKU), day(), w, TicketRules::default(), now, event("ticket.call")).await.unwrap()
}

async fn act(
    store: &Arc<dyn Store>,
    id: TicketId,
    window: Option<WindowNumber>,
    action: Action,
    now: Timestamp,
) -> Result<Acted, ActError> {
    let name = format!("ticket.{}", action.name().as_str());
    store.act(&centre(BAKU), id, window, action, TicketRules::default().into(), now, event(&name)).await
}

async fn events_of(store: &Arc<dyn Store>, code: &str) -> Vec<QueueEvent> {
    store.queue_events(&centre(code), 0, 10_000).await.unwrap()
}

fn numbers(records: &[TicketRecord]) -> Vec<String> {
    records.iter().map(|r| r.ticket.number.to_string()).collect()
}

/// Numbers count per centre, group and day; a ticket reads back as issued, with its holder; each
/// issue appends an event and an audit entry.
pub async fn tickets_are_numbered_per_centre_group_and_day(db: &TestDb) {
    let store = db.store().await;
    let t = clock(9, 0);
    let holder = Holder { fin: Fin::parse("5ZK7Q2M").unwrap(), name: Some("Əli Məmmədov".into()) };
    let first = store
        .issue_ticket(NewTicket { holder: Some(holder.clone()), ..id_card() }, t, event("ticket.issue"))
        .await
        .unwrap();
    let mut issued = vec![first.clone()];
    for new in [
        id_card(),
        issue(BAKU, "MOJ-BIRTH", "civil", 'C', day()),
        issue(BAKU, PASSPORT, "identity", 'J', day()),
        issue(BAKU, ID_CARD, "identity", 'J', day().tomorrow().unwrap()),
        issue("GANJA-1", ID_CARD, "identity", 'J', day()),
    ] {
        issued.push(store.issue_ticket(new, t, event("ticket.issue")).await.unwrap());
    }
    assert_eq!(numbers(&issued), ["J-001", "J-002", "C-001", "J-003", "J-001", "J-001"]);
    assert_eq!(first.holder, Some(holder));
    assert_eq!((first.ticket.state.clone(), first.ticket.issued_at), (TicketState::Waiting, t));
    assert!(first.ticket.steps.is_empty());
    assert_eq!(store.ticket(first.ticket.id).await.unwrap(), Some(first.clone()));
    assert_eq!(store.ticket(TicketId(999_999)).await.unwrap(), None);
    assert_eq!(
        numbers(&store.day_tickets(&centre(BAKU), day()).await.unwrap()),
        ["J-001", "J-002", "C-001", "J-003"]
    );

    let events = events_of(&store, BAKU).await;
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.number.clone().unwrap(), e.service.clone().unwrap(), e.waiting))
        .collect();
    let s = |code: &str| ServiceCode::new(code);
    assert_eq!(
        seen,
        [
            (EventKind::Issued, "J-001".to_owned(), s(ID_CARD), Some(1)),
            (EventKind::Issued, "J-002".to_owned(), s(ID_CARD), Some(2)),
            (EventKind::Issued, "C-001".to_owned(), s("MOJ-BIRTH"), Some(1)),
            (EventKind::Issued, "J-003".to_owned(), s(PASSPORT), Some(1)),
            // The next day's queue is another queue.
            (EventKind::Issued, "J-001".to_owned(), s(ID_CARD), Some(1)),
        ]
    );
    assert_eq!(events[0].ticket, Some(first.ticket.id));
    assert!(events.windows(2).all(|p| p[0].id < p[1].id));
    assert_eq!(store.last_queue_event(&centre(BAKU)).await.unwrap(), events[4].id);
    assert_eq!(store.last_queue_event(&centre("NOWHERE")).await.unwrap(), 0);

    let audited = store
        .search_audit(&AuditFilter { action: Some("ticket.issue".into()), ..Default::default() }, 10)
        .await
        .unwrap();
    assert_eq!(audited.len(), 6);
    let oldest = audited.last().unwrap();
    assert_eq!(oldest.event.record.as_deref(), Some(format!("ticket:{}", first.ticket.id).as_str()));
    assert!(oldest.event.summary.contains("J-001"), "{}", oldest.event.summary);
    assert!(audited.iter().all(|e| !e.event.summary.contains("5ZK7Q2M") && !e.event.summary.contains("Əli")));
}

/// Forty tickets issued at once at one centre take forty consecutive numbers.
pub async fn concurrent_issues_take_distinct_consecutive_numbers(db: &TestDb) {
    let store = db.store().await;
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let store = Arc::clone(&store);
        racers.spawn(async move {
            store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap().ticket.number
        });
    }
    let mut issued: Vec<u32> = racers.join_all().await.iter().map(|n| n.sequence()).collect();
    issued.sort();
    assert_eq!(issued, (1..=40).collect::<Vec<_>>());
    // Event ids follow commit order, and so do the waiting counts they carry.
    let waiting: Vec<_> = events_of(&store, BAKU).await.iter().map(|e| e.waiting.unwrap()).collect();
    assert_eq!(waiting, (1..=40).collect::<Vec<_>>());
}

/// `call_next` calls a returning ticket first, then an appointment due, then a priority group,
/// then first come; a window calls only what it serves, and an empty call writes nothing.
pub async fn call_next_follows_the_calling_rules(db: &TestDb) {
    let store = db.store().await;
    let w5 = window(5, &[ID_CARD]);
    let back = store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap().ticket.id;
    assert_eq!(call(&store, &w5, clock(9, 1)).await.unwrap().ticket.ticket.id, back);
    act(&store, back, Some(5), Action::Start, clock(9, 2)).await.unwrap();
    act(&store, back, Some(5), Action::Park { reason: ParkReason::Payment }, clock(9, 3)).await.unwrap();
    let walk_in = store.issue_ticket(id_card(), clock(9, 4), event("ticket.issue")).await.unwrap().ticket.id;
    let pregnant = NewTicket { priority: Some(PriorityGroup::Pregnant), ..id_card() };
    let pregnant = store.issue_ticket(pregnant, clock(9, 5), event("ticket.issue")).await.unwrap().ticket.id;
    let booked = NewTicket { origin: Origin::Appointment { at: clock(10, 0) }, ..id_card() };
    let booked = store.issue_ticket(booked, clock(9, 6), event("ticket.issue")).await.unwrap();
    assert_eq!(booked.ticket.origin, Origin::Appointment { at: clock(10, 0) });
    let booked = booked.ticket.id;
    let returned = act(&store, back, None, Action::Return, clock(9, 10)).await.unwrap();
    assert_eq!(
        (returned.ticket.ticket.state, returned.ticket.ticket.reserved_for),
        (TicketState::Waiting, Some(5))
    );

    let before = (store.last_queue_event(&centre(BAKU)).await.unwrap(), store.audit_head().await.unwrap());
    assert!(call(&store, &window(6, &[PASSPORT]), clock(9, 50)).await.is_none());
    assert_eq!(
        before,
        (store.last_queue_event(&centre(BAKU)).await.unwrap(), store.audit_head().await.unwrap())
    );

    let mut order = Vec::new();
    for minute in 55..60 {
        let Some(called) = call(&store, &w5, clock(9, minute)).await else { break };
        let t = &called.ticket.ticket;
        assert_eq!(t.state, TicketState::Called { window: 5, at: clock(9, minute), recalls: 0 });
        assert_eq!(t.steps.last().map(|s| (s.action, s.at)), Some((ActionName::Call, clock(9, minute))));
        assert_eq!(store.ticket(t.id).await.unwrap().as_ref(), Some(&called.ticket));
        order.push((t.id, called.rule));
    }
    assert_eq!(
        order,
        [
            (back, CallRule::Returning),
            (booked, CallRule::Appointment),
            (pregnant, CallRule::Priority),
            (walk_in, CallRule::FirstCome)
        ]
    );
    let calls = store
        .search_audit(&AuditFilter { action: Some("ticket.call".into()), ..Default::default() }, 10)
        .await
        .unwrap();
    assert_eq!(calls[3].event.record.as_deref(), Some(format!("ticket:{back}").as_str()));
    assert!(calls[3].event.summary.contains("rule returning"), "{}", calls[3].event.summary);
    assert!(calls[0].event.summary.contains("rule first_come"), "{}", calls[0].event.summary);
    let called: Vec<_> = events_of(&store, BAKU)
        .await
        .into_iter()
        .filter(|e| e.kind == EventKind::Called)
        .map(|e| (e.ticket.unwrap(), e.window, e.waiting))
        .collect();
    assert_eq!(
        called[1..],
        [
            (back, Some(5), Some(3)),
            (booked, Some(5), Some(2)),
            (pregnant, Some(5), Some(1)),
            (walk_in, Some(5), Some(0))
        ]
    );
}

/// Groups that share a prefix letter share its counter: their numbers never collide.
pub async fn groups_sharing_a_letter_share_its_counter(db: &TestDb) {
    let store = db.store().await;
    let mut issued = Vec::new();
    for new in [
        issue(BAKU, "TRAVEL-BOOKING", "tourism", 'T', day()),
        issue(BAKU, "TICKET-SALE", "tickets", 'T', day()),
        issue(BAKU, "TRAVEL-BOOKING", "tourism", 'T', day()),
    ] {
        issued.push(store.issue_ticket(new, clock(9, 0), event("ticket.issue")).await.unwrap());
    }
    assert_eq!(numbers(&issued), ["T-001", "T-002", "T-003"]);
    assert_eq!(issued[1].group, onestop_domain::catalogue::GroupCode::new("tickets"));
}

/// A call made at `now` does not take a ticket stamped later — one issued by a request that
/// committed first but read the clock after the caller — so every ticket's steps stay in time
/// order; the next call takes it.
pub async fn a_call_does_not_take_a_ticket_from_its_future(db: &TestDb) {
    let store = db.store().await;
    let w5 = window(5, &[ID_CARD]);
    let later = store.issue_ticket(id_card(), clock(9, 1), event("ticket.issue")).await.unwrap().ticket.id;
    let before = store.last_queue_event(&centre(BAKU)).await.unwrap();
    assert!(call(&store, &w5, clock(9, 0)).await.is_none());
    assert_eq!(store.last_queue_event(&centre(BAKU)).await.unwrap(), before, "nothing written");
    let called = call(&store, &w5, clock(9, 1)).await.unwrap();
    assert_eq!(called.ticket.ticket.id, later);
}

/// Six windows calling at once over sixty waiting tickets: each ticket is called exactly once.
pub async fn windows_calling_at_once_never_share_a_ticket(db: &TestDb) {
    let store = db.store().await;
    for _ in 0..60 {
        store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap();
    }
    let mut windows = tokio::task::JoinSet::new();
    for number in 1..=6 {
        let store = Arc::clone(&store);
        windows.spawn(async move {
            let w = window(number, &[ID_CARD, PASSPORT]);
            let mut got = Vec::new();
            while let Some(called) = call(&store, &w, clock(10, 0)).await {
                assert_eq!(called.ticket.ticket.state.window(), Some(number));
                got.push(called.ticket.ticket.id);
            }
            got
        });
    }
    let mut called: Vec<TicketId> = windows.join_all().await.into_iter().flatten().collect();
    assert_eq!(called.len(), 60);
    called.sort();
    called.dedup();
    assert_eq!(called.len(), 60, "a ticket was called twice");
    let tickets = store.day_tickets(&centre(BAKU), day()).await.unwrap();
    assert!(tickets.iter().all(|r| r.ticket.steps.len() == 1 && r.ticket.state.name() == StateName::Called));
    let calls: Vec<_> =
        events_of(&store, BAKU).await.into_iter().filter(|e| e.kind == EventKind::Called).collect();
    assert_eq!(calls.len(), 60);
    // Committed one after another: the waiting count falls by one with each event.
    assert_eq!(
        calls.iter().map(|e| e.waiting.unwrap()).collect::<Vec<_>>(),
        (0..60).rev().collect::<Vec<_>>()
    );
}

/// Everything a write touches, to compare before and after a refusal.
async fn queue_snapshot(
    store: &Arc<dyn Store>,
) -> (Vec<TicketRecord>, Vec<QueueEvent>, Option<audit::ChainHead>) {
    (
        store.day_tickets(&centre(BAKU), day()).await.unwrap(),
        events_of(store, BAKU).await,
        store.audit_head().await.unwrap(),
    )
}

/// An action from the wrong window, on another centre's ticket, or that the state forbids is
/// refused and writes nothing.
pub async fn refused_actions_write_nothing(db: &TestDb) {
    let store = db.store().await;
    let id = store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap().ticket.id;
    let other = issue("GANJA-1", ID_CARD, "identity", 'J', day());
    let elsewhere = store.issue_ticket(other, clock(9, 0), event("ticket.issue")).await.unwrap().ticket.id;
    call(&store, &window(5, &[ID_CARD]), clock(9, 1)).await.unwrap();
    act(&store, id, Some(5), Action::Recall, clock(9, 2)).await.unwrap();
    act(&store, id, Some(5), Action::Recall, clock(9, 3)).await.unwrap();
    let before = queue_snapshot(&store).await;

    let refusals = [
        (Some(6), Action::Start),
        (Some(5), Action::Park { reason: ParkReason::Documents }),
        (Some(5), Action::Return),
        (Some(5), Action::Recall),
        (Some(5), Action::Finish { result: ServiceResult::Served }),
    ];
    let mut messages = Vec::new();
    for (w, action) in refusals {
        match act(&store, id, w, action, clock(9, 4)).await {
            Err(ActError::NotAtWindow { number, window }) => {
                messages.push(format!("{number} not at {window}"))
            }
            Err(ActError::Rule(e)) => messages.push(e.to_string()),
            other => panic!("not refused: {other:?}"),
        }
    }
    assert_eq!(
        messages,
        [
            "J-001 not at 6",
            "cannot park a ticket that is called",
            "cannot return a ticket that is called",
            "the ticket was already recalled 2 times; start the service or mark a no-show",
            "cannot finish a ticket that is called",
        ]
    );
    // Time running backwards is the rule's refusal too.
    assert!(matches!(
        act(&store, id, Some(5), Action::Start, clock(9, 2)).await,
        Err(ActError::Rule(QueueError::TimeBeforeLastStep))
    ));
    // Another centre's ticket, or none, is not found from here.
    assert!(
        matches!(act(&store, elsewhere, None, Action::CloseDay, clock(9, 4)).await, Err(ActError::NotFound(t)) if t == elsewhere)
    );
    assert!(matches!(
        act(&store, TicketId(424_242), None, Action::Start, clock(9, 4)).await,
        Err(ActError::NotFound(_))
    ));
    assert_eq!(queue_snapshot(&store).await, before);
    // A refused step's message is not sent; an accepted step's is, with it.
    let message = onestop_domain::notify::Message {
        channel: onestop_domain::notify::MessageChannel::Email,
        recipient: "holder@example.az".into(),
        subject: "Your visit".into(),
        body: "A survey".into(),
        topic: "survey.link".into(),
        record: None,
    };
    let with = onestop_store::queue::ActWith { rules: TicketRules::default(), notify: Some(message) };
    let refused = store
        .act(&centre(BAKU), id, Some(6), Action::Start, with.clone(), clock(9, 4), event("ticket.start"))
        .await;
    assert!(matches!(refused, Err(ActError::NotAtWindow { .. })), "{refused:?}");
    assert!(store.outbox_messages(Some("holder@example.az"), 10).await.unwrap().is_empty());
    assert_eq!(queue_snapshot(&store).await, before);
    store
        .act(&centre(BAKU), id, Some(5), Action::NoShow, with, clock(9, 5), event("ticket.no_show"))
        .await
        .unwrap();
    assert_eq!(store.outbox_messages(Some("holder@example.az"), 10).await.unwrap().len(), 1);

    // Finished tickets refuse everything.
    let done = queue_snapshot(&store).await;
    assert!(matches!(
        act(&store, id, None, Action::CloseDay, clock(9, 6)).await,
        Err(ActError::Rule(QueueError::Disallowed {
            from: StateName::Finished,
            action: ActionName::CloseDay
        }))
    ));
    assert_eq!(queue_snapshot(&store).await, done);
}

/// A transfer ends the ticket and a follow-on ticket with the same number waits at the new
/// service, or reserved for the new window.
pub async fn transfers_make_a_follow_on_ticket(db: &TestDb) {
    let store = db.store().await;
    let holder = Holder { fin: Fin::parse("5ZK7Q2M").unwrap(), name: None };
    let first = store
        .issue_ticket(
            NewTicket { holder: Some(holder.clone()), ..id_card() },
            clock(9, 0),
            event("ticket.issue"),
        )
        .await
        .unwrap();
    let id = first.ticket.id;
    call(&store, &window(5, &[ID_CARD]), clock(9, 1)).await.unwrap();
    act(&store, id, Some(5), Action::Start, clock(9, 2)).await.unwrap();
    let to = TransferTarget::Service(ServiceCode::new(PASSPORT));
    let acted = act(&store, id, Some(5), Action::Transfer { to: to.clone() }, clock(9, 3)).await.unwrap();
    assert_eq!(acted.ticket.ticket.outcome(), Some(&TicketOutcome::Transferred { to }));
    let next = acted.follow_on.unwrap();
    assert_ne!(next.ticket.id, id);
    assert_eq!(
        (next.ticket.number, next.ticket.follows, next.ticket.service.as_str(), next.ticket.issued_at),
        (first.ticket.number, Some(id), PASSPORT, clock(9, 0))
    );
    assert_eq!(
        (next.ticket.state.clone(), next.day, next.group.clone()),
        (TicketState::Waiting, day(), first.group)
    );
    assert_eq!(next.holder, Some(holder));
    assert_eq!(store.ticket(next.ticket.id).await.unwrap().as_ref(), Some(&next));
    assert_eq!(store.ticket(id).await.unwrap().as_ref(), Some(&acted.ticket));
    let kinds: Vec<_> = events_of(&store, BAKU).await.iter().map(|e| (e.kind, e.ticket, e.waiting)).collect();
    assert_eq!(
        kinds[3..],
        [(EventKind::Transferred, Some(id), Some(0)), (EventKind::Issued, Some(next.ticket.id), Some(1))]
    );

    // To a window: the follow-on waits for that window only, which calls it first.
    let other = store.issue_ticket(id_card(), clock(9, 4), event("ticket.issue")).await.unwrap().ticket.id;
    let passport = window(7, &[PASSPORT]);
    let again = call(&store, &passport, clock(9, 5)).await.unwrap().ticket.ticket.id;
    assert_eq!(again, next.ticket.id);
    let to_window =
        act(&store, again, Some(7), Action::Transfer { to: TransferTarget::Window(9) }, clock(9, 6))
            .await
            .unwrap()
            .follow_on
            .unwrap();
    assert_eq!((to_window.ticket.reserved_for, to_window.ticket.service.as_str()), (Some(9), PASSPORT));
    assert!(call(&store, &window(8, &[PASSPORT]), clock(9, 7)).await.is_none());
    let called = call(&store, &window(9, &[PASSPORT, ID_CARD]), clock(9, 7)).await.unwrap();
    assert_eq!((called.ticket.ticket.id, called.rule), (to_window.ticket.id, CallRule::Returning));
    assert_eq!(call(&store, &window(9, &[ID_CARD]), clock(9, 8)).await.unwrap().ticket.ticket.id, other);
    let same: Vec<_> = store
        .day_tickets(&centre(BAKU), day())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.ticket.number == first.ticket.number)
        .map(|r| r.ticket.follows)
        .collect();
    assert_eq!(same, [None, Some(id), Some(next.ticket.id)]);
}

/// The line is the centre's open tickets that are not parked, without steps — read after every
/// kind of write (issue, call, start, finish, park, a refused act, return, transfer, day close).
pub async fn the_line_is_the_open_tickets_without_steps(db: &TestDb) {
    let store = db.store().await;
    let line_is_current = || async {
        let line = store.line_tickets(&centre(BAKU), day()).await.unwrap();
        let expected: Vec<Ticket> = store
            .open_tickets(&centre(BAKU), day())
            .await
            .unwrap()
            .into_iter()
            .map(|r| Ticket { steps: Vec::new(), ..r.ticket })
            .filter(|t| !matches!(t.state, TicketState::Parked { .. }))
            .collect();
        assert_eq!(line, expected);
        line
    };
    assert!(line_is_current().await.is_empty());
    let mut ids = Vec::new();
    for minute in 0..5 {
        ids.push(
            store.issue_ticket(id_card(), clock(9, minute), event("ticket.issue")).await.unwrap().ticket.id,
        );
        assert_eq!(line_is_current().await.len(), ids.len());
    }
    let w = |n| window(n, &[ID_CARD]);
    // The first is served and finished, the second parked, the third served now, the fourth called.
    for (n, id) in (1..=4).zip(&ids) {
        assert_eq!(call(&store, &w(n), clock(10, 0)).await.unwrap().ticket.ticket.id, *id);
        line_is_current().await;
    }
    let park = Action::Park { reason: ParkReason::Payment };
    let served = Action::Finish { result: ServiceResult::Served };
    for (id, n, action) in [(ids[0], 1, Action::Start), (ids[0], 1, served), (ids[1], 2, Action::Start)] {
        act(&store, id, Some(n), action, clock(10, 1)).await.unwrap();
        line_is_current().await;
    }
    act(&store, ids[1], Some(2), park, clock(10, 2)).await.unwrap();
    line_is_current().await;
    // A refused write changes nothing.
    assert!(act(&store, ids[2], Some(9), Action::Start, clock(10, 2)).await.is_err());
    line_is_current().await;
    act(&store, ids[2], Some(3), Action::Start, clock(10, 2)).await.unwrap();

    let line = line_is_current().await;
    let states: Vec<_> = line.iter().map(|t| (t.id, t.state.name())).collect();
    assert_eq!(
        states,
        [(ids[2], StateName::Serving), (ids[3], StateName::Called), (ids[4], StateName::Waiting)]
    );
    assert!(store.line_tickets(&centre(BAKU), day().tomorrow().unwrap()).await.unwrap().is_empty());
    // Returned from the bank, the parked ticket is in line again; a transfer ends the ticket
    // served now and puts its follow-on in line.
    act(&store, ids[1], None, Action::Return, clock(10, 3)).await.unwrap();
    assert_eq!(line_is_current().await.len(), 4);
    let to = TransferTarget::Service(ServiceCode::new(PASSPORT));
    let acted = act(&store, ids[2], Some(3), Action::Transfer { to }, clock(10, 4)).await.unwrap();
    let follow_on = acted.follow_on.unwrap().ticket.id;
    assert!(line_is_current().await.iter().any(|t| t.id == follow_on));
    store.close_day(&centre(BAKU), day(), clock(19, 0), event("queue.close_day")).await.unwrap();
    assert!(line_is_current().await.is_empty());
}

/// Closing the day ends every open ticket, once, and the counts add up to the tickets issued;
/// the service times come from the finished services, newest first.
pub async fn closing_the_day_reconciles(db: &TestDb) {
    let store = db.store().await;
    let w = window(5, &[ID_CARD, PASSPORT]);
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap().ticket.id);
    }
    let tomorrow = issue(BAKU, ID_CARD, "identity", 'J', day().tomorrow().unwrap());
    let later = store.issue_ticket(tomorrow, clock(9, 0), event("ticket.issue")).await.unwrap().ticket.id;
    let mut minute = 0;
    let mut tick = || {
        minute += 1;
        clock(10, minute)
    };
    let served = ServiceResult::Served;
    let lives: [Vec<Action>; 6] = [
        vec![Action::Start, Action::Finish { result: served.clone() }],
        vec![
            Action::Start,
            Action::Finish { result: ServiceResult::NotServed { reason: "no photo".into() } },
        ],
        vec![Action::NoShow],
        vec![Action::Start, Action::Transfer { to: TransferTarget::Service(ServiceCode::new(PASSPORT)) }],
        vec![Action::Start, Action::Park { reason: ParkReason::Other("copying".into()) }],
        vec![],
    ];
    for (i, life) in lives.into_iter().enumerate() {
        let called = call(&store, &w, tick()).await.unwrap().ticket.ticket.id;
        assert_eq!(called, ids[i]);
        for action in life {
            act(&store, called, Some(5), action, tick()).await.unwrap();
        }
    }
    let before = events_of(&store, BAKU).await.len();
    let closing = clock(19, 0);
    let closed = store.close_day(&centre(BAKU), day(), closing, event("queue.close_day")).await.unwrap();
    let count = |name: &str| closed.by_outcome.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
    assert_eq!((closed.issued, closed.closed_now), (8, 4), "{closed:?}");
    assert_eq!(
        closed.by_outcome.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["served", "not_served", "no_show", "transferred", "centre_closed"]
    );
    assert_eq!(
        [
            count("served"),
            count("not_served"),
            count("no_show"),
            count("transferred"),
            count("centre_closed")
        ],
        [Some(1), Some(1), Some(1), Some(1), Some(4)]
    );
    assert_eq!(closed.by_outcome.iter().map(|(_, c)| c).sum::<u32>(), closed.issued);
    let tickets = store.day_tickets(&centre(BAKU), day()).await.unwrap();
    assert!(tickets.iter().all(|r| !r.ticket.is_open()));
    let parked = tickets.iter().find(|r| r.ticket.id == ids[4]).unwrap();
    assert_eq!(
        parked.ticket.steps.last().map(|s| (s.action, s.from, s.to, s.at)),
        Some((ActionName::CloseDay, StateName::Parked, StateName::Finished, closing))
    );
    let closed_events: Vec<_> = events_of(&store, BAKU).await.split_off(before);
    assert_eq!(closed_events.len(), 4);
    assert!(closed_events.iter().all(|e| e.kind == EventKind::Closed && e.at == closing));
    // Parked and called first (one ID card ticket still waits), then the waiting ones.
    assert_eq!(
        closed_events.iter().map(|e| e.waiting).collect::<Vec<_>>(),
        [Some(1), Some(1), Some(0), Some(0)]
    );
    // The next day is untouched; closing again closes nothing.
    assert_eq!(store.ticket(later).await.unwrap().unwrap().ticket.state, TicketState::Waiting);
    let again = store.close_day(&centre(BAKU), day(), closing, event("queue.close_day")).await.unwrap();
    assert_eq!((again.issued, again.closed_now, again.by_outcome), (8, 0, closed.by_outcome));
    let audited = store
        .search_audit(&AuditFilter { action: Some("queue.close_day".into()), ..Default::default() }, 10)
        .await
        .unwrap();
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[1].event.record.as_deref(), Some("queue:BAKU-1:2026-11-30"));

    // Served 10:02–10:03 (1 min, called after 61 min), 10:05–10:06 (1 min, not served, called
    // after 64) and the no-show called 10:07, marked 10:08 (after 67): newest first. The
    // transferred and the parked ones did not end a call.
    let times = store.service_times(&centre(BAKU), None, 10).await.unwrap();
    assert_eq!(times.len(), 1);
    assert_eq!(times[0].service.as_str(), ID_CARD);
    let m = SignedDuration::from_mins;
    assert_eq!(
        times[0].recent,
        [
            RecentCall { waited: Some(m(67)), end: CallEnd::NoShow(m(1)) },
            RecentCall { waited: Some(m(64)), end: CallEnd::Served(m(1)) },
            RecentCall { waited: Some(m(61)), end: CallEnd::Served(m(1)) },
        ]
    );
    assert_eq!(times[0].service_times(), [m(1), m(1)]);
    assert_eq!(store.service_times(&centre(BAKU), None, 1).await.unwrap()[0].recent.len(), 1);
    assert!(store.service_times(&centre("GANJA-1"), None, 10).await.unwrap().is_empty());
}

/// Only the newest [`SERVICE_TIME_HISTORY`] service times of a service are kept, whatever is asked.
pub async fn service_times_keep_a_bounded_history(db: &TestDb) {
    let store = db.store().await;
    let w5 = window(5, &[ID_CARD]);
    let mut now = clock(9, 0);
    let total = SERVICE_TIME_HISTORY + 5;
    for secs in 1..=i64::from(total) {
        let id = store.issue_ticket(id_card(), now, event("ticket.issue")).await.unwrap().ticket.id;
        call(&store, &w5, now).await.unwrap();
        act(&store, id, Some(5), Action::Start, now).await.unwrap();
        now += SignedDuration::from_secs(secs);
        act(&store, id, Some(5), Action::Finish { result: ServiceResult::Served }, now).await.unwrap();
    }
    let times = store.service_times(&centre(BAKU), None, 1000).await.unwrap();
    assert_eq!(times.len(), 1);
    let kept: Vec<i64> = times[0].service_times().iter().map(|d| d.as_secs()).collect();
    let newest: Vec<i64> = (6..=i64::from(total)).rev().collect();
    assert_eq!(kept, newest, "the newest {SERVICE_TIME_HISTORY}, newest first");
}

/// Service times are per service, newest first, over every spell of service, up to the limit.
pub async fn service_times_are_the_newest_first(db: &TestDb) {
    let store = db.store().await;
    let both = window(5, &[ID_CARD, PASSPORT]);
    let mut now = clock(9, 0);
    // ID card services of 3, 5, 7 minutes; a passport service of 2 + 4 minutes around a park.
    for mins in [3, 5, 7] {
        let id = store.issue_ticket(id_card(), now, event("ticket.issue")).await.unwrap().ticket.id;
        call(&store, &both, now).await.unwrap();
        act(&store, id, Some(5), Action::Start, now).await.unwrap();
        now += SignedDuration::from_mins(mins);
        act(&store, id, Some(5), Action::Finish { result: ServiceResult::Served }, now).await.unwrap();
    }
    let passport = issue(BAKU, PASSPORT, "identity", 'J', day());
    let id = store.issue_ticket(passport, now, event("ticket.issue")).await.unwrap().ticket.id;
    call(&store, &both, now).await.unwrap();
    act(&store, id, Some(5), Action::Start, now).await.unwrap();
    now += SignedDuration::from_mins(2);
    act(&store, id, Some(5), Action::Park { reason: ParkReason::Payment }, now).await.unwrap();
    now += SignedDuration::from_mins(30);
    act(&store, id, None, Action::Return, now).await.unwrap();
    call(&store, &both, now).await.unwrap();
    act(&store, id, Some(5), Action::Start, now).await.unwrap();
    now += SignedDuration::from_mins(4);
    act(&store, id, Some(5), Action::Finish { result: ServiceResult::Served }, now).await.unwrap();

    let times = store.service_times(&centre(BAKU), None, 2).await.unwrap();
    let got: Vec<_> = times.iter().map(|t| (t.service.as_str(), t.service_times())).collect();
    let m = SignedDuration::from_mins;
    assert_eq!(got, [(ID_CARD, vec![m(7), m(5)]), (PASSPORT, vec![m(6)])]);
    // One service's alone.
    let passport = onestop_domain::catalogue::ServiceCode::new(PASSPORT);
    let times = store.service_times(&centre(BAKU), Some(&passport), 2).await.unwrap();
    let got: Vec<_> = times.iter().map(|t| (t.service.as_str(), t.service_times())).collect();
    assert_eq!(got, [(PASSPORT, vec![m(6)])]);
}

/// The recent calls keep the no-shows beside the services, each with its wait before the first
/// call, and count towards the same bound; a transfer's follow-on ticket has no wait of its own.
pub async fn recent_calls_keep_no_shows_and_waits(db: &TestDb) {
    let store = db.store().await;
    let w = window(5, &[ID_CARD, PASSPORT]);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap().ticket.id);
    }
    // Served: called 9:10, served 9:11–9:16.
    assert_eq!(call(&store, &w, clock(9, 10)).await.unwrap().ticket.ticket.id, ids[0]);
    act(&store, ids[0], Some(5), Action::Start, clock(9, 11)).await.unwrap();
    act(&store, ids[0], Some(5), Action::Finish { result: ServiceResult::Served }, clock(9, 16))
        .await
        .unwrap();
    // Gone: called 9:20, recalled 9:21, marked a no-show 9:23.
    assert_eq!(call(&store, &w, clock(9, 20)).await.unwrap().ticket.ticket.id, ids[1]);
    act(&store, ids[1], Some(5), Action::Recall, clock(9, 21)).await.unwrap();
    act(&store, ids[1], Some(5), Action::NoShow, clock(9, 23)).await.unwrap();
    // Sent on to the passport service at 9:27; the follow-on is served 9:31–9:33.
    assert_eq!(call(&store, &w, clock(9, 25)).await.unwrap().ticket.ticket.id, ids[2]);
    act(&store, ids[2], Some(5), Action::Start, clock(9, 26)).await.unwrap();
    let to = TransferTarget::Service(ServiceCode::new(PASSPORT));
    let follow =
        act(&store, ids[2], Some(5), Action::Transfer { to }, clock(9, 27)).await.unwrap().follow_on.unwrap();
    assert_eq!(call(&store, &w, clock(9, 30)).await.unwrap().ticket.ticket.id, follow.ticket.id);
    act(&store, follow.ticket.id, Some(5), Action::Start, clock(9, 31)).await.unwrap();
    act(&store, follow.ticket.id, Some(5), Action::Finish { result: ServiceResult::Served }, clock(9, 33))
        .await
        .unwrap();

    let m = SignedDuration::from_mins;
    let id_calls = vec![
        RecentCall { waited: Some(m(20)), end: CallEnd::NoShow(m(3)) },
        RecentCall { waited: Some(m(10)), end: CallEnd::Served(m(5)) },
    ];
    let passport_calls = vec![RecentCall { waited: None, end: CallEnd::Served(m(2)) }];
    let times = store.service_times(&centre(BAKU), None, 10).await.unwrap();
    let got: Vec<_> = times.iter().map(|t| (t.service.as_str(), t.recent.clone())).collect();
    assert_eq!(got, [(ID_CARD, id_calls.clone()), (PASSPORT, passport_calls)]);
    let id_card_code = ServiceCode::new(ID_CARD);
    let one = store.service_times(&centre(BAKU), Some(&id_card_code), 10).await.unwrap();
    assert_eq!(one, [ServiceTimes { service: id_card_code.clone(), recent: id_calls.clone() }]);
    let newest = store.service_times(&centre(BAKU), Some(&id_card_code), 1).await.unwrap();
    assert_eq!(newest[0].recent, id_calls[..1]);
    assert_eq!(one[0].service_times(), [m(5)]);

    // No-shows count towards the bound of the history: after SERVICE_TIME_HISTORY more no-shows,
    // the service times have gone.
    let mut now = clock(10, 0);
    for _ in 0..SERVICE_TIME_HISTORY {
        let id = store.issue_ticket(id_card(), now, event("ticket.issue")).await.unwrap().ticket.id;
        now += SignedDuration::from_secs(1);
        call(&store, &w, now).await.unwrap();
        now += SignedDuration::from_secs(1);
        act(&store, id, Some(5), Action::NoShow, now).await.unwrap();
    }
    let kept = store.service_times(&centre(BAKU), Some(&id_card_code), 1000).await.unwrap();
    assert_eq!(kept[0].recent.len(), usize::try_from(SERVICE_TIME_HISTORY).unwrap());
    let one_second = SignedDuration::from_secs(1);
    assert!(
        kept[0]
            .recent
            .iter()
            .all(|c| *c == RecentCall { waited: Some(one_second), end: CallEnd::NoShow(one_second) })
    );
}

/// The log is read from a position, per centre, in pages.
pub async fn queue_events_resume_after_a_position(db: &TestDb) {
    let store = db.store().await;
    for code in [BAKU, "GANJA-1", BAKU, BAKU] {
        store
            .issue_ticket(issue(code, ID_CARD, "identity", 'J', day()), clock(9, 0), event("ticket.issue"))
            .await
            .unwrap();
    }
    let all = events_of(&store, BAKU).await;
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|e| e.centre == centre(BAKU)));
    let page = store.queue_events(&centre(BAKU), 0, 2).await.unwrap();
    assert_eq!(page, all[..2]);
    let rest = store.queue_events(&centre(BAKU), page[1].id, 10).await.unwrap();
    assert_eq!(rest, all[2..]);
    assert!(store.queue_events(&centre(BAKU), all[2].id, 10).await.unwrap().is_empty());
    assert_eq!(store.last_queue_event(&centre(BAKU)).await.unwrap(), all[2].id);
    let ganja = events_of(&store, "GANJA-1").await;
    assert_eq!((ganja.len(), ganja[0].number.as_deref()), (1, Some("J-001")));
}

/// A receiver of `queue_changes` is told the centre once a write commits.
pub async fn queue_changes_are_signalled(db: &TestDb) {
    let store = db.store().await;
    let mut changes = store.queue_changes().await.unwrap();
    let wait = std::time::Duration::from_secs(10);
    store.issue_ticket(id_card(), clock(9, 0), event("ticket.issue")).await.unwrap();
    let told = tokio::time::timeout(wait, changes.recv()).await.expect("a signal").unwrap();
    assert_eq!(told, centre(BAKU));
    // The signal comes after the commit: the log already holds the event.
    assert_eq!(events_of(&store, BAKU).await.len(), 1);
    let ganja = issue("GANJA-1", ID_CARD, "identity", 'J', day());
    store.issue_ticket(ganja, clock(9, 0), event("ticket.issue")).await.unwrap();
    let mut seen = Vec::new();
    while seen.last() != Some(&centre("GANJA-1")) {
        seen.push(tokio::time::timeout(wait, changes.recv()).await.expect("a signal").unwrap());
    }
    let mut late = store.queue_changes().await.unwrap();
    store.close_day(&centre(BAKU), day(), clock(19, 0), event("queue.close_day")).await.unwrap();
    assert_eq!(tokio::time::timeout(wait, late.recv()).await.expect("a signal").unwrap(), centre(BAKU));
}

/// A window is held by one officer at a time; an officer holds one window; signing in again is a
/// no-op; each change is an event and an audit entry.
pub async fn windows_are_held_by_one_officer_at_a_time(db: &TestDb) {
    let store = db.store().await;
    let now = clock(8, 0);
    let mut staff = Vec::new();
    for login in ["rashad", "leyla"] {
        let s = new_staff(login, Role::Officer, Some(BAKU), Some("MIA"), None);
        staff.push(store.create_staff(&s, now, event("staff.create")).await.unwrap().id);
    }
    let (rashad, leyla) = (staff[0], staff[1]);
    let baku = centre(BAKU);
    let open = |w, who, login: &'static str, at| {
        let store = Arc::clone(&store);
        async move { store.open_window(&centre(BAKU), w, who, login, at, event("window.sign_in")).await }
    };
    let first = open(5, rashad, "rashad", now).await.unwrap();
    assert_eq!(
        first,
        WindowSession {
            centre: baku.clone(),
            window: 5,
            staff_id: rashad,
            login: "rashad".into(),
            since: now
        }
    );
    let head = store.audit_head().await.unwrap();
    assert_eq!(
        open(5, rashad, "rashad", clock(8, 1)).await.unwrap(),
        first,
        "signing in again changes nothing"
    );
    assert_eq!(store.audit_head().await.unwrap(), head);
    let taken = open(5, leyla, "leyla", clock(8, 2)).await;
    assert!(matches!(&taken, Err(StoreError::Conflict(m)) if m.contains("window 5")), "{taken:?}");

    // Moving to another window leaves the first.
    open(6, rashad, "rashad", clock(8, 3)).await.unwrap();
    open(5, leyla, "leyla", clock(8, 4)).await.unwrap();
    let windows: Vec<_> =
        store.open_windows(&baku).await.unwrap().into_iter().map(|s| (s.window, s.staff_id)).collect();
    assert_eq!(windows, [(5, leyla), (6, rashad)]);
    assert_eq!(
        store.close_window(&baku, rashad, clock(8, 5), event("window.sign_out")).await.unwrap(),
        Some(6)
    );
    assert_eq!(store.close_window(&baku, rashad, clock(8, 6), event("window.sign_out")).await.unwrap(), None);
    assert_eq!(store.open_windows(&baku).await.unwrap().len(), 1);

    let log: Vec<_> =
        events_of(&store, BAKU).await.into_iter().map(|e| (e.kind, e.window, e.ticket)).collect();
    assert_eq!(
        log,
        [
            (EventKind::WindowOpened, Some(5), None),
            (EventKind::WindowClosed, Some(5), None),
            (EventKind::WindowOpened, Some(6), None),
            (EventKind::WindowOpened, Some(5), None),
            (EventKind::WindowClosed, Some(6), None),
        ]
    );
    let audited = store
        .search_audit(&AuditFilter { action: Some("window".into()), ..Default::default() }, 10)
        .await
        .unwrap();
    let records: Vec<_> = audited.iter().map(|e| e.event.record.clone().unwrap()).collect();
    assert_eq!(records, ["window:BAKU-1:6", "window:BAKU-1:5", "window:BAKU-1:6", "window:BAKU-1:5"]);
}
