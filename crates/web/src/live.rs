//! Live queue events for the screens of a centre (hall and window displays, officer consoles,
//! kiosks), pushed over server-sent events.
//!
//! One [`LiveHub`] per process. Its task ([`start`]) follows the store's change signals
//! (`QueueStore::queue_changes`: this process's writes, and on PostgreSQL every process's through
//! `LISTEN`/`NOTIFY`); for each signalled centre that has subscribers it reads the centre's event
//! log after the last event it sent and sends each new event, rendered once (as an [`Arc`]), on the
//! centre's `tokio::sync::broadcast` channel: one broadcast reaches every screen of the centre.
//!
//! A screen's stream ([`follow`]) subscribes first, then replays the log from the store after the
//! position it resumes from (`Last-Event-ID`, `?after=`, else the newest event), then forwards the
//! live events, skipping ids it already sent. The log's ids increase in commit order within a
//! centre, so nothing is lost between the replay and the live events and nothing is sent twice. A
//! screen that falls behind the broadcast catches up from the store the same way.

use crate::AppState;
use crate::registry::RegistryCache;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use onestop_domain::catalogue::{Catalogue, CentreCode};
use onestop_store::queue::{EventKind, QueueEvent};
use onestop_store::{Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use utoipa::ToSchema;

/// How often a comment keeps an idle stream open through proxies.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Events a centre's broadcast holds for screens that fall behind (they then catch up from the store).
pub const CHANNEL_CAPACITY: usize = 1024;
/// Events read from the store at a time.
const BATCH: u32 = 500;
/// How often the hub reads every followed centre's log even without a signal, in case one was lost
/// (e.g. while a PostgreSQL `LISTEN` connection reconnected).
const SWEEP: Duration = Duration::from_secs(5);

/// The data of one event as screens receive it: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventData {
    /// The event's position in the centre's log (also the SSE `id`).
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// What happened (also the SSE `event`): `issued`, `called`, `recalled`, `started`, `no_show`,
    /// `parked`, `returned`, `transferred`, `finished`, `closed`, `window_opened`, `window_closed`.
    pub kind: String,
    /// The ticket's id, for ticket events.
    pub ticket: Option<i64>,
    /// The ticket's number, e.g. `J-017`.
    pub number: Option<String>,
    /// The service's code.
    pub service: Option<String>,
    /// The service's name in the screen's language.
    pub service_name: Option<String>,
    /// The window involved.
    pub window: Option<u32>,
    /// The window's floor.
    pub floor: Option<i32>,
    /// Tickets of the service still waiting at the centre after this event.
    pub waiting: Option<u32>,
}

/// A queue event rendered once for every language of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    /// The event's position in its centre's log.
    pub id: i64,
    /// What happened.
    pub kind: EventKind,
    /// The JSON data by language, the catalogue's default first.
    data: Vec<(String, String)>,
}

impl LiveEvent {
    /// Renders `event`, naming its service and the window's floor from `catalogue`.
    pub fn render(event: &QueueEvent, catalogue: Option<&Catalogue>) -> LiveEvent {
        let floor = event.window.and_then(|number| {
            let centre = catalogue?.centre(event.centre.as_str())?;
            centre.windows.iter().find(|w| w.number == number).map(|w| w.floor)
        });
        let service = event.service.as_ref().and_then(|s| catalogue?.service(s.as_str()));
        let languages: Vec<String> = match catalogue {
            Some(c) if !c.country.languages.is_empty() => c.country.languages.clone(),
            _ => vec![crate::i18n::LANGUAGES[0].to_owned()],
        };
        let data = languages
            .into_iter()
            .map(|lang| {
                let fallback = catalogue.map_or("", |c| c.country.default_language());
                let body = EventData {
                    id: event.id,
                    at: event.at.to_string(),
                    kind: event.kind.as_str().to_owned(),
                    ticket: event.ticket.map(|t| t.0),
                    number: event.number.clone(),
                    service: event.service.as_ref().map(|s| s.as_str().to_owned()),
                    service_name: service.map(|s| s.name.get_or(&lang, fallback).to_owned()),
                    window: event.window,
                    floor,
                    waiting: event.waiting,
                };
                let json = serde_json::to_string(&body).expect("event data always serialises");
                (lang, json)
            })
            .collect();
        LiveEvent { id: event.id, kind: event.kind, data }
    }

    /// The JSON data in `lang`, else in the catalogue's default language.
    pub fn data(&self, lang: &str) -> &str {
        self.data.iter().find(|(l, _)| l == lang).or(self.data.first()).map_or("{}", |(_, d)| d.as_str())
    }

    /// The server-sent event in `lang`.
    pub fn to_sse(&self, lang: &str) -> Event {
        Event::default().id(self.id.to_string()).event(self.kind.as_str()).data(self.data(lang))
    }
}

struct Channel {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    /// The newest event sent on the channel (or, before any, the newest when it was created).
    last_seen: i64,
}

/// The per-process fan-out of queue events: one broadcast channel per followed centre.
#[derive(Default)]
pub struct LiveHub {
    channels: tokio::sync::Mutex<HashMap<CentreCode, Channel>>,
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHub").finish_non_exhaustive()
    }
}

impl LiveHub {
    /// A receiver of `centre`'s events from now on: every event after the newest in the log when
    /// the centre's channel was created (on its first subscriber).
    pub async fn subscribe(
        &self,
        store: &dyn Store,
        centre: &CentreCode,
    ) -> Result<broadcast::Receiver<Arc<LiveEvent>>, StoreError> {
        let mut channels = self.channels.lock().await;
        if let Some(channel) = channels.get(centre) {
            return Ok(channel.sender.subscribe());
        }
        let last_seen = store.last_queue_event(centre).await?;
        let (sender, receiver) = broadcast::channel(CHANNEL_CAPACITY);
        channels.insert(centre.clone(), Channel { sender, last_seen });
        Ok(receiver)
    }

