//! Seekers and their consents, kept by the program's portal and staff.

use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::error::{ApiError, Problem};
use super::extract::{Authorized, IfMatch, JsonBody, Page, Pagination, SeekerKeepers};
use super::versioned;
use crate::app::AppState;
use crate::domain::consent::{Consent, ConsentInput};
use crate::domain::ids::{ConsentId, SeekerId};
use crate::domain::seeker::SeekerProfileInput;
use crate::service;
use crate::store::seekers::{ConsentRecord, SeekerRecord, SeekerSummary};

/// Register a seeker.
#[utoipa::path(post, path = "/api/v1/seekers", tag = "seekers",
    security(("bearer" = [])), request_body = SeekerProfileInput,
    responses(
        (status = 201, body = SeekerRecord, headers(("Location" = String), ("ETag" = String))),
        (status = 422, body = Problem),
    ))]
pub async fn create(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<SeekerProfileInput>,
) -> Result<HttpResponse, ApiError> {
    let record = service::seekers::create(&state.db, auth.actor, input).await?;
    let mut response = HttpResponse::Created();
    response.insert_header(("Location", format!("/api/v1/seekers/{}", record.id)));
    Ok(versioned(response, record.version, &record))
}

/// The program's seekers, by id. Each listing by a person is audited.
#[utoipa::path(get, path = "/api/v1/seekers", tag = "seekers",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<SeekerSummary>)))]
pub async fn list(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let summaries = service::seekers::list(&state.db, auth.actor, pagination.request()).await?;
    Ok(HttpResponse::Ok().json(pagination.page(summaries, |s| s.id.as_uuid())))
}

/// One seeker, with contact details and internal notes. Reads by people are audited.
#[utoipa::path(get, path = "/api/v1/seekers/{id}", tag = "seekers",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SeekerRecord, headers(("ETag" = String))),
        (status = 404, body = Problem),
    ))]
pub async fn get(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    id: web::Path<SeekerId>,
) -> Result<HttpResponse, ApiError> {
    let record = service::seekers::get(&state.db, auth.actor, id.into_inner()).await?;
    Ok(versioned(HttpResponse::Ok(), record.version, &record))
}

/// Replace a seeker's profile. Requires `If-Match` with the current version.
#[utoipa::path(put, path = "/api/v1/seekers/{id}", tag = "seekers",
    security(("bearer" = [])), request_body = SeekerProfileInput,
    params(("If-Match" = String, Header, description = "The version being replaced")),
    responses(
        (status = 200, body = SeekerRecord),
        (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem),
    ))]
pub async fn update(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    id: web::Path<SeekerId>,
    if_match: IfMatch,
    JsonBody(input): JsonBody<SeekerProfileInput>,
) -> Result<HttpResponse, ApiError> {
    let record =
        service::seekers::update(&state.db, auth.actor, id.into_inner(), if_match.0, input).await?;
    Ok(versioned(HttpResponse::Ok(), record.version, &record))
}

/// Record the seeker's consent to disclose a summary to candidate sponsors.
#[utoipa::path(post, path = "/api/v1/seekers/{id}/consents", tag = "seekers",
    security(("bearer" = [])), request_body = ConsentInput,
    responses(
        (status = 201, body = ConsentRecord),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ))]
pub async fn record_consent(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    id: web::Path<SeekerId>,
    JsonBody(input): JsonBody<ConsentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let consent = Consent::parse(input, Utc::now())?;
    let actor = auth.actor;
    let record = service::consents::record(&state.db, actor, id, consent).await?;
    Ok(HttpResponse::Created().json(record))
}

/// The seeker's consents, revoked and expired ones included.
#[utoipa::path(get, path = "/api/v1/seekers/{id}/consents", tag = "seekers",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ConsentRecord>), (status = 404, body = Problem)))]
pub async fn list_consents(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    id: web::Path<SeekerId>,
) -> Result<HttpResponse, ApiError> {
    let records = service::seekers::consents(&state.db, auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(records))
}

/// Revoke a consent; disclosure stops at once.
#[utoipa::path(post, path = "/api/v1/seekers/{id}/consents/{consent_id}/revoke", tag = "seekers",
    security(("bearer" = [])),
    responses((status = 200, body = ConsentRecord), (status = 404, body = Problem)))]
pub async fn revoke_consent(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    path: web::Path<(SeekerId, ConsentId)>,
) -> Result<HttpResponse, ApiError> {
    let (seeker, consent) = path.into_inner();
    let actor = auth.actor;
    let record = service::consents::revoke(&state.db, &state.pool, actor, seeker, consent).await?;
    Ok(HttpResponse::Ok().json(record))
}
