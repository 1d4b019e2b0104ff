//! The contract every backend must honour. Each function takes a fresh [`TestDb`] and panics on a
//! broken promise; [`crate::contract_tests!`] runs them on both backends.

use crate::TestDb;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::audit::{self, AuditEvent, ChainVerifier, Outcome};
use onestop_domain::idempotency::{Claim, IdempotencyKey, RequestFingerprint, StoredResponse};
use onestop_domain::identity::{DeviceKind, Role, Scope};
use onestop_domain::pii::{Fin, Phone};
use onestop_domain::session::SessionTimes;
use onestop_domain::throttle::Throttle;
use onestop_store::dump::DumpError;
use onestop_store::{AuditFilter, NewSession, NewStaff, Store, StoreError};
use std::path::Path;
use std::sync::Arc;

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
    store
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
    // 14 idempotency keys, 2 persons, 2 staff, 1 session, 1 throttle, 1 device token,
    // 1 catalogue version, 7 audit entries and 1 signature.
    let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let head = store.audit_head().await.unwrap().unwrap();
    store.store_audit_signature(&audit::sign(&key, &head, now)).await.unwrap();
    30
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
    fill_for_dump(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let summary = store.export_dump(&first).await.unwrap();
    assert_eq!(summary.rows, 30);

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
