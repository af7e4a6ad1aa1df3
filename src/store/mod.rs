//! Persistence: one diesel code path over SQLite and PostgreSQL.
//!
//! Repository functions take `&mut AnyConnection` so that a handler can compose several
//! of them, plus the audit event, into one transaction with [`write_transaction`].

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod check_ins;
mod codec;
pub mod idempotency;
pub mod letters;
pub mod matches;
pub mod matching;
pub mod outbox;
pub mod reports;
pub mod roster;
pub mod schema;
pub mod seekers;
pub mod sponsors;
pub mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use serde::Serialize;
use serde::de::DeserializeOwned;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A connection to whichever backend the URL names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The backend of [`AnyConnection`], for boxed queries.
pub type AnyBackend = <AnyConnection as Connection>::Backend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    /// A uniqueness rule refused the write; the text names the rule for the client.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The record changed since the caller read it.
    #[error("version mismatch, current version is {current}")]
    VersionMismatch { current: i32 },
    /// The record exists and may only be replaced by naming the version replaced.
    #[error("version required, current version is {current}")]
    VersionRequired { current: i32 },
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Contention a retry shortly may get past: SQLite's lock wait (`busy_timeout`) ran
    /// out, PostgreSQL failed the transaction to keep it serializable or to break a
    /// deadlock, or no pooled connection came free in time.
    #[error("database busy: {0}")]
    Busy(String),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// A value could not be encoded for storage: a bug, refused rather than stored as
    /// something else (`null`).
    #[error("a value could not be encoded for storage: {0}")]
    Unencodable(String),
    /// A rule of the match lifecycle refused the step.
    #[error("refused: {0}")]
    Refused(crate::domain::lifecycle::Refusal),
}

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => StoreError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                StoreError::Conflict("a record with the same unique value already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            Error::DatabaseError(kind, info) if is_contention(kind, info.message()) => {
                StoreError::Busy(info.message().to_owned())
            }
            // A stored value its type does not read (`codec`): an id that is not a UUID,
            // an unknown enum name.
            Error::DeserializationError(cause) => StoreError::Corrupt(cause.to_string()),
            other => StoreError::Database(other),
        }
    }
}

/// Whether a database error is contention rather than a fault. diesel names
/// PostgreSQL's serialization_failure (40001); a deadlock (40P01) and SQLite's BUSY and
/// LOCKED are known by their messages (`sqlite3_errstr`'s, PostgreSQL's), as diesel
/// gives neither the SQLSTATE nor SQLite's code.
fn is_contention(kind: diesel::result::DatabaseErrorKind, message: &str) -> bool {
    kind == diesel::result::DatabaseErrorKind::SerializationFailure
        || message == "deadlock detected"
        || message.starts_with("database is locked")
        || message.starts_with("database table is locked")
}

impl From<r2d2::PoolError> for StoreError {
    /// No connection came free within the pool's timeout.
    fn from(error: r2d2::PoolError) -> Self {
        StoreError::Busy(error.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite://") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Opens connections of the backend the URL scheme names. (The derived
/// `MultiConnection::establish` would try each backend in turn, and SQLite accepts
/// anything as a file name.)
pub struct ConnectionManager {
    backend: Backend,
    url: String,
    lock_wait: Duration,
}

impl ConnectionManager {
    pub fn new(url: &str, lock_wait: Duration) -> Result<Self, StoreError> {
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Unavailable("database URL must start with sqlite:// or postgres://".into())
        })?;
        let url = match backend {
            Backend::Sqlite => url.trim_start_matches("sqlite://").to_owned(),
            Backend::Postgres => {
                // libpq's TLS runs on OpenSSL. Initialising it here, before libpq does,
                // leaves out OpenSSL's exit-time clean-up, which otherwise frees state
                // under threads still holding connections when the process exits.
                openssl_sys::init();
                url.to_owned()
            }
        };
        Ok(Self {
            backend,
            url,
            lock_wait,
        })
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.url)
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: it makes writers (and the switch to WAL) wait
                // instead of failing. WAL lets readers run beside the writer; foreign
                // keys are off in SQLite unless asked for.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    self.lock_wait.as_millis()
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Creates the SQLite file readable by its owner only (it holds health data), in a
/// directory likewise private when this creates it. SQLite gives its -wal and -shm files
/// the database file's permissions.
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// The connection pool; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    backend: Backend,
    /// SQLite takes one writer at a time. Writers of this process wait their turn here:
    /// SQLite's own busy handler sleeps up to 100 ms between tries, which under load
    /// costs more than the writes. `Db::write` waits before it takes a connection, and
    /// never waits for one while holding the turn (reads that write hold a connection
    /// while they wait for the turn).
    writer: Arc<Mutex<()>>,
    reads: Arc<audit::ReadLog>,
}

/// How long the database's waits last before they fail as [`StoreError::Busy`].
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// For another connection's lock (SQLite's `busy_timeout`).
    pub lock: Duration,
    /// For a pooled connection to come free.
    pub connection: Duration,
}

