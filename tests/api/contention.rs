//! Contention: locks held, transactions failed to keep them serializable, deadlocks, an
//! exhausted pool. Each is transient, so each is 503 with `Retry-After`, never 500; and
//! writers queueing for their turn leave the pool's connections to readers.

use std::time::{Duration, Instant};

use actix_web::ResponseError;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use sponsor_match::api::error::ApiError;
use sponsor_match::store::{AnyConnection, Backend, StoreError};

use crate::helpers::{Caller, TestApp, expect_json, expect_problem, seeker_body};

/// Another connection's lock that writes of seekers wait for, held until released: on
/// SQLite the database's one write lock, on PostgreSQL an `EXCLUSIVE` lock on the
/// seekers table (reads go on beside it).
struct HeldLock {
    release: std::sync::mpsc::Sender<()>,
    held: tokio::task::JoinHandle<Result<(), StoreError>>,
}

impl HeldLock {
    async fn take(app: &TestApp) -> Self {
        let (taken, on_taken) = tokio::sync::oneshot::channel();
        let (release, on_release) = std::sync::mpsc::channel::<()>();
        let db = app.db.clone();
        let held = tokio::spawn(async move {
            db.run(move |conn| {
                let lock = match conn {
                    AnyConnection::Sqlite(_) => "BEGIN IMMEDIATE",
                    AnyConnection::Postgresql(_) => "BEGIN; LOCK TABLE seekers IN EXCLUSIVE MODE",
                };
                conn.batch_execute(lock)?;
                let _ = taken.send(());
                let _ = on_release.recv();
                conn.batch_execute("ROLLBACK")?;
                Ok(())
            })
            .await
        });
        on_taken.await.expect("lock taken");
        Self { release, held }
    }

    async fn release(self) {
        let _ = self.release.send(());
        self.held.await.expect("lock task").expect("lock released");
    }
}

