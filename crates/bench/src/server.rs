//! A real `onestop serve` process for a benchmark: started on a port the system picks, in a folder of
//! its own, awaited until it says it listens, and stopped — gracefully, or with SIGKILL for the crash
//! test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The base URL in the server's "listening" log line (JSON), if `line` is that line.
fn listening_on(line: &str) -> Option<String> {
    let entry: serde_json::Value = serde_json::from_str(line).ok()?;
    let message = entry["message"].as_str()?;
    let url = message.strip_prefix("onestop is listening on ")?;
    Some(url.trim_end_matches('/').to_owned())
}

/// Whether `line` (JSON) says the server's monitoring report run ended: with reports made, or
/// failed. (A run that made none says nothing.)
fn reports_ended(line: &str) -> bool {
    let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else { return false };
    matches!(
        entry["message"].as_str(),
        Some("monitoring reports produced" | "the monitoring report job failed")
    )
}

/// A running server.
pub struct Server {
    child: Child,
    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub base: String,
    /// Set once the server has said its monitoring report run ended.
    reports: tokio::sync::watch::Receiver<bool>,
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

impl Server {
    /// Starts `onestop serve` on `database_url` with `dir` as its working folder, on a port the
    /// system picks, and answers once the server says it is listening (it migrates and binds
    /// before it says so). Its log goes on to this program's standard error.
    pub async fn start(dir: &Path, database_url: &str) -> Result<Server, String> {
        Server::start_with(dir, database_url, &[]).await
    }

    /// As [`Server::start`], with extra `ONESTOP_*` configuration variables.
    pub async fn start_with(
        dir: &Path,
        database_url: &str,
        env: &[(&str, String)],
    ) -> Result<Server, String> {
        let mut child = Command::new(binary())
            .current_dir(dir)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                database_url,
                "--log-format",
                "json",
            ])
            .env("ONESTOP_LOG_LEVEL", "warn,onestop_server=info")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary().display()))?;
        let stderr = child.stderr.take().ok_or("no standard error to read")?;
        let mut lines = BufReader::new(stderr).lines();
        let listening = async {
            let mut seen = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(base) = listening_on(&line) {
                    return Ok(base);
                }
                seen.push(line);
            }
            Err(format!("the server stopped before listening: {}", seen.join(" | ")))
        };
        let base = tokio::time::timeout(Duration::from_secs(60), listening)
            .await
            .map_err(|_| "the server did not start listening within 60 s".to_owned())??;
        let (ended, reports) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if reports_ended(&line) {
                    ended.send_replace(true);
                }
                eprintln!("{line}");
            }
        });
        Ok(Server { child, base, reports })
    }

    /// Waits until the server says its first monitoring report run ended — at start it makes the
    /// reports of the periods just closed, seconds of work on a large network that would weigh on
    /// whatever is measured meanwhile — or until `most` has passed; answers whether it ended.
    pub async fn reports_made(&mut self, most: Duration) -> bool {
        tokio::time::timeout(most, self.reports.wait_for(|ended| *ended)).await.is_ok_and(|r| r.is_ok())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_gives_the_base_url() {
        // A line as `onestop serve --log-format json` writes it.
        let line = r#"{"timestamp":"2026-11-28T22:02:13.401525Z","level":"INFO","message":"onestop is listening on http://127.0.0.1:39191","addr":"127.0.0.1:39191","database":"sqlite","target":"onestop_server::serve"}"#;
        assert_eq!(listening_on(line).as_deref(), Some("http://127.0.0.1:39191"));
        assert_eq!(listening_on(r#"{"message":"database closed; onestop stopped"}"#), None);
        assert_eq!(listening_on("not json"), None);
    }

    #[test]
    fn the_end_of_a_report_run_is_recognised() {
        let made = r#"{"timestamp":"2026-11-29T08:22:49.769210Z","level":"INFO","message":"monitoring reports produced","reports":438,"target":"onestop_server::serve"}"#;
        assert!(reports_ended(made));
        assert!(reports_ended(r#"{"message":"the monitoring report job failed","error":"x"}"#));
        assert!(!reports_ended(r#"{"message":"onestop is listening on http://127.0.0.1:1"}"#));
        assert!(!reports_ended("monitoring reports produced"));
    }
}
