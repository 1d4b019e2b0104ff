//! The fast path to the database file: one writer thread that commits in groups, and a set of
//! reader connections used from blocking tasks. Both drive SQLite in-process through `rusqlite`,
//! so a whole operation — its reads, writes and the audit append — runs as plain function calls
//! on one thread instead of one thread hand-off per statement and row.
//!
//! **Group commit.** Writers hand the writer thread a closure. The thread opens a transaction
//! (`BEGIN IMMEDIATE`, under this process's writer lock shared with [`crate::SqliteStore`]'s other
//! writes), runs the first closure in a savepoint, then every closure that queued meanwhile — each
//! in its own savepoint, so one that fails is rolled back alone — and commits them all with one
//! `COMMIT`. The commit writes the write-ahead log without syncing it (`synchronous = NORMAL` on
//! the writer's connection) and the writer goes on to its next batch, while a syncer thread syncs
//! the log (`fdatasync`) — one sync for every commit that came meanwhile — and only then answers
//! their writers, in commit order: an acknowledged write is on disk. A sync covers every frame of
//! the log written before it, so a crash keeps a prefix of the commits, and never loses one that
//! was answered. Under load the batch grows by itself (what queued during one commit goes into the
//! next); alone, a write commits at once.
//!
//! **Checkpoints.** SQLite's automatic checkpoint runs inside the `COMMIT` that crosses its
//! threshold, so the writers of that batch — and every write queued behind it — would wait for it.
//! The engine's connections turn it off; once [`CHECKPOINT_AFTER`] writes have committed since
//! the last request, the writer asks a checkpointer thread of its own, on its own connection, for
//! a `PASSIVE` checkpoint (it never waits for readers or the writer), and goes on committing. When
//! that is done, the writer copies the few pages committed meanwhile itself before its next batch:
//! SQLite starts the log again from its beginning only in a write that finds it wholly copied.

use onestop_store::{GroupCommit, SYNC_BOUNDS_MICROS, StoreError, SyncTimes};
use rusqlite::{Connection, OpenFlags};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most writes one commit carries: bounds the wait of the first writer of a batch.
const MOST_PER_COMMIT: usize = 256;

/// Writes committed between two requests for a checkpoint of the write-ahead log. A write changes
/// about 5 to 15 pages, so the log stays within some 4,000 pages (16 MB) between checkpoints.
const CHECKPOINT_AFTER: usize = 256;

/// Statements kept prepared per connection.
const PREPARED: usize = 64;

/// The page cache of every connection [`open`] opens, in KiB (SQLite's negative `cache_size`):
/// the readers' and the checkpointer's; the writer's is then set to [`WRITER_CACHE_KIB`].
const CACHE_KIB: i64 = 64 * 1024;

/// The writer connection's page cache, in KiB: room for the leaves a stream of writes keeps
/// touching — the tails of the indexes of some thousand windows and fifty centres — and small
/// enough to walk quickly. SQLite walks the whole cache at the end of every transaction in which a
/// B-tree page split renumbered pages (it renumbers through a page number past 1 GiB, and the walk
/// ends the transaction by dropping pages past the end of the file), so with the [`CACHE_KIB`] of
/// the other connections the writer spent some 7 % of its time there.
const WRITER_CACHE_KIB: i64 = 8 * 1024;

/// Reader connections kept open between reads (opening one parses the schema, which costs more
/// than most reads), and the most reads run apart at once.
const READERS: usize = 16;

/// Answers a writer once its batch has committed (or failed to).
type Deliver = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A write: run on the writer thread's connection inside the open transaction (or told why it
/// could not be); answers how to deliver its result after the commit, or `None` when it failed
/// (and has answered already), so its savepoint must be rolled back.
type Job = Box<dyn FnOnce(Result<&Connection, StoreError>) -> Option<Deliver> + Send>;