/// The pool's idle connections, as `/metrics` reports them.
async fn idle_connections(app: &TestApp) -> u32 {
    let text = app
        .request(Method::GET, "/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|line| line.strip_prefix("db_pool_idle_connections "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|value| value as u32)
        .unwrap_or_else(|| panic!("no db_pool_idle_connections in {text}"))
}

/// Waits until the pool's idle connections are as `wanted` says.
async fn until_idle_connections(app: &TestApp, wanted: impl Fn(u32) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let idle = idle_connections(app).await;
        if wanted(idle) {
            return;
        }
        assert!(Instant::now() < deadline, "still {idle} idle connections");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A 503 `unavailable` problem with `Retry-After: 1` that tells nothing of its cause.
async fn expect_busy(response: Response) {
    let retry_after = response.headers().get("retry-after").cloned();
    let problem = expect_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(problem["type"], "urn:problem:sponsor-match:unavailable");
    assert_eq!(retry_after.expect("Retry-After"), "1");
    let text = problem.to_string();
    for cause in ["lock", "timed out", "pool", "database"] {
        assert!(!text.contains(cause), "the body names its cause: {text}");
    }
}

#[tokio::test]
async fn a_write_that_waits_out_the_lock_wait_is_503_with_retry_after() {
    let app = TestApp::builder()
        .with(|settings| {
            settings.database.lock_wait_ms = 200;
            settings.auth.principal_cache_ms = 600_000;
        })
        .spawn()
        .await;
    // PostgreSQL waits for a row or table lock without a limit.
    if app.db.backend() != Backend::Sqlite {
        return;
    }
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    // The key's first use is a write of its own; have it done before the lock.
    expect_json(
        app.get("/api/v1/me", &portal).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;

    let lock = HeldLock::take(&app).await;
    let response = app
        .post("/api/v1/seekers", &portal, &seeker_body())
        .send()
        .await
        .unwrap();
    expect_busy(response).await;
    lock.release().await;

    // Retried, it lands; the refused attempt left nothing.
    let response = app
        .post("/api/v1/seekers", &portal, &seeker_body())
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::CREATED).await;
    let list = expect_json(
        app.get("/api/v1/seekers", &portal).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_request_that_finds_no_free_connection_is_503_with_retry_after() {
    let app = TestApp::builder()
        .with(|settings| {
            settings.database.pool_size = 1;
            settings.database.connection_wait_ms = 200;
            settings.auth.principal_cache_ms = 600_000;
            // Nothing but the requests below uses the one connection.
            settings.matching.follow_interval_ms = 3_600_000;
            settings.matching.expiry_interval_ms = 3_600_000;
            settings.outbox.deliver_in_serve = false;
        })
        .spawn()
        .await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    for caller in [&admin, &portal] {
        let me = app.get("/api/v1/me", caller).send().await.unwrap();
        expect_json(me, StatusCode::OK).await;
    }
    until_idle_connections(&app, |idle| idle == 1).await;

    let lock = HeldLock::take(&app).await;
    let write = tokio::spawn(app.post("/api/v1/seekers", &portal, &seeker_body()).send());
    // The write holds the one connection, waiting for the lock.
    until_idle_connections(&app, |idle| idle == 0).await;
    let read = app.get("/api/v1/users", &admin).send().await.unwrap();
    expect_busy(read).await;

    lock.release().await;
    let written = write.await.unwrap().unwrap();
    expect_json(written, StatusCode::CREATED).await;
}

/// PostgreSQL's own errors, provoked on two connections: each is contention, answered
/// 503 with `Retry-After`.
#[tokio::test]
async fn postgres_serialization_failures_and_deadlocks_are_503_with_retry_after() {
    let app = TestApp::spawn().await;
    if app.db.backend() != Backend::Postgres {
        return;
    }
    let url = app.settings().database_url().to_owned();
    let errors = tokio::task::spawn_blocking(move || {
        let mut setup = PgConnection::establish(&url).unwrap();
        setup
            .batch_execute(
                "CREATE TABLE contention_probe (id integer PRIMARY KEY, n integer NOT NULL); \
                 INSERT INTO contention_probe VALUES (1, 0), (2, 0);",
            )
            .unwrap();
        [serialization_failure(&url), deadlock(&url)]
    })
    .await
    .unwrap();
    for error in errors {
        let message = error.to_string();
        let error = StoreError::from(error);
        assert!(matches!(error, StoreError::Busy(_)), "{message}: {error:?}");
        let response = ApiError::from(error).error_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    }
}

/// 40001: a repeatable-read transaction updates a row another changed since its
/// snapshot.
fn serialization_failure(url: &str) -> diesel::result::Error {
    let mut first = PgConnection::establish(url).unwrap();
    let mut second = PgConnection::establish(url).unwrap();
    first
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT n FROM contention_probe WHERE id = 1;",
        )
        .unwrap();
    second
        .batch_execute("UPDATE contention_probe SET n = n + 1 WHERE id = 1")
        .unwrap();
    let error = first
        .batch_execute("UPDATE contention_probe SET n = n + 1 WHERE id = 1")
        .unwrap_err();
    first.batch_execute("ROLLBACK").unwrap();
    error
}

/// 40P01: two transactions each wait for the row the other holds; PostgreSQL fails one.
fn deadlock(url: &str) -> diesel::result::Error {
    let lock_one_then_other = |first: i32, second: i32| {
        let mut conn = PgConnection::establish(url).unwrap();
        conn.batch_execute(&format!(
            "SET deadlock_timeout = '100ms'; BEGIN; \
             UPDATE contention_probe SET n = n + 1 WHERE id = {first};"
        ))
        .unwrap();
        (conn, second)
    };
    let (one, two) = (lock_one_then_other(1, 2), lock_one_then_other(2, 1));
    // Both hold their first row before either asks for the other's.
    let outcomes: Vec<Result<(), diesel::result::Error>> = std::thread::scope(|scope| {
        [one, two]
            .map(|(mut conn, row)| {
                scope.spawn(move || {
                    let outcome = conn.batch_execute(&format!(
                        "UPDATE contention_probe SET n = n + 1 WHERE id = {row}"
                    ));
                    conn.batch_execute("ROLLBACK").unwrap();
                    outcome
                })
            })
            .map(|thread| thread.join().unwrap())
            .into()
    });
    let mut errors: Vec<_> = outcomes.into_iter().filter_map(Result::err).collect();
    assert_eq!(
        errors.len(),
        1,
        "one of the two is chosen to fail: {errors:?}"
    );
    errors.remove(0)
}

/// A server with a pool of `pool_size`, and a program's admin and portal key whose
/// principals it already remembers, so that authenticating them takes no connection.
struct Contended {
    app: TestApp,
    admin: Caller,
    portal: Caller,
}

async fn contended(pool_size: u32, connection_wait_ms: u64) -> Contended {
    let app = TestApp::builder()
        .with(move |settings| {
            settings.database.pool_size = pool_size;
            settings.database.lock_wait_ms = 30_000;
            settings.database.connection_wait_ms = connection_wait_ms;
            settings.auth.principal_cache_ms = 600_000;
        })
        .spawn()
        .await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    for caller in [&admin, &portal] {
        let me = app.get("/api/v1/me", caller).send().await.unwrap();
        expect_json(me, StatusCode::OK).await;
    }
    Contended { app, admin, portal }
}

type Sent = tokio::task::JoinHandle<Result<Response, reqwest::Error>>;

/// `count` seeker creations sent at once. On SQLite they queue behind another
/// connection's write lock (returned, to be released): one has its turn and a
/// connection, the rest wait for the turn.
async fn queued_writes(
    app: &TestApp,
    portal: &Caller,
    count: usize,
    pool_size: u32,
) -> (Option<HeldLock>, Vec<Sent>) {
    let lock = match app.db.backend() {
        Backend::Sqlite => Some(HeldLock::take(app).await),
        Backend::Postgres => None,
    };
    let writes = (0..count)
        .map(|_| tokio::spawn(app.post("/api/v1/seekers", portal, &seeker_body()).send()))
        .collect();
    if lock.is_some() {
        until_idle_connections(app, |idle| idle < pool_size).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    (lock, writes)
}

/// Many writers queue for SQLite's one writer without holding pooled connections, so
/// readers are served meanwhile. On SQLite another connection holds the write lock
/// while the reads are made, so every write is still waiting its turn.
#[tokio::test]
async fn sixty_four_writers_leave_connections_for_sixty_four_readers() {
    const REQUESTS: usize = 64;
    let Contended { app, admin, portal } = contended(8, 2_000).await;
    let (lock, writes) = queued_writes(&app, &portal, REQUESTS, 8).await;
    let reads: Vec<_> = (0..REQUESTS)
        .map(|_| tokio::spawn(app.get("/api/v1/users", &admin).send()))
        .collect();
    let mut refused = Vec::new();
    for read in reads {
        let response = read.await.unwrap().unwrap();
        if response.status() != StatusCode::OK {
            refused.push(response.status());
        }
    }
    assert!(refused.is_empty(), "reads refused: {refused:?}");
    if let Some(lock) = lock {
        lock.release().await;
    }

    let mut written = Vec::new();
    for write in writes {
        let body = expect_json(write.await.unwrap().unwrap(), StatusCode::CREATED).await;
        written.push(body["id"].as_str().unwrap().to_owned());
    }
    let list = expect_json(
        app.get("/api/v1/seekers?limit=100", &portal)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let mut stored: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seeker: &Value| seeker["id"].as_str().unwrap().to_owned())
        .collect();
    stored.sort();
    written.sort();
    assert_eq!(stored, written);
}

/// Reads that end in a write (a candidate list records what it showed: a connection,
/// then the write turn) and plain writes (the turn, then a connection) share a small
/// pool without either holding what the other waits for: every request is answered
/// without waiting out the pool's timeout. On SQLite a held write lock lines the writers
/// up first, so that when it goes, the reads hold every connection.
#[tokio::test]
async fn reads_that_write_and_writes_never_wait_on_each_other() {
    const REQUESTS: usize = 4;
    let Contended { app, admin, portal } = contended(2, 3_000).await;
    let seeker = app.create_seeker(&portal).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (lock, writes) = queued_writes(&app, &portal, REQUESTS, 2).await;
    let path = format!("/api/v1/seekers/{seeker}/candidates");
    let lists: Vec<_> = (0..REQUESTS)
        .map(|_| tokio::spawn(app.get(&path, &admin).send()))
        .collect();
    if let Some(lock) = lock {
        tokio::time::sleep(Duration::from_millis(300)).await;
        lock.release().await;
    }
    for list in lists {
        expect_json(list.await.unwrap().unwrap(), StatusCode::OK).await;
    }
    for write in writes {
        expect_json(write.await.unwrap().unwrap(), StatusCode::CREATED).await;
    }
}
