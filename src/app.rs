//! What every front end is handed: the database, settings and secrets, this instance's
//! sponsor pool, throttles, caches and metrics. Built once by `startup`; handlers reach it
//! as `web::Data<AppState>`.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::principals::PrincipalCache;
use crate::auth::throttle::LoginThrottle;
use crate::config::{Secrets, Settings};
use crate::domain::check_in::CheckInSchedule;
use crate::pool::SponsorPool;
use crate::store::Db;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub secrets: Secrets,
    pub login_throttle: LoginThrottle,
    /// Failed tokens of emailed links (invites, password resets), apart from failed
    /// logins: guessing one does not lock the other.
    pub link_throttle: LoginThrottle,
    /// Requests for a password reset link, per email address and client address.
    pub reset_throttle: LoginThrottle,
    pub metrics: PrometheusHandle,
    /// Shared with the database threads that rank.
    pub pool: Arc<SponsorPool>,
    pub principals: PrincipalCache,
    pub check_in_schedule: CheckInSchedule,
}
