//! Builds the application from settings: database, migrations, secrets, HTTP server.
//! Tests start it exactly as `serve` does, on port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::api;
use crate::app::AppState;
use crate::auth::principals::PrincipalCache;
use crate::auth::throttle::LoginThrottle;
use crate::config::Settings;
use crate::console;
use crate::delivery::worker::Worker;
use crate::pool::SponsorPool;
use crate::service;
use crate::store::{Db, Waits};

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects, migrates and binds; the server starts when awaited.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Missing secrets stop start-up before anything touches the database.
        let secrets = settings.secrets()?;
        let check_in_schedule = settings.check_ins.schedule()?;
        let db = Db::connect_with(
            settings.database_url(),
            settings.database.pool_size,
            Waits::from_settings(&settings.database),
        )?;
        let applied = db.migrate().await?;
        if applied > 0 {
            tracing::info!(applied, "migrations applied");
        }
        let pool = SponsorPool::load(&db).await?;
        tracing::info!(sponsors = pool.len(), "rank index built");
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let max_body_bytes = settings.server.max_body_bytes;
        let max_import_bytes = settings.server.max_import_bytes;
        let state = web::Data::new(AppState {
            login_throttle: LoginThrottle::from_settings(&settings.auth),
            principals: PrincipalCache::new(Duration::from_millis(
                settings.auth.principal_cache_ms,
            )),
            link_throttle: LoginThrottle::from_settings(&settings.auth),
            reset_throttle: LoginThrottle::from_settings(&settings.auth),
            db,
            settings,
            secrets,
            metrics: crate::telemetry::metrics_handle(),
            pool: Arc::new(pool),
            check_in_schedule,
        });
        tokio::spawn(follow_changes(state.clone()));
        tokio::spawn(expire_requests(state.clone()));
        tokio::spawn(open_check_ins(state.clone()));
        if state.settings.outbox.deliver_in_serve {
            let worker = Worker::new(&state.settings, &state.secrets, state.db.clone())?;
            tokio::spawn(worker.run());
        }
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(max_body_bytes))
                // A malformed id in a path names nothing: 404.
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| api::error::ApiError::NotFound.into()),
                )
                .wrap(from_fn(api::extract::authenticate))
                .wrap(from_fn(api::observe))
                .wrap(api::default_headers())
                .configure(|cfg| api::routes(cfg, max_import_bytes))
                .configure(console::routes)
                .default_service(web::to(api::not_found))
        })
        .listen(listener)?
        // Signals are handled in `run_until_signalled`, gracefully for SIGINT too.
        .disable_signals()
        .shutdown_timeout(30)
        .run();
        tracing::info!(port, "listening");
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting and lets requests in flight
    /// finish (up to 30 s).
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let handle = self.server.handle();
        tokio::spawn(async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            }
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// Keeps the rank index current with changes made through other instances, and rebuilt
/// for the coming week as the hours pass.
async fn follow_changes(state: web::Data<AppState>) {
    // A zero interval would make the timer panic.
    let mut tick = tokio::time::interval(Duration::from_millis(
        state.settings.matching.follow_interval_ms.max(10),
    ));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = state.pool.refresh(&state.db).await {
            tracing::warn!(%error, "rebuilding the rank index failed");
        }
        if let Err(error) = state.pool.follow(&state.db).await {
            tracing::warn!(%error, "following sponsor changes failed");
        }
    }
}

/// Expires requests not answered in time, proposing the next candidate where the policy
/// says so, and forgets idempotency keys a day old (`service::matches::expire_overdue`).
async fn expire_requests(state: web::Data<AppState>) {
    const BATCH: i64 = 100;
    let mut tick = tokio::time::interval(Duration::from_millis(
        state.settings.matching.expiry_interval_ms.max(10),
    ));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match service::matches::expire_overdue(&state.db, &state.pool, BATCH).await {
            Ok(round) if round.expired > 0 => {
                tracing::info!(
                    expired = round.expired,
                    advanced = round.advanced,
                    "requests expired"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "expiring requests failed"),
        }
    }
}

/// Opens the check-in rounds that have come (`service::check_ins::open_due_rounds`).
async fn open_check_ins(state: web::Data<AppState>) {
    const BATCH: usize = 100;
    let mut tick = tokio::time::interval(Duration::from_millis(
        state.settings.matching.expiry_interval_ms.max(10),
    ));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match service::check_ins::open_due_rounds(&state.db, &state.check_in_schedule, BATCH).await
        {
            Ok(opened) if opened > 0 => tracing::info!(opened, "check-in rounds opened"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "looking for check-ins due failed"),
        }
    }
}
