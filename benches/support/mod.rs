//! What the database benchmarks share: a fresh database of either backend.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use sponsor_match::config::Settings;

/// A database made for one run: on the PostgreSQL server of BENCH_DATABASE_URL (dropped
/// when this is dropped), else a SQLite file in a temporary directory.
pub struct BenchDatabase {
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl BenchDatabase {
    /// Creates it and points `settings` at it, with fixed secrets.
    pub fn create(settings: &mut Settings, prefix: &str) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let postgres = match std::env::var("BENCH_DATABASE_URL") {
            Ok(admin_url) => {
                let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
                PgConnection::establish(&admin_url)?
                    .batch_execute(&format!("CREATE DATABASE {name}"))?;
                let (base, _) = admin_url.rsplit_once('/').expect("URL names a database");
                settings.database.url = format!("{base}/{name}").into();
                Some((admin_url, name))
            }
            Err(_) => {
                settings.database.url =
                    format!("sqlite://{}", dir.path().join("bench.db").display()).into();
                None
            }
        };
        settings.secrets.token_signing_key = Some("bench".to_owned().into());
        settings.secrets.api_key_pepper = Some("bench".to_owned().into());
        Ok(Self {
            postgres,
            _dir: dir,
        })
    }

    pub fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