/// The writer thread and the reader connections of one database file.
#[derive(Debug)]
pub(crate) struct Engine {
    jobs: Sender<Job>,
    /// Writes handed to the writer thread so far.
    sent: Arc<AtomicU64>,
    /// Batches committed so far.
    commits: Arc<AtomicU64>,
    /// Syncs of the log so far, and how long they took.
    syncs: Arc<SyncRecord>,
    readers: Mutex<Vec<Connection>>,
    /// Set by [`Engine::close`]: no more reads or writes.
    closed: AtomicBool,
    /// A permit per reader connection.
    reading: tokio::sync::Semaphore,
    file: PathBuf,
    busy_timeout: Duration,
}

impl Engine {
    /// Opens the writer connection to `file` and starts its thread; `lock` is the process's
    /// writer lock, held by the thread while a batch is open.
    pub(crate) fn start(
        file: &Path,
        busy_timeout: Duration,
        lock: Arc<tokio::sync::Mutex<()>>,
    ) -> Result<Self, StoreError> {
        let conn = open(file, busy_timeout)?;
        // The writer's commits write the log without syncing it; the syncer thread syncs it.
        conn.execute_batch(&format!("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{WRITER_CACHE_KIB};"))
            .map_err(db)?;
        let checkpointer = open(file, busy_timeout)?;
        let (synced, to_sync) = std::sync::mpsc::channel::<Vec<Deliver>>();
        let mut log = file.as_os_str().to_owned();
        log.push("-wal");
        let log = PathBuf::from(log);
        let syncs = Arc::new(SyncRecord::default());
        let synced_so_far = Arc::clone(&syncs);
        std::thread::Builder::new()
            .name("onestop-sqlite-syncer".into())
            .spawn(move || sync_loop(&log, &to_sync, &synced_so_far))
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite syncer: {e}")))?;
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let (due, checkpoints) = std::sync::mpsc::sync_channel::<()>(1);
        let backfilled = Arc::new(AtomicBool::new(false));
        let told = Arc::clone(&backfilled);
        let commits = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&commits);
        std::thread::Builder::new()
            .name("onestop-sqlite-checkpointer".into())
            .spawn(move || {
                // Ends when the writer thread (the sender) does.
                while checkpoints.recv().is_ok() {
                    checkpoint(&checkpointer);
                    told.store(true, Ordering::Release);
                }
            })
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite checkpointer: {e}")))?;
        let checkpoints = Checkpoints { due, backfilled };
        std::thread::Builder::new()
            .name("onestop-sqlite-writer".into())
            .spawn(move || write_loop(&conn, &queue, &lock, &counted, &checkpoints, &synced))
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Self {
            jobs,
            sent: Arc::default(),
            commits,
            syncs,
            readers: Mutex::default(),
            closed: Default::default(),
            reading: tokio::sync::Semaphore::new(READERS),
            file: file.to_owned(),
            busy_timeout,
        })
    }

    /// Runs `op` in the next group commit and answers its result once that commit is durable.
    /// When `op` fails, what it wrote is rolled back (and nothing else of the batch).
    pub(crate) async fn write<T, E>(
        &self,
        op: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.write_then(op, |_| {}).await
    }

    /// [`Engine::write`], running `after` with `op`'s result on the syncer thread once its change
    /// is committed and durable —
    /// even when the caller has stopped waiting (a dropped request), so that what must follow a
    /// commit, such as forgetting a remembered read, always does.
    pub(crate) async fn write_then<T, E>(
        &self,
        op: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        after: impl FnOnce(&T) + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.closed.load(Ordering::Relaxed) {
            return Err(closed().into());
        }
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            let conn = match conn {
                Ok(conn) => conn,
                Err(e) => {
                    let _ = answer.send(Err(e.into()));
                    return None;
                }
            };
            match op(conn) {
                Ok(value) => Some(Box::new(move |committed: Result<(), StoreError>| {
                    if committed.is_ok() {
                        after(&value);
                    }
                    // The writer may have gone (its request was cancelled): nobody to tell.
                    let _ = answer.send(committed.map(|()| value).map_err(E::from));
                })),
                Err(e) => {
                    let _ = answer.send(Err(e));
                    None
                }
            }
        });
        self.jobs.send(job).map_err(|_| StoreError::Other("the SQLite writer has stopped".into()))?;
        self.sent.fetch_add(1, Ordering::Relaxed);
        answered.await.map_err(|_| StoreError::Other("the write was aborted".into()))?
    }

    /// Runs `op` on a reader connection in one read transaction (one consistent snapshot), right
    /// here on the caller's thread. For bounded reads only — a point lookup, a centre's open
    /// tickets — which take microseconds: in WAL mode a reader never waits for the writer, and a
    /// hand-off to another thread would cost more than the read.
    pub(crate) fn read<T>(
        &self,
        op: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take_reader()?;
        let result = exec(&conn, "BEGIN", []).map(drop).and_then(|()| {
            let value = op(&conn);
            let ended = exec(&conn, "COMMIT", []).map(drop);
            let value = value?;
            ended.map(|()| value)
        });
        if conn.is_autocommit() {
            self.give_back(conn);
        }
        result
    }

    /// [`Engine::read`] on a blocking task, for reads that grow with the data (a whole day of a
    /// centre), so they never hold up the async threads.
    pub(crate) async fn read_apart<T: Send + 'static>(
        self: &Arc<Self>,
        op: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = self.reading.acquire().await.map_err(|_| stopped())?;
        let engine = Arc::clone(self);
        let read = tokio::task::spawn_blocking(move || engine.read(op))
            .await
            .map_err(|e| StoreError::Other(format!("a read was aborted: {e}")))?;
        drop(permit);
        read
    }

    /// How many batches the writer has committed (or tried to), how many writes were handed to it
    /// (their ratio is the size of the groups), and how many syncs of the log the syncer has made
    /// (or tried to), and how long they took.
    pub(crate) fn counts(&self) -> GroupCommit {
        GroupCommit {
            commits: self.commits.load(Ordering::Relaxed),
            writes: self.sent.load(Ordering::Relaxed),
            sync_times: self.syncs.times(),
        }
    }

    /// Refuses further reads and writes and closes the idle reader connections (the writer
    /// thread ends when the last handle to the store is dropped).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        if let Ok(mut idle) = self.readers.lock() {
            idle.clear();
        }
    }

    fn take_reader(&self) -> Result<Connection, StoreError> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(closed());
        }
        let idle = self.readers.lock().map_err(|_| stopped())?.pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open(&self.file, self.busy_timeout),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.readers.lock()
            && idle.len() < READERS
        {
            idle.push(conn);
        }
    }
}