    /// Ends every screen's stream (once it has sent what it holds): for shutting down, since open
    /// streams would otherwise keep their connections, and the server, waiting.
    pub async fn close(&self) {
        self.channels.lock().await.clear();
    }

    /// Centres with a channel now.
    pub async fn followed(&self) -> usize {
        self.channels.lock().await.len()
    }

    /// Sends the new events of `centres` (every followed centre when `None`) on their channels;
    /// drops the channels nobody listens to any more.
    async fn pump(
        &self,
        store: &dyn Store,
        registry: &RegistryCache,
        centres: Option<&BTreeSet<CentreCode>>,
    ) {
        let mut channels = self.channels.lock().await;
        channels.retain(|_, channel| channel.sender.receiver_count() > 0);
        if channels.is_empty() {
            return;
        }
        let loaded = registry.current(store).await.ok().flatten();
        let catalogue = loaded.as_ref().map(|l| &l.catalogue);
        for (code, channel) in channels.iter_mut() {
            if centres.is_some_and(|wanted| !wanted.contains(code)) {
                continue;
            }
            loop {
                let events = match store.queue_events(code, channel.last_seen, BATCH).await {
                    Ok(events) => events,
                    Err(e) => {
                        tracing::warn!(centre = code.as_str(), error = %e, "reading queue events failed");
                        break;
                    }
                };
                for event in &events {
                    channel.last_seen = event.id;
                    // No receiver left is not an error: the channel is dropped on the next pump.
                    let _ = channel.sender.send(Arc::new(LiveEvent::render(event, catalogue)));
                }
                if events.len() < BATCH as usize {
                    break;
                }
            }
        }
    }
}

/// Starts the hub's task for `state`: it follows the store's change signals until the store stops
/// sending them. The signal receiver is taken before this returns, so no change after it is missed.
pub async fn start(state: &AppState) -> Result<tokio::task::JoinHandle<()>, StoreError> {
    let mut changes = state.store.queue_changes().await?;
    let hub = Arc::clone(&state.live);
    let store = Arc::clone(&state.store);
    let registry = Arc::clone(&state.registry);
    Ok(tokio::spawn(async move {
        let mut sweep = tokio::time::interval(SWEEP);
        loop {
            tokio::select! {
                signal = changes.recv() => {
                    let mut centres = BTreeSet::new();
                    let mut everything = false;
                    match signal {
                        Ok(centre) => { centres.insert(centre); }
                        Err(RecvError::Lagged(_)) => everything = true,
                        Err(RecvError::Closed) => break,
                    }
                    // Take every signal already waiting, so a burst costs one read per centre.
                    loop {
                        match changes.try_recv() {
                            Ok(centre) => { centres.insert(centre); }
                            Err(broadcast::error::TryRecvError::Lagged(_)) => everything = true,
                            Err(_) => break,
                        }
                    }
                    let wanted = (!everything).then_some(&centres);
                    hub.pump(store.as_ref(), &registry, wanted).await;
                }
                _ = sweep.tick() => hub.pump(store.as_ref(), &registry, None).await,
            }
        }
    }))
}

/// Where a screen's stream is.
struct Follow {
    store: Arc<dyn Store>,
    registry: Arc<RegistryCache>,
    centre: CentreCode,
    lang: &'static str,
    last_sent: i64,
    backlog: VecDeque<LiveEvent>,
    caught_up: bool,
    live: broadcast::Receiver<Arc<LiveEvent>>,
}

impl Follow {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Follow)> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if event.id > self.last_sent {
                    self.last_sent = event.id;
                    return Some((Ok(event.to_sse(self.lang)), self));
                }
                continue;
            }
            if !self.caught_up {
                let loaded = self.registry.current(self.store.as_ref()).await.ok().flatten();
                let catalogue = loaded.as_ref().map(|l| &l.catalogue);
                match self.store.queue_events(&self.centre, self.last_sent, BATCH).await {
                    Ok(events) => {
                        self.caught_up = events.len() < BATCH as usize;
                        self.backlog.extend(events.iter().map(|e| LiveEvent::render(e, catalogue)));
                    }
                    Err(e) => {
                        // The stream ends; the screen reconnects with its Last-Event-ID.
                        tracing::warn!(centre = self.centre.as_str(), error = %e, "replaying queue events failed");
                        return None;
                    }
                }
                continue;
            }
            match self.live.recv().await {
                Ok(event) if event.id > self.last_sent => {
                    self.last_sent = event.id;
                    return Some((Ok(event.to_sse(self.lang)), self));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => self.caught_up = false,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// The live event stream of `centre` in `lang`, after event `after` (`None`: after the newest).
/// The caller has checked the centre exists and the screen may watch it.
pub async fn follow(
    state: &AppState,
    centre: CentreCode,
    lang: &'static str,
    after: Option<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, StoreError> {
    let live = state.live.subscribe(state.store.as_ref(), &centre).await?;
    let last_sent = match after {
        Some(after) => after,
        None => state.store.last_queue_event(&centre).await?,
    };
    let follow = Follow {
        store: Arc::clone(&state.store),
        registry: Arc::clone(&state.registry),
        centre,
        lang,
        last_sent,
        backlog: VecDeque::new(),
        caught_up: false,
        live,
    };
    let stream = futures_util::stream::unfold(follow, Follow::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
