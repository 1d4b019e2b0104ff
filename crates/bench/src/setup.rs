//! Filling a fresh database for a benchmark: the catalogue, an officer with a session per window,
//! a kiosk and a display token per centre. Accounts and sessions are written through the store, as
//! `onestop user add` would, but with one password hash for all: hashing a thousand argon2id
//! passwords would only measure argon2.

use onestop_domain::audit::AuditEvent;
use onestop_domain::identity::{Role, Scope};
use onestop_domain::session::SessionTimes;
use onestop_domain::{password, token};
use onestop_server::config::DatabaseConfig;
use onestop_server::db::{self, Open};
use onestop_store::{NewSession, NewStaff, Store};
use std::sync::Arc;

/// An officer with a session, for one window.
#[derive(Debug, Clone)]
pub struct Officer {
    /// The centre's code.
    pub centre: String,
    /// The window's number.
    pub window: u32,
    /// The `cookie` header value of the session.
    pub cookie: String,
    /// The session's CSRF token, for the `x-csrf-token` header.
    pub csrf: String,
}

impl Officer {
    /// The window's id in API paths: `CENTRE:NUMBER`.
    pub fn window_id(&self) -> String {
        format!("{}:{}", self.centre, self.window)
    }
}

/// Device tokens of one centre.
#[derive(Debug, Clone)]
pub struct Devices {
    /// The centre's code.
    pub centre: String,
    /// A kiosk's bearer token.
    pub kiosk: String,
    /// A hall display's bearer token.
    pub display: String,
}

/// What a benchmark run signs in with.
#[derive(Debug, Clone)]
pub struct Network {
    /// One officer per window, centre by centre.
    pub officers: Vec<Officer>,
    /// One set of devices per centre.
    pub devices: Vec<Devices>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    token::render("", &bytes)
}

/// Opens (creating and migrating) the database at `url`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, String> {
    let config = DatabaseConfig { url: url.to_owned(), max_connections: 4, connect_timeout_secs: 10 };
    db::open(&config, Open::CreateAndMigrate).await.map_err(|e| e.to_string())
}

/// Imports the benchmark catalogue and creates the accounts and devices of `centres` centres
/// with `windows` windows each.
pub async fn fill(store: &dyn Store, centres: usize, windows: u32) -> Result<Network, String> {
    let text = crate::catalogue::text(centres, windows);
    onestop_server::admin::catalogue_import(store, &text, "benchmark network").await?;
    let now = onestop_server::clock::now();
    let hash = password::hash("a benchmark password", &[7; 16]);
    let mut network = Network { officers: Vec::new(), devices: Vec::new() };
    for i in 0..centres {
        let centre = crate::catalogue::centre_code(i);
        for window in 1..=windows {
            let login = format!("bench-{}-{window:02}", i + 1);
            let new = NewStaff {
                login: login.clone(),
                full_name: format!("Officer {} at window {window}", i + 1),
                fin: None,
                phone: None,
                role: Role::Officer,
                scope: Scope { centre: Some(centre.clone()), provider: Some("MIA".into()), window: None },
                password_hash: hash.clone(),
                must_change_password: false,
            };
            let audit = AuditEvent::new(now, "bench", "staff.create", format!("benchmark officer {login}"));
            let staff = store.create_staff(&new, now, audit).await.map_err(|e| e.to_string())?;
            let cookie = random_token();
            let csrf = random_token();
            let session = NewSession {
                staff_id: staff.id,
                token_hash: token::digest(&cookie),
                csrf_token: csrf.clone(),
                times: SessionTimes::start(now),
                origin: Some("bench".into()),
            };
            let audit =
                AuditEvent::new(now, "bench", "session.start", format!("benchmark session of {login}"));
            store.start_session(&login, &session, audit).await.map_err(|e| e.to_string())?;
            network.officers.push(Officer {
                centre: centre.clone(),
                window,
                cookie: format!("{}={cookie}", onestop_web::auth::SESSION_COOKIE),
                csrf,
            });
        }
        let (_, kiosk) =
            onestop_server::admin::token_issue(store, "kiosk", centre.clone(), None, None).await?;
        let (_, display) =
            onestop_server::admin::token_issue(store, "display", centre.clone(), None, None).await?;
        network.devices.push(Devices { centre, kiosk, display });
    }
    Ok(network)
}