fn closed() -> StoreError {
    StoreError::Other("the database is closed".into())
}

fn stopped() -> StoreError {
    StoreError::Other("the SQLite engine is closed or its lock poisoned".into())
}

/// Maps a driver error onto the storage contract's errors.
pub(crate) fn db(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound("record".into()),
        rusqlite::Error::SqliteFailure(e, message)
            if e.code == rusqlite::ErrorCode::ConstraintViolation
                && matches!(
                    e.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
        {
            StoreError::Conflict(message.clone().unwrap_or_else(|| error.to_string()))
        }
        _ => StoreError::Other(error.to_string()),
    }
}

/// A connection with the store's settings (see [`crate::connect_options`]): WAL, `synchronous =
/// FULL`, the busy timeout, foreign keys. No memory map (SQLite's default): a reader that finds
/// the database changed since its last read drops its page cache and unmaps its whole map, so
/// under a stream of commits a map costs an `munmap`, a new map and page faults on nearly every
/// read, more than the `pread`s it saves (see docs/benchmarks.md, "the round of 29 November,
/// afternoon").
fn open(file: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(file, flags)
        .map_err(|e| StoreError::Other(format!("cannot open SQLite database {}: {e}", file.display())))?;
    conn.busy_timeout(busy_timeout).map_err(db)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{CACHE_KIB};
         PRAGMA wal_autocheckpoint = 0;"
    ))
    .map_err(db)?;
    conn.set_prepared_statement_cache_capacity(PREPARED);
    Ok(conn)
}

