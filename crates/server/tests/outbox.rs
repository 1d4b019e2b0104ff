//! The outbox worker delivers to a real SMTP server on loopback (Python's `aiosmtpd`) and to an
//! HTTP SMS gateway, retries with back-off after a failure, and gives up after the last try.

#![allow(clippy::unwrap_used)]

mod support;

use jiff::{SignedDuration, Timestamp};
use onestop_domain::notify::{Message, MessageChannel, Retry};
use onestop_server::config::Config;
use onestop_server::outbox_worker::{Transports, deliver_due};
use onestop_store::outbox::DeliveryState;
use onestop_store_tests::TestDb;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

on_both_databases!(
    email_reaches_a_real_smtp_server_after_a_retry,
    sms_go_to_the_gateway_and_failures_give_up
);

const SMTP_SERVER: &str = r#"
import json, sys
from email import message_from_bytes
from email.policy import default
from aiosmtpd.controller import Controller

class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content, policy=default)
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "body": msg.get_body().get_content(),
        }), flush=True)
        return "250 OK"

controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"#;

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct SmtpServer {
    child: Child,
    lines: BufReader<ChildStdout>,
}

impl SmtpServer {
    /// Starts `aiosmtpd` on `port` and waits until it says it is ready; `None` (outside CI)
    /// when Python or the package is missing, a failure under `CI=true`.
    fn start(port: u16) -> Option<SmtpServer> {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        let check = Command::new("python3").args(["-c", "import aiosmtpd"]).output();
        if !check.is_ok_and(|o| o.status.success()) {
            assert!(!ci, "python3 with aiosmtpd is needed (pip install aiosmtpd)");
            eprintln!("aiosmtpd missing: the SMTP delivery test does not run here");
            return None;
        }
        let mut child = Command::new("python3")
            .args(["-c", SMTP_SERVER, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        lines.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        Some(SmtpServer { child, lines })
    }

    /// The next message the server received.
    fn next(&mut self) -> Value {
        let mut line = String::new();
        self.lines.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Closing stdin stops the server.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn email(to: &str) -> Message {
    Message {
        channel: MessageChannel::Email,
        recipient: to.into(),
        subject: "Rezervasiya kodunuz: 123456".into(),
        body: "Kodunuz 123456. Şəxsiyyət vəsiqəsi — Bakı".into(),
        topic: "booking.code".into(),
        record: Some("appointment:AP-2222-2222".into()),
    }
}

fn transports(smtp_port: u16, sms_url: &str) -> Transports {
    let mut config = Config::default().notify;
    config.email_transport = "smtp".into();
    config.smtp_port = smtp_port;
    config.smtp_from = "onestop@asan.example".into();
    if !sms_url.is_empty() {
        config.sms_transport = "gateway".into();
        config.sms_gateway_url = sms_url.into();
    }
    Transports::from_config(&config).unwrap()
}

async fn email_reaches_a_real_smtp_server_after_a_retry(db: &TestDb) {
    let store = db.store().await;
    let port = free_port();
    let t0: Timestamp = "2026-11-28T09:00:00Z".parse().unwrap();
    let id = store.enqueue_message(&email("leyla@example.az"), t0).await.unwrap();
    let retry =
        Retry { first: SignedDuration::from_secs(10), max: SignedDuration::from_secs(60), attempts: 3 };

    // Nothing listens yet: the try fails and the message waits 10 s.
    let sent = deliver_due(store.as_ref(), &transports(port, ""), retry, &move || t0).await.unwrap();
    assert_eq!(sent, 0);
    let m = &store.outbox_messages(None, 10).await.unwrap()[0];
    assert_eq!((m.id, m.state, m.attempts), (id, DeliveryState::Pending, 1));
    assert_eq!(m.next_attempt_at, t0 + SignedDuration::from_secs(10));
    assert!(m.last_error.as_deref().unwrap().starts_with("SMTP:"), "{:?}", m.last_error);

    let Some(mut server) = SmtpServer::start(port) else { return };
    // Not due before its time.
    let early = t0 + SignedDuration::from_secs(9);
    assert_eq!(deliver_due(store.as_ref(), &transports(port, ""), retry, &move || early).await.unwrap(), 0);
    let due = t0 + SignedDuration::from_secs(10);
    assert_eq!(deliver_due(store.as_ref(), &transports(port, ""), retry, &move || due).await.unwrap(), 1);
    let got = server.next();
    assert_eq!(got["from"], "onestop@asan.example");
    assert_eq!(got["to"], serde_json::json!(["leyla@example.az"]));
    assert_eq!(got["subject"], "Rezervasiya kodunuz: 123456");
    assert_eq!(got["body"].as_str().unwrap().trim_end(), "Kodunuz 123456. Şəxsiyyət vəsiqəsi — Bakı");
    let m = &store.outbox_messages(Some("leyla@example.az"), 10).await.unwrap()[0];
    assert_eq!(m.state, DeliveryState::Sent);
    assert_eq!(m.sent_at, Some(due));
    assert_eq!(m.last_error, None);
    // Sent once: nothing is due any more.
    assert_eq!(deliver_due(store.as_ref(), &transports(port, ""), retry, &move || due).await.unwrap(), 0);
}

async fn sms_go_to_the_gateway_and_failures_give_up(db: &TestDb) {
    let store = db.store().await;
    // A gateway that keeps what it is sent.
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let keep = Arc::clone(&received);
    let gateway = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let keep = Arc::clone(&keep);
            async move {
                keep.lock().unwrap().push(body);
                "queued"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, gateway).await.unwrap() });

    let t0: Timestamp = "2026-11-28T09:00:00Z".parse().unwrap();
    let sms = Message {
        channel: MessageChannel::Sms,
        recipient: "+994501234567".into(),
        subject: String::new(),
        body: "Kod 123456".into(),
        topic: "booking.code".into(),
        record: None,
    };
    store.enqueue_message(&sms, t0).await.unwrap();
    // An email to a server that never answers, with one try only: given up.
    store.enqueue_message(&email("nobody@example.az"), t0).await.unwrap();
    let retry =
        Retry { first: SignedDuration::from_secs(10), max: SignedDuration::from_secs(60), attempts: 1 };
    let sent = deliver_due(store.as_ref(), &transports(free_port(), &url), retry, &move || t0).await.unwrap();
    assert_eq!(sent, 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["to"], "+994501234567");
    assert_eq!(got[0]["text"], "Kod 123456");
    let all = store.outbox_messages(None, 10).await.unwrap();
    let by = |to: &str| all.iter().find(|m| m.message.recipient == to).unwrap().clone();
    assert_eq!(by("+994501234567").state, DeliveryState::Sent);
    let failed = by("nobody@example.az");
    assert_eq!((failed.state, failed.attempts), (DeliveryState::Failed, 1));
    let later = t0 + SignedDuration::from_hours(1);
    assert_eq!(
        deliver_due(store.as_ref(), &transports(free_port(), &url), retry, &move || later).await.unwrap(),
        0
    );
    server.abort();
}
