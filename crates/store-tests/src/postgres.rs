//! The test PostgreSQL server: from `ONESTOP_TEST_POSTGRES_URL`, or a throwaway cluster.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use url::Url;

/// The server's administrative URL, found or started once per process.
static SERVER: OnceLock<Result<Url, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);
/// Whether a cluster this process starts keeps PostgreSQL's durable defaults (see
/// [`crate::durable_postgres`]); tests run faster without them.
pub(crate) static DURABLE: AtomicBool = AtomicBool::new(false);

/// Creates a new, empty database and answers its URL.
pub(crate) async fn new_database() -> Result<String, String> {
    let admin = SERVER.get_or_init(server).clone()?;
    let name =
        format!("onestop_test_{}_{}", std::process::id(), NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
    let store =
        onestop_store_postgres::PgStore::connect(admin.as_str(), 1, std::time::Duration::from_secs(10))
            .await
            .map_err(|e| format!("cannot reach the test server: {e}"))?;
    store.create_database(&name).await.map_err(|e| format!("cannot create database {name}: {e}"))?;
    onestop_store::SystemStore::close(&store).await;
    let mut url = admin.clone();
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

fn server() -> Result<Url, String> {
    if let Ok(url) = std::env::var("ONESTOP_TEST_POSTGRES_URL") {
        return Url::parse(&url).map_err(|e| format!("ONESTOP_TEST_POSTGRES_URL is not a URL: {e}"));
    }
    let bin = find_binaries()?;
    start_cluster(&bin)
}

fn find_binaries() -> Result<PathBuf, String> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().map(|d| d.path().join("bin")).collect())
        .unwrap_or_default();
    candidates.sort();
    candidates.reverse();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
        .ok_or_else(|| {
            "no PostgreSQL binaries (initdb and postgres) in /usr/lib/postgresql/*/bin or on PATH".into()
        })
}

/// The user a cluster runs as: `postgres` when this process is root (initdb refuses root).
fn run_as() -> Result<Option<(u32, u32)>, String> {
    if !is_root() {
        return Ok(None);
    }
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id").args([flag, "postgres"]).output().map_err(|e| format!("id: {e}"))?;
        String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| {
            "running as root and there is no postgres user to run the test cluster as".to_string()
        })
    };
    Ok(Some((id("-u")?, id("-g")?)))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Removes clusters left by test processes that are gone.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("onestop-pg-").and_then(|p| p.parse::<u32>().ok())
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn start_cluster(bin: &Path) -> Result<Url, String> {
    let owner = run_as()?;
    let parent = std::env::temp_dir();
    remove_stale(&parent);
    let dir = parent.join(format!("onestop-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let data = dir.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "--no-sync", "-D"])
        .arg(&data);
    as_owner(&mut initdb, owner);
    let out = initdb.output().map_err(|e| format!("cannot run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let port = 5432;
    let dir_text = dir.to_str().ok_or("the temporary folder's path is not UTF-8")?.to_owned();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let bin = bin.to_owned();
    let speed: &[&str] = if DURABLE.load(Ordering::Relaxed) {
        &[]
    } else {
        &["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    };
    // The server is the child of a thread that lives as long as the process: when the process
    // exits, the kernel sends the server SIGINT (a fast shutdown) through PR_SET_PDEATHSIG.
    std::thread::Builder::new()
        .name("test-postgres".into())
        .spawn(move || {
            let mut postgres = Command::new(bin.join("postgres"));
            postgres
                .arg("-D")
                .arg(&data)
                .args(["-k", &dir_text, "-p", &port.to_string(), "-c", "listen_addresses="])
                .args(speed)
                .args(["-c", "max_connections=300", "-c", "shared_buffers=64MB"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            as_owner(&mut postgres, owner);
            die_with_parent(&mut postgres);
            let mut child = match postgres.spawn() {
                Ok(child) => child,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot start postgres: {e}")));
                    return;
                }
            };
            let stderr = child.stderr.take().expect("piped");
            let mut log = Vec::new();
            let mut ready = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !ready {
                    if line.contains("database system is ready to accept connections") {
                        ready = true;
                        let _ = ready_tx.send(Ok(()));
                    } else {
                        log.push(line);
                    }
                }
            }
            if !ready {
                let _ =
                    ready_tx.send(Err(format!("postgres stopped before it was ready: {}", log.join(" | "))));
            }
            let _ = child.wait();
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    ready_rx.recv().map_err(|_| "the postgres thread ended".to_string())??;
    eprintln!("started a throwaway PostgreSQL cluster in {}", dir.display());
    Url::parse(&format!("postgres://postgres@localhost:{port}/postgres?host={}", dir.display()))
        .map_err(|e| format!("bad cluster URL: {e}"))
}

fn as_owner(command: &mut Command, owner: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
}

#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and calls only prctl, which is
    // async-signal-safe. std applies uid/gid before running it, so the setting survives them.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