/// Copies what it can of the write-ahead log into the database without waiting for anyone
/// (`PASSIVE`). Best effort: pages a reader still holds are copied by a later checkpoint, and the
/// log stays correct meanwhile.
fn checkpoint(conn: &Connection) {
    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
}

/// The writer's side of the checkpointer thread.
struct Checkpoints {
    /// Asks for a checkpoint (a full channel means one is asked for already).
    due: SyncSender<()>,
    /// Set by the checkpointer after each checkpoint.
    backfilled: Arc<AtomicBool>,
}

/// The writer thread: one batch per turn until every sender is gone.
fn write_loop(
    conn: &Connection,
    queue: &Receiver<Job>,
    lock: &tokio::sync::Mutex<()>,
    commits: &AtomicU64,
    checkpoints: &Checkpoints,
    synced: &Sender<Vec<Deliver>>,
) {
    let mut since_checkpoint = 0;
    while let Ok(first) = queue.recv() {
        if checkpoints.backfilled.swap(false, Ordering::Acquire) {
            // The checkpointer copied the log up to where it began; copy what came since, so that
            // this transaction finds the whole log copied and starts it again from its beginning
            // (only a write that begins then may; otherwise the log would grow for ever).
            checkpoint(conn);
        }
        let _writer = lock.blocking_lock();
        if let Err(e) = exec(conn, "BEGIN IMMEDIATE", []) {
            first(Err(e));
            continue;
        }
        let mut done = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            if let Some(deliver) = run(conn, job) {
                done.push(deliver);
            }
            if done.len() < MOST_PER_COMMIT {
                // Whatever queued meanwhile joins this batch.
                next = queue.try_recv().ok();
            }
        }
        let committed = exec(conn, "COMMIT", []);
        commits.fetch_add(1, Ordering::Relaxed);
        since_checkpoint += done.len();
        // Committed: answered by the syncer once the log is synced past this commit. Otherwise
        // (nothing of the batch is kept, or nobody is left to sync) answered here, with why.
        let refused = match committed {
            Ok(_) => synced
                .send(done)
                .err()
                .map(|unsent| (unsent.0, StoreError::Other("the SQLite syncer has stopped".into()))),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Some((done, e))
            }
        };
        if let Some((done, why)) = refused {
            for deliver in done {
                deliver(Err(why.clone()));
            }
        }
        if since_checkpoint >= CHECKPOINT_AFTER {
            // Already due and not yet taken up: this one adds nothing.
            let _ = checkpoints.due.try_send(());
            since_checkpoint = 0;
        }
    }
}

/// The syncer thread: syncs the write-ahead log after each commit of the writer (those that came
/// meanwhile share the sync) and only then answers their writers, in commit order.
fn sync_loop(log: &Path, batches: &Receiver<Vec<Deliver>>, syncs: &SyncRecord) {
    let mut file: Option<std::fs::File> = None;
    while let Ok(first) = batches.recv() {
        let mut ready = vec![first];
        ready.extend(batches.try_iter());
        let synced = syncs.timed(|| sync(&mut file, log));
        for deliver in ready.into_iter().flatten() {
            deliver(synced.clone());
        }
    }
}

/// The syncer's count of its syncs, in the buckets of time of [`SyncTimes`].
#[derive(Debug, Default)]
struct SyncRecord {
    buckets: [AtomicU64; SYNC_BOUNDS_MICROS.len() + 1],
    micros: AtomicU64,
}

impl SyncRecord {
    /// Runs `sync` and counts how long it took. A duration of the disk's, for `/metrics`, on the
    /// monotonic clock; no rule reads it.
    #[allow(clippy::disallowed_methods)]
    fn timed<T>(&self, sync: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = sync();
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.buckets[SyncTimes::bucket_of(micros)].fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(micros, Ordering::Relaxed);
        result
    }

