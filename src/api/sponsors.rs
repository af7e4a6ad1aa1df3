//! Sponsor profiles: sponsors keep their own; the program's staff can look them up;
//! program admins import a roster of sponsors to invite.

use actix_web::{HttpResponse, web};

use super::error::{ApiError, Problem};
use super::extract::{
    Admins, Authorized, CsvBody, IfMatch, JsonBody, ModeQuery, Page, Pagination, QueryMode,
    Sponsors, Staff,
};
use super::versioned;
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::ids::UserId;
use crate::domain::roster::{ImportMode, ImportReport};
use crate::domain::sponsor::SponsorProfileInput;
use crate::service;
use crate::service::roster::import_sponsors;
use crate::store::roster::Importer;
use crate::store::sponsors::SponsorProfileRecord;

fn own_id(principal: &Principal) -> Result<UserId, ApiError> {
    match principal {
        Principal::User { id, .. } => Ok(*id),
        Principal::Portal { .. } => Err(ApiError::Forbidden),
    }
}

/// The signed-in sponsor's own profile, with their contact details.
#[utoipa::path(get, path = "/api/v1/sponsors/me", tag = "sponsors",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SponsorProfileRecord),
        (status = 404, body = Problem, description = "No profile yet: PUT one"),
    ))]
pub async fn get_own(
    auth: Authorized<Sponsors>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = own_id(auth.principal())?;
    let profile = service::sponsors::own_profile(&state.db, id).await?;
    Ok(versioned(HttpResponse::Ok(), profile.version, &profile))
}

/// Create or replace the signed-in sponsor's profile.
///
/// The first PUT creates it; later ones need `If-Match` with the current version.
/// Setting `status` to `paused` takes the sponsor out of matching.
#[utoipa::path(put, path = "/api/v1/sponsors/me", tag = "sponsors",
    security(("bearer" = [])), request_body = SponsorProfileInput,
    params(("If-Match" = Option<String>, Header, description = "The version being replaced")),
    responses(
        (status = 200, body = SponsorProfileRecord),
        (status = 404, description = "If-Match given for a profile not yet made", body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem),
    ))]
pub async fn put_own(
    auth: Authorized<Sponsors>,
    state: web::Data<AppState>,
    if_match: IfMatch,
    JsonBody(input): JsonBody<SponsorProfileInput>,
) -> Result<HttpResponse, ApiError> {
    let id = own_id(auth.principal())?;
    let record =
        service::sponsors::save_profile(&state.db, &state.pool, auth.actor, id, input, if_match.0)
            .await?;
    Ok(versioned(HttpResponse::Ok(), record.version, &record))
}

/// The program's sponsors, with contact details, for its staff. Audited.
#[utoipa::path(get, path = "/api/v1/sponsors", tag = "sponsors",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<SponsorProfileRecord>)))]
pub async fn list(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let profiles = service::sponsors::list(&state.db, auth.actor, pagination.request()).await?;
    Ok(HttpResponse::Ok().json(pagination.page(profiles, |p| p.sponsor_id.as_uuid())))
}

/// One of the program's sponsors. Audited.
#[utoipa::path(get, path = "/api/v1/sponsors/{id}", tag = "sponsors",
    security(("bearer" = [])),
    responses((status = 200, body = SponsorProfileRecord), (status = 404, body = Problem)))]
pub async fn get(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let profile = service::sponsors::get(&state.db, auth.actor, id.into_inner()).await?;
    Ok(versioned(HttpResponse::Ok(), profile.version, &profile))
}

impl QueryMode for ImportMode {
    const NAMES: &'static str = "all-or-nothing or skip-invalid";
}

/// Import a roster of sponsors (CSV): each new one is invited by email, and their
/// profile is ready when they accept. Importing the same file again changes nothing.
///
/// The columns, separators and rules are in docs/case-managers.md. Every row is
/// checked as `PUT /sponsors/me` and `POST /invites` check the same fields. With
/// `mode=all-or-nothing` (the default) any rejected row means nothing is imported
/// (422 `roster-rejected`, the rows in `rows`); with `mode=skip-invalid` the valid rows
/// are imported and the rejected ones listed in the report.
#[utoipa::path(post, path = "/api/v1/sponsors/import", tag = "sponsors",
    security(("bearer" = [])),
    params(("mode" = Option<ImportMode>, Query, description = "all-or-nothing (default) or skip-invalid")),
    request_body(content = String, content_type = "text/csv",
        description = "A roster file with a header row naming every roster column"),
    responses(
        (status = 200, body = ImportReport),
        (status = 413, body = Problem, description = "Larger than `server.max_import_bytes`"),
        (status = 415, body = Problem, description = "Not `text/csv`"),
        (status = 422, body = Problem,
            description = "`roster-rejected` (with `rows`): a wrong header, or rows rejected in all-or-nothing mode; `validation`: an unknown mode"),
    ))]
pub async fn import(
    auth: Authorized<Admins>,
    ModeQuery(mode): ModeQuery<ImportMode>,
    state: web::Data<AppState>,
    CsvBody(csv): CsvBody,
) -> Result<HttpResponse, ApiError> {
    let report = import_sponsors(
        &state.db,
        &state.settings,
        &state.secrets,
        Importer::Admin(auth.actor),
        csv,
        mode,
        &(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
