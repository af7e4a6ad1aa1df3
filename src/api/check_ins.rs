//! Check-ins: what case managers read and follow up. (The pages behind the one-click
//! answers in check-in emails are the console's, `console::links`.)

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Authorized, Staff};
use crate::app::AppState;
use crate::domain::ids::{CheckInId, MatchId};
use crate::service;
use crate::store::check_ins::CheckInRecord;

#[derive(Serialize, ToSchema)]
pub struct CheckIns {
    /// Oldest round first; in each round the seeker's, then the sponsor's.
    pub check_ins: Vec<CheckInRecord>,
}

/// A match's check-ins: what each side answered, and which stayed silent.
#[utoipa::path(get, path = "/api/v1/matches/{id}/check-ins", tag = "check-ins",
    security(("bearer" = [])),
    responses((status = 200, body = CheckIns), (status = 404, body = Problem)))]
pub async fn for_match(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    id: web::Path<MatchId>,
) -> Result<HttpResponse, ApiError> {
    let schedule = &state.check_in_schedule;
    let check_ins =
        service::check_ins::for_match(&state.db, schedule, auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(CheckIns { check_ins }))
}

/// Mark a check-in as followed up: it leaves the review queue until it is answered again.
#[utoipa::path(post, path = "/api/v1/check-ins/{id}/follow-up", tag = "check-ins",
    security(("bearer" = [])),
    responses((status = 200, body = CheckInRecord), (status = 404, body = Problem)))]
pub async fn follow_up(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    id: web::Path<CheckInId>,
) -> Result<HttpResponse, ApiError> {
    let schedule = &state.check_in_schedule;
    let record =
        service::check_ins::follow_up(&state.db, schedule, auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(record))
}