    fn times(&self) -> SyncTimes {
        SyncTimes {
            buckets: self.buckets.each_ref().map(|n| n.load(Ordering::Relaxed)),
            micros: self.micros.load(Ordering::Relaxed),
        }
    }
}

/// `fdatasync`s the log at `path` through `file`, opened at the first sync.
fn sync(file: &mut Option<std::fs::File>, path: &Path) -> Result<(), StoreError> {
    let failed = |e: std::io::Error| {
        StoreError::Other(format!("the write-ahead log could not be synced ({e}): the write may not be kept"))
    };
    let log = match file {
        Some(log) => log,
        None => file.insert(std::fs::OpenOptions::new().write(true).open(path).map_err(failed)?),
    };
    log.sync_data().map_err(failed)
}

/// Runs one job in its own savepoint: released when it succeeds, rolled back when it fails or
/// panics (a panicking job's writer hears that its write was aborted).
fn run(conn: &Connection, job: Job) -> Option<Deliver> {
    if let Err(e) = exec(conn, "SAVEPOINT job", []) {
        job(Err(e));
        return None;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| job(Ok(conn)))).ok().flatten();
    let undo = "ROLLBACK TO job; RELEASE job";
    match outcome {
        Some(deliver) => match exec(conn, "RELEASE job", []).map(drop) {
            Ok(()) => Some(deliver),
            Err(e) => {
                // Not kept after all: undo it and tell its writer.
                let _ = conn.execute_batch(undo);
                deliver(Err(e));
                None
            }
        },
        None => {
            let _ = conn.execute_batch(undo);
            None
        }
    }
}

/// Column `column` of `row`: by name, or by position where a hot read knows it (reading by name
/// compares the names of the columns before it).
pub(crate) fn col<T: rusqlite::types::FromSql>(
    row: &rusqlite::Row,
    column: impl rusqlite::RowIndex,
) -> Result<T, StoreError> {
    row.get(column).map_err(db)
}

/// Timestamp column `name` of `row` (stored as canonical text).
pub(crate) fn at(row: &impl Columns, name: &str) -> Result<jiff::Timestamp, StoreError> {
    onestop_store::parse_timestamp(&row.value::<String>(name)?)
}

/// Nullable timestamp column `name` of `row`.
pub(crate) fn opt_at(row: &impl Columns, name: &str) -> Result<Option<jiff::Timestamp>, StoreError> {
    row.value::<Option<String>>(name)?.as_deref().map(onestop_store::parse_timestamp).transpose()
}

/// Every row of `sql` (a statement kept prepared), each mapped by `map`.
pub(crate) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    mut map: impl FnMut(&rusqlite::Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = statement.query(params).map_err(db)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// The first row of `sql` (a statement kept prepared), mapped by `map`, if there is one.
pub(crate) fn one<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&rusqlite::Row) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = statement.query(params).map_err(db)?;
    let first = rows.next().map_err(db)?.map(map).transpose()?;
    // Step a RETURNING statement to its end, so that its change is complete.
    while rows.next().map_err(db)?.is_some() {}
    Ok(first)
}

/// Runs `sql` (a statement kept prepared) and answers how many rows it changed.
pub(crate) fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    conn.prepare_cached(sql).and_then(|mut s| s.execute(params)).map_err(db)
}

/// Reading a column by name, the same way from an sqlx row and from an engine row, so that one
/// mapping function serves both paths.
pub(crate) trait Columns {
    /// Column `name`, decoded as `T`.
    fn value<T>(&self, name: &str) -> Result<T, StoreError>
    where
        T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>;
}

