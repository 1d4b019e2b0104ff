//! The crash test of issue #5: kill the server with SIGKILL in the middle of the benchmark's load,
//! start it again on the same database, and find every acknowledged ticket exactly once — on
//! SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

use onestop_bench::client::Api;
use onestop_bench::load::{self, Acked};
use onestop_bench::server::Server;
use onestop_bench::setup;
use onestop_domain::catalogue::CentreCode;
use onestop_store_tests::TestDb;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

const CENTRES: usize = 2;

async fn crash_and_recover(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let store = setup::open(&db.url).await.unwrap();
    let network = setup::fill(store.as_ref(), CENTRES, 4).await.unwrap();
    store.close().await;

    let server = Server::start(dir.path(), &db.url).await.unwrap();
    let api = Api::new(&server.base);
    load::sign_in_all(&api, &network, 4).await.unwrap();

    // Load (for at most a minute); kill the server once 300 tickets were acknowledged.
    let acked = Arc::new(Acked::default());
    let running = {
        let (api, network, acked) = (api.clone(), network.clone(), Arc::clone(&acked));
        tokio::spawn(
            async move { load::closed_loop(&api, &network, 16, Duration::from_secs(60), acked).await },
        )
    };
    tokio::time::timeout(Duration::from_secs(60), acked.reached(300)).await.expect("300 tickets in a minute");
    server.kill().await.unwrap();
    let acknowledged = acked.ids();
    running.abort();

    // Restart on the same database; read back every ticket of the benchmark centres.
    let server = Server::start(dir.path(), &db.url).await.unwrap();
    let store = setup::open(&db.url).await.unwrap();
    let today = onestop_server::clock::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut stored = BTreeMap::new();
    let mut numbers = BTreeSet::new();
    for i in 0..CENTRES {
        let centre = CentreCode::new(onestop_bench::catalogue::centre_code(i));
        for day in [today.yesterday().unwrap(), today] {
            for record in store.day_tickets(&centre, day).await.unwrap() {
                *stored.entry(record.ticket.id.0).or_insert(0u32) += 1;
                let number =
                    (centre.to_string(), day, record.group.to_string(), record.ticket.number.to_string());
                assert!(numbers.insert(number.clone()), "ticket number repeated: {number:?}");
            }
        }
    }
    assert!(acknowledged.len() >= 300);
    for id in &acknowledged {
        assert_eq!(stored.get(id), Some(&1), "acknowledged ticket {id} is not stored exactly once");
    }

    // The server goes on after the crash: a new ticket gets a new id and the next number.
    let id = Api::new(&server.base).issue(&network.devices[0]).await.unwrap();
    assert!(!stored.contains_key(&id), "a new ticket reused the id of an old one");
    store.close().await;
    server.stop().await.unwrap();
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keeps_every_acknowledged_ticket_through_sigkill() {
        super::crash_and_recover(&super::TestDb::sqlite()).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keeps_every_acknowledged_ticket_through_sigkill() {
        let Some(db) = super::TestDb::postgres().await else { return };
        super::crash_and_recover(&db).await;
    }
}