impl Waits {
    pub fn from_settings(settings: &crate::config::DatabaseSettings) -> Self {
        Self {
            lock: Duration::from_millis(settings.lock_wait_ms),
            connection: Duration::from_millis(settings.connection_wait_ms),
        }
    }
}

impl Default for Waits {
    fn default() -> Self {
        Self {
            lock: Duration::from_secs(10),
            connection: Duration::from_secs(5),
        }
    }
}

impl Db {
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, StoreError> {
        Self::connect_with(url, pool_size, Waits::default())
    }

    pub fn connect_with(url: &str, pool_size: u32, waits: Waits) -> Result<Self, StoreError> {
        let manager = ConnectionManager::new(url, waits.lock)?;
        let backend = manager.backend;
        if backend == Backend::Sqlite {
            create_private_file(std::path::Path::new(&manager.url)).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", manager.url))
            })?;
            // Switch a new file to WAL once, before the pool opens its connections side
            // by side: the switch takes a lock the others would fail on.
            manager
                .connect()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let pool = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(waits.connection)
            .test_on_check_out(false)
            .build(manager)?;
        Ok(Self {
            pool,
            backend,
            writer: Arc::default(),
            reads: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// (connections open, of which idle) for metrics.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Runs blocking database work off the async executor.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("database task failed: {e}")))?
    }

    /// Runs `work` in one write transaction: all of it lands or none of it does.
    pub async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let turn = self.turn();
        tokio::task::spawn_blocking(move || {
            // The turn before the connection: writers waiting their turn hold no
            // pooled connection, so however many queue, readers still find one.
            let Some(turn) = turn.as_deref() else {
                let mut conn = pool.get()?;
                return write_transaction(&mut conn, work);
            };
            let held = take_turn(turn);
            if let Some(mut conn) = pool.try_get() {
                return write_transaction(&mut conn, work);
            }
            // Every connection is taken, some perhaps by reads that will write
            // (`read_then_write`: a connection, then the turn). Holding the turn while
            // waiting for one of theirs would leave both waiting until the pool's
            // timeout, so wait for the connection without the turn, then take the turn
            // in their order.
            drop(held);
            let mut conn = pool.get()?;
            let _turn = take_turn(turn);
            write_transaction(&mut conn, work)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("database task failed: {e}")))?
    }

    /// This process's turn to write, where the backend takes one writer at a time.
    fn turn(&self) -> Option<Arc<Mutex<()>>> {
        (self.backend == Backend::Sqlite).then(|| self.writer.clone())
    }

    /// Runs work that reads and then writes through `Writer`, in one trip to a database
    /// thread: each trip costs two thread switches.
    pub async fn read_then_write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut AnyConnection, &Writer) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let writer = Writer {
            turn: self.turn(),
            reads: self.reads.clone(),
        };
        self.run(move |conn| work(conn, &writer)).await
    }

    pub async fn migrate(&self) -> Result<usize, StoreError> {
        self.run(run_migrations).await
    }

    pub async fn pending_migrations(&self) -> Result<bool, StoreError> {
        self.run(|conn| {
            let pending = match conn {
                AnyConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
                AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
            };
            pending.map_err(|e| StoreError::Unavailable(e.to_string()))
        })
        .await
    }
}

/// Applies pending migrations; returns how many ran. On PostgreSQL an advisory lock
/// keeps instances starting together from migrating twice.
fn run_migrations(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        StoreError::Unavailable(format!("migration failed: {e}"))
    };
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7264001)")?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            c.batch_execute("SELECT pg_advisory_unlock(7264001)")?;
            applied.map_err(failed)
        }
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.len())
            .map_err(failed),
    }
}

/// Write transactions in this process's turn (see [`Db`]'s `writer`), and audit events
/// of reads committed in groups.
pub struct Writer {
    turn: Option<Arc<Mutex<()>>>,
    reads: Arc<audit::ReadLog>,
}

impl Writer {
    /// A writer for work on a connection of its own (benchmarks, tests): no other
    /// request shares its turn or its read log.
    pub fn alone() -> Self {
        Writer {
            turn: None,
            reads: Arc::default(),
        }
    }

