//! A real `onestop serve` process for a benchmark: started on a free port in a folder of its own,
//! awaited until ready, and stopped — gracefully, or with SIGKILL for the crash test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running server.
pub struct Server {
    child: Child,
    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub base: String,
}

/// The `onestop` binary: `$ONESTOP_TEST_BIN`, else beside this program (both are built into the
/// same target folder).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ONESTOP_TEST_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the running program's path");
    let dir = exe.parent().expect("a folder");
    // Test binaries live one level deeper, in `deps/`.
    [dir.join("onestop"), dir.join("../onestop")]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| dir.join("onestop"))
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

impl Server {
    /// Starts `onestop serve` on `database_url` with `dir` as its working folder, and waits until
    /// `/readyz` answers.
    pub async fn start(dir: &Path, database_url: &str) -> Result<Server, String> {
        let port = free_port()?;
        let child = Command::new(binary())
            .current_dir(dir)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url])
            .env("ONESTOP_LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary().display()))?;
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
                && r.status().is_success()
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("the server did not become ready within 30 s".into())
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        self.child.wait().await.map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Kills the server with SIGKILL: no shutdown, no flush, as in a power cut of the process.
    pub async fn kill(mut self) -> Result<(), String> {
        self.child.start_kill().map_err(|e| e.to_string())?;
        self.child.wait().await.map_err(|e| e.to_string())?;
        Ok(())
    }
}
