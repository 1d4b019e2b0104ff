//! The contract every backend must honour. Each function takes a fresh [`TestDb`] and panics on a
//! broken promise; [`crate::contract_tests!`] runs them on both backends.

use crate::TestDb;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::idempotency::{Claim, IdempotencyKey, RequestFingerprint, StoredResponse};
use onestop_store::Store;
use onestop_store::dump::DumpError;
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
/// timestamps and text whose byte order differs from a locale's order.
pub async fn fill_for_dump(store: &Arc<dyn Store>) {
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
    assert_eq!(summary.rows, 14);

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
    assert!(matches!(&err, DumpError::NotEmpty(t) if t == "idempotency_keys"), "{err}");
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