    /// Records the audit events of a read of the actor's program's records; returns once
    /// they are committed, with other requests' ([`audit::ReadLog`]).
    pub fn audit_read(
        &self,
        conn: &mut AnyConnection,
        actor: &audit::Actor,
        events: Vec<(&'static str, audit::RecordKind, String)>,
    ) -> Result<(), StoreError> {
        let program = actor.principal.program_id();
        let events = events
            .into_iter()
            .map(|(action, kind, id)| (program, action, kind, id))
            .collect();
        self.reads.record(conn, self, actor, events)
    }

    /// Records `action` on each record named, on the trail of the program named with
    /// it (a sponsor's reads of matches several programs proposed), as `audit_read` does.
    pub fn audit_read_in(
        &self,
        conn: &mut AnyConnection,
        actor: &audit::Actor,
        action: &'static str,
        kind: audit::RecordKind,
        records: Vec<(crate::domain::ids::ProgramId, String)>,
    ) -> Result<(), StoreError> {
        let events = records
            .into_iter()
            .map(|(program, id)| (program, action, kind, id))
            .collect();
        self.reads.record(conn, self, actor, events)
    }

    pub fn write<T>(
        &self,
        conn: &mut AnyConnection,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _turn = self.turn.as_deref().map(take_turn);
        write_transaction(conn, work)
    }
}

/// Waits for the write turn. The lock guards no data, so a poisoned one is as good.
fn take_turn(turn: &Mutex<()>) -> std::sync::MutexGuard<'_, ()> {
    turn.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One transaction that writes. On SQLite it begins IMMEDIATE, taking the write lock
/// up front, so concurrent writers wait their turn (busy_timeout) instead of failing
/// when a read lock cannot be upgraded.
pub fn write_transaction<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if let AnyConnection::Sqlite(sqlite) = conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        let result = work(conn);
        let AnyConnection::Sqlite(sqlite) = conn else {
            unreachable!("the connection's backend does not change")
        };
        match result {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(sqlite)?;
                Ok(value)
            }
            Err(error) => {
                // The error that caused the rollback is the one worth reporting.
                let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                Err(error)
            }
        }
    } else {
        conn.transaction(work)
    }
}

/// Inserts many rows in one statement: diesel builds multi-row inserts per backend.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let insert = diesel::insert_into($table).values($rows);
        match $conn {
            $crate::store::AnyConnection::Postgresql(pg) => insert.execute(pg),
            $crate::store::AnyConnection::Sqlite(sqlite) => insert.execute(sqlite),
        }
    }};
}
pub(crate) use insert_all;

/// Lists and sets are stored as JSON text, portable across both backends.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(unencodable)
}

pub(crate) fn unencodable(error: serde_json::Error) -> StoreError {
    StoreError::Unencodable(error.to_string())
}

pub(crate) fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A page of a list: up to `limit` items after `after`, ordered by id.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after: Option<uuid::Uuid>,
    pub limit: i64,
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> StoreError {
        Error::DatabaseError(kind, Box::new(message.to_owned())).into()
    }

    #[test]
    fn contention_is_busy_and_other_database_errors_are_not() {
        for (kind, message) in [
            (DatabaseErrorKind::Unknown, "database is locked"),
            (DatabaseErrorKind::Unknown, "database table is locked"),
            (
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access due to concurrent update",
            ),
            (DatabaseErrorKind::Unknown, "deadlock detected"),
        ] {
            let error = database_error(kind, message);
            assert!(matches!(error, StoreError::Busy(_)), "{message}: {error:?}");
        }
        assert!(matches!(
            database_error(DatabaseErrorKind::Unknown, "syntax error"),
            StoreError::Database(_)
        ));
        assert!(matches!(
            database_error(DatabaseErrorKind::CheckViolation, "database is full"),
            StoreError::Database(_)
        ));
    }

    #[test]
    fn a_value_that_cannot_be_encoded_is_an_error_never_null() {
        // JSON object keys must be strings.
        let map = std::collections::BTreeMap::from([((1, 2), "x")]);
        assert!(matches!(to_json(&map), Err(StoreError::Unencodable(_))));
    }

    #[test]
    fn no_free_connection_in_time_is_busy() {
        let manager = ConnectionManager::new("sqlite://:memory:", Duration::ZERO).unwrap();
        let pool = Pool::builder()
            .max_size(1)
            .connection_timeout(Duration::from_millis(50))
            .build(manager)
            .unwrap();
        let _held = pool.get().unwrap();
        let error = StoreError::from(pool.get().err().expect("the pool is exhausted"));
        assert!(matches!(error, StoreError::Busy(_)), "{error:?}");
    }
}
