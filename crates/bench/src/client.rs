//! The ticket operations of the benchmark, as real HTTP calls of the queue API.

use crate::setup::{Devices, Officer};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{Value, json};

/// A ticket operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `POST /api/v1/centres/{code}/tickets` by a kiosk.
    Issue,
    /// `POST /api/v1/windows/{id}/call-next`.
    Call,
    /// `POST /api/v1/windows/{id}/start`.
    Start,
    /// `POST /api/v1/windows/{id}/finish`.
    Finish,
}

impl Op {
    /// Every operation, in the order of a visit.
    pub const ALL: [Op; 4] = [Op::Issue, Op::Call, Op::Start, Op::Finish];

    /// The operation's name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Issue => "issue",
            Op::Call => "call",
            Op::Start => "start",
            Op::Finish => "finish",
        }
    }
}

/// A valid national ID number (FIN) for benchmark tickets.
pub const FIN: &str = "5ZZ1QE4";

/// Calls the API of one server.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
}

/// The parts of a ticket the load reads from an answer. The rest of the JSON is checked to be well
/// formed, not kept: building the whole document costs the load generator CPU that it shares with
/// the server under test.
#[derive(Debug, Deserialize)]
struct TicketRef {
    id: i64,
    #[serde(default)]
    number: String,
}

/// The answer of `call-next`: the ticket called, if one was waiting.
#[derive(Debug, Deserialize)]
struct Called {
    ticket: Option<TicketRef>,
}

/// A successful answer's JSON body read as `T`; an error naming `what` for any other answer.
async fn json_of<T: DeserializeOwned>(response: reqwest::Response, what: &str) -> Result<T, String> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("{what}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{what}: {status}: {}", String::from_utf8_lossy(&body)));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{what}: {e}: {}", String::from_utf8_lossy(&body)))
}

impl Api {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Api {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(2048)
            .build()
            .expect("an HTTP client without TLS builds");
        Api { client, base: base.to_owned() }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// Issues a ticket for the benchmark service at the kiosk of `devices`; answers its id.
    pub async fn issue(&self, devices: &Devices) -> Result<i64, String> {
        let response = self
            .client
            .post(format!("{}/api/v1/centres/{}/tickets", self.base, devices.centre))
            .bearer_auth(&devices.kiosk)
            .json(&json!({"service": crate::catalogue::SERVICE, "id_card": FIN, "documents": []}))
            .send()
            .await
            .map_err(|e| format!("issue: {e}"))?;
        json_of::<TicketRef>(response, "issue").await.map(|ticket| ticket.id)
    }

    async fn window_post<T: DeserializeOwned>(
        &self,
        officer: &Officer,
        action: &str,
        body: &Value,
    ) -> Result<T, String> {
        let response = self
            .client
            .post(format!("{}/api/v1/windows/{}/{action}", self.base, officer.window_id()))
            .header("cookie", &officer.cookie)
            .header("x-csrf-token", &officer.csrf)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("{action}: {e}"))?;
        json_of(response, action).await
    }

    /// Signs the officer in to their window.
    pub async fn sign_in(&self, officer: &Officer) -> Result<(), String> {
        self.window_post::<IgnoredAny>(officer, "sign-in", &json!({})).await.map(drop)
    }

    /// Calls the next ticket at the officer's window; answers its id and number, if one was waiting.
    pub async fn call_next(&self, officer: &Officer) -> Result<Option<(i64, String)>, String> {
        let answer: Called = self.window_post(officer, "call-next", &json!({})).await?;
        Ok(answer.ticket.map(|t| (t.id, t.number)))
    }

    /// Starts serving ticket `id` at the officer's window.
    pub async fn start(&self, officer: &Officer, id: i64) -> Result<(), String> {
        self.window_post::<IgnoredAny>(officer, "start", &json!({"ticket": id})).await.map(drop)
    }

    /// Finishes ticket `id` at the officer's window as served.
    pub async fn finish(&self, officer: &Officer, id: i64) -> Result<(), String> {
        let body = json!({"ticket": id, "outcome": "served"});
        self.window_post::<IgnoredAny>(officer, "finish", &body).await.map(drop)
    }

    /// The public view of ticket `id`, or `None` when there is no such ticket.
    pub async fn ticket(&self, id: i64) -> Result<Option<Value>, String> {
        let response = self
            .client
            .get(format!("{}/api/v1/tickets/{id}", self.base))
            .send()
            .await
            .map_err(|e| format!("ticket: {e}"))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        json_of(response, "ticket").await.map(Some)
    }
}