impl Columns for sqlx::sqlite::SqliteRow {
    fn value<T>(&self, name: &str) -> Result<T, StoreError>
    where
        T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        sqlx::Row::try_get(self, name).map_err(crate::db)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn value<T>(&self, name: &str) -> Result<T, StoreError>
    where
        T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        self.get(name).map_err(db)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    async fn engine(dir: &tempfile::TempDir) -> Arc<Engine> {
        let file = dir.path().join("engine.db");
        // Create the file as the store does (the engine opens an existing database).
        drop(Connection::open(&file).unwrap());
        let engine = Arc::new(Engine::start(&file, Duration::from_secs(5), Arc::default()).unwrap());
        engine
            .write(|c| exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL UNIQUE)", []))
            .await
            .unwrap();
        engine
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_commit_together_and_a_failing_one_alone_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        let writes = (0..300_i64).map(|n| {
            let engine = Arc::clone(&engine);
            tokio::spawn(async move {
                engine
                    .write(move |c| {
                        exec(c, "INSERT INTO t (n) VALUES (?)", [n])?;
                        if n % 3 == 0 {
                            // Written, then refused: the savepoint must take the row back.
                            return Err(StoreError::Conflict(format!("{n} refused")));
                        }
                        if n % 7 == 0 {
                            panic!("a write that panics");
                        }
                        Ok(n)
                    })
                    .await
            })
        });
        let mut kept = Vec::new();
        for (n, answer) in (0..).zip(futures_util::future::join_all(writes).await) {
            match answer.unwrap() {
                Ok(v) => {
                    assert_eq!(v, n);
                    kept.push(n);
                }
                Err(StoreError::Conflict(why)) => assert_eq!((n % 3, why), (0, format!("{n} refused"))),
                Err(StoreError::Other(why)) => {
                    assert_eq!((n % 7, why.as_str()), (0, "the write was aborted"))
                }
                Err(e) => panic!("write {n}: {e}"),
            }
        }
        let expected: Vec<i64> = (0..300).filter(|n| n % 3 != 0 && n % 7 != 0).collect();
        assert_eq!(kept, expected, "every third refused, every seventh panicked");
        // What was acknowledged is in the file, seen from a connection of its own; nothing else is.
        let other = Connection::open(dir.path().join("engine.db")).unwrap();
        let stored = all(&other, "SELECT n FROM t ORDER BY n", [], |r| col::<i64>(r, "n")).unwrap();
        assert_eq!(stored, kept);
        // The writer survived the panics.
        assert_eq!(engine.write(|c| exec(c, "DELETE FROM t", [])).await.unwrap(), kept.len());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_is_answered_only_after_a_sync_of_the_log_that_follows_its_commit() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        for n in 0..20_i64 {
            let before = engine.counts();
            engine.write(move |c| exec(c, "INSERT INTO t (n) VALUES (?)", [n])).await.unwrap();
            let after = engine.counts();
            // Alone, the write had a commit of its own, and a sync began after that commit.
            assert_eq!(after.commits, before.commits + 1, "write {n}");
            let (syncs_before, syncs) = (before.sync_times.count(), after.sync_times.count());
            assert!(syncs > syncs_before, "write {n} was answered before the log was synced");
        }
        // Concurrent writes: every one answered, and no more syncs than commits.
        let writes: Vec<_> = (100..400_i64)
            .map(|n| {
                let engine = Arc::clone(&engine);
                tokio::spawn(async move {
                    engine.write(move |c| exec(c, "INSERT INTO t (n) VALUES (?)", [n])).await
                })
            })
            .collect();
        for write in writes {
            assert_eq!(write.await.unwrap().unwrap(), 1);
        }
        let GroupCommit { commits, sync_times, .. } = engine.counts();
        let syncs = sync_times.count();
        assert!(syncs <= commits, "{syncs} syncs for {commits} commits");
        // The syncs were timed: they took some time.
        assert!(sync_times.micros > 0, "{sync_times:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_that_queue_during_a_commit_share_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (running, started) = tokio::sync::oneshot::channel::<()>();
        let GroupCommit { commits: commits_before, writes: sent_before, .. } = engine.counts();
        // The first write holds the writer until the others are queued behind it; they are sent
        // only once it runs, so none of them can begin a batch of its own before it.
        let first = {
            let engine = Arc::clone(&engine);
            tokio::spawn(async move {
                engine
                    .write(move |c| {
                        running.send(()).unwrap();
                        gate.recv().unwrap();
                        exec(c, "INSERT INTO t (n) VALUES (0)", [])
                    })
                    .await
            })
        };
        started.await.unwrap();
        let rest: Vec<_> = (1..=50_i64)
            .map(|n| {
                let engine = Arc::clone(&engine);
                tokio::spawn(async move {
                    engine.write(move |c| exec(c, "INSERT INTO t (n) VALUES (?)", [n])).await
                })
            })
            .collect();
        while engine.counts().writes < sent_before + 51 {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        for write in rest {
            assert_eq!(write.await.unwrap().unwrap(), 1);
        }
        // The first write's batch took the 50 that had queued: one commit for all 51 writes.
        assert_eq!(engine.counts().commits - commits_before, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_checkpoints_so_the_log_stops_growing() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        let wal = dir.path().join("engine.db-wal");
        let write = |n: i64| {
            let engine = Arc::clone(&engine);
            async move { engine.write(move |c| exec(c, "INSERT INTO t (n) VALUES (?)", [n])).await.unwrap() }
        };
        // One write per commit, so the log grows by at least a page per write until a checkpoint
        // lets the writer start it again from the beginning.
        let first = i64::try_from(2 * CHECKPOINT_AFTER).unwrap();
        for n in 0..first {
            write(n).await;
        }
        let early = std::fs::metadata(&wal).unwrap().len();
        for n in first..first * 6 {
            write(n).await;
        }
        let late = std::fs::metadata(&wal).unwrap().len();
        // SQLite's own checkpoints are off: without the engine's, the log would be six times as long
        // as after the first writes; with them it is reused (a checkpoint runs beside the writer,
        // so it may finish a little after it was asked for).
        assert!(late < 3 * early, "the log grew from {early} to {late} bytes");
        let other = Connection::open(dir.path().join("engine.db")).unwrap();
        let count = one(&other, "SELECT COUNT(*) AS k FROM t", [], |r| col::<i64>(r, "k")).unwrap();
        assert_eq!(count, Some(first * 6));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_is_built_and_set_for_a_writer_beside_readers() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        let options = engine.read(|c| all(c, "PRAGMA compile_options", [], |r| col::<String>(r, 0))).unwrap();
        // `.cargo/config.toml`'s flags reached the bundled build: no process-wide mutex on the
        // allocator's statistics, nor on one page cache shared by every connection.
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
        let cache = |c: &Connection| one(c, "PRAGMA cache_size", [], |r| col::<i64>(r, 0));
        assert_eq!(engine.write(move |c| cache(c)).await.unwrap(), Some(-WRITER_CACHE_KIB));
        assert_eq!(engine.read(cache).unwrap(), Some(-CACHE_KIB));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_see_what_was_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        for n in 1..=5_i64 {
            engine.write(move |c| exec(c, "INSERT INTO t (n) VALUES (?)", [n])).await.unwrap();
            let seen =
                engine.read(|c| one(c, "SELECT MAX(n) AS m FROM t", [], |r| col::<i64>(r, "m"))).unwrap();
            assert_eq!(seen, Some(n));
            let counted = engine
                .read_apart(|c| one(c, "SELECT COUNT(*) AS k FROM t", [], |r| col::<i64>(r, "k")))
                .await
                .unwrap();
            assert_eq!(counted, Some(n));
        }
        // A unique violation is a conflict, and leaves the table as it was.
        let again = engine.write(|c| exec(c, "INSERT INTO t (n) VALUES (1)", [])).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let total =
            engine.read(|c| one(c, "SELECT COUNT(*) AS k FROM t", [], |r| col::<i64>(r, "k"))).unwrap();
        assert_eq!(total, Some(5));
    }
}
