//! Shared test support: the application on 127.0.0.1:0 with a clock the test moves, staff
//! accounts, and signing in as a browser does.

#![allow(dead_code, clippy::unwrap_used)]

use jiff::{SignedDuration, Timestamp};
use onestop_domain::identity::{Role, Scope};
use onestop_domain::password;
use onestop_domain::pii::{Fin, Phone};
use onestop_store::{NewStaff, Store};
use onestop_store_tests::TestDb;
use onestop_web::{AppState, HttpLimits, Shared};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Runs each named `async fn(&TestDb)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(&onestop_store_tests::TestDb::sqlite()).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(db) = onestop_store_tests::TestDb::postgres().await else { return };
                super::$name(&db).await;
            })*
        }
    };
}

/// The password every test account gets.
pub const PASSWORD: &str = "a long enough password";

/// The application under test.
pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    now: Arc<Mutex<Timestamp>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    live: tokio::task::JoinHandle<()>,
    hub: Arc<onestop_web::live::LiveHub>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb) -> TestApp {
        Self::spawn_with(db, onestop_web::booking::Settings::default()).await
    }

    /// The application with booking `settings`.
    pub async fn spawn_with(db: &TestDb, settings: onestop_web::booking::Settings) -> TestApp {
        let store = db.store().await;
        let now = Arc::new(Mutex::new("2026-11-28T09:00:00Z".parse::<Timestamp>().unwrap()));
        let clock_now = Arc::clone(&now);
        let state: AppState = Shared::new(Arc::clone(&store), Arc::new(move || *clock_now.lock().unwrap()))
            .with_booking(settings)
            .into();
        let live = onestop_web::live::start(&state).await.unwrap();
        let hub = Arc::clone(&state.live);
        let limits = HttpLimits::default();
        let app = onestop_web::app(state, limits).into_make_service_with_connect_info::<SocketAddr>();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        TestApp { base, store, now, stop: Some(stop), server, live, hub }
    }

    pub fn now(&self) -> Timestamp {
        *self.now.lock().unwrap()
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap();
        *now += by;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps no cookies of its own: tests pass them explicitly.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("accept-language", "en".parse().unwrap());
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client().get(self.url(path)).send().await.unwrap()
    }

    /// Creates an account directly in the store.
    pub async fn staff(&self, login: &str, role: Role, centre: Option<&str>, provider: Option<&str>) {
        self.staff_with(login, role, centre, provider, None, None).await;
    }

    pub async fn staff_with(
        &self,
        login: &str,
        role: Role,
        centre: Option<&str>,
        provider: Option<&str>,
        fin: Option<&str>,
        phone: Option<&str>,
    ) {
        let new = NewStaff {
            login: login.into(),
            full_name: format!("{login} Məmmədov"),
            fin: fin.map(|f| Fin::parse(f).unwrap()),
            phone: phone.map(|p| Phone::parse(p).unwrap()),
            role,
            scope: Scope { centre: centre.map(Into::into), provider: provider.map(Into::into), window: None },
            password_hash: password::hash(PASSWORD, &[4; 16]),
            must_change_password: false,
        };
        let event =
            onestop_domain::audit::AuditEvent::new(self.now(), "cli:test", "staff.create", "test account");
        self.store.create_staff(&new, self.now(), event).await.unwrap();
    }

    /// Opens the sign-in page: answers the CSRF cookie's value.
    pub async fn sign_in_csrf(&self) -> String {
        let page = self.get("/sign-in").await;
        let cookie = set_cookies(&page).into_iter().find(|c| c.starts_with("onestop_csrf=")).unwrap();
        cookie.trim_start_matches("onestop_csrf=").split(';').next().unwrap().to_owned()
    }

    /// Posts the sign-in form.
    pub async fn post_sign_in(&self, login: &str, password: &str) -> reqwest::Response {
        let csrf = self.sign_in_csrf().await;
        self.client()
            .post(self.url("/sign-in"))
            .header("cookie", format!("onestop_csrf={csrf}"))
            .form(&[("login", login), ("password", password), ("csrf", &csrf), ("next", "/staff")])
            .send()
            .await
            .unwrap()
    }

    /// Signs in and answers the session.
    pub async fn sign_in(&self, login: &str) -> Session {
        let response = self.post_sign_in(login, PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-in of {login} failed");
        let cookie = set_cookies(&response)
            .into_iter()
            .find(|c| c.starts_with("onestop_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let me: Value = self
            .client()
            .get(self.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Session { cookie, csrf: me["csrf_token"].as_str().unwrap().to_owned() }
    }

    /// The audit entries with `action`, newest first, read from the store.
    pub async fn audit(&self, action: &str) -> Vec<onestop_domain::audit::AuditEntry> {
        let filter = onestop_store::AuditFilter { action: Some(action.into()), ..Default::default() };
        self.store.search_audit(&filter, 10_000).await.unwrap()
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        // Open event streams end, so the server's graceful shutdown does not wait for them.
        self.hub.close().await;
        self.server.await.unwrap();
        self.live.abort();
    }
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// `onestop_session=…`.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
}

impl Session {
    pub fn get(&self, app: &TestApp, path: &str) -> reqwest::RequestBuilder {
        app.client().get(app.url(path)).header("cookie", &self.cookie)
    }

    /// The page at `path`, which must answer 200: its HTML.
    pub async fn page(&self, app: &TestApp, path: &str) -> String {
        let response = self.get(app, path).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// A POST with the cookie and the CSRF header.
    pub fn post(&self, app: &TestApp, path: &str) -> reqwest::RequestBuilder {
        app.client().post(app.url(path)).header("cookie", &self.cookie).header("x-csrf-token", &self.csrf)
    }
}

pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// Asserts a problem response and answers its body.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    body
}
