//! Program admins manage their program's people: invite, list, rename, disable.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Admins, Authorized, IfMatch, JsonBody, Page, Pagination};
use super::versioned;
use crate::app::AppState;
use crate::auth::Role;
use crate::domain::error::FieldErrors;
use crate::domain::ids::UserId;
use crate::domain::values::{EmailAddress, PersonName};
use crate::service;
use crate::service::accounts::CreatedInvite;
use crate::store::accounts::{User, UserChange};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(schema_with = crate::domain::values::EmailAddress::schema)]
    pub email: String,
    #[schema(schema_with = crate::domain::values::text_schema::<100>)]
    pub display_name: String,
    pub role: Role,
}

/// Invite a person to the program as program admin, case manager or sponsor.
///
/// Inviting an address whose earlier invite is still pending replaces that invite. The
/// account is created when the invite is accepted.
#[utoipa::path(post, path = "/api/v1/invites", tag = "users",
    security(("bearer" = [])), request_body = InviteRequest,
    responses(
        (status = 201, body = CreatedInvite),
        (status = 409, body = Problem, description = "The email belongs to a user of this program"),
        (status = 422, body = Problem),
    ))]
pub async fn invite(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let email = errors.take("email", EmailAddress::parse(body.email));
    let name = errors.take("display_name", PersonName::parse(body.display_name));
    let (Some(email), Some(name)) = (email, name) else {
        return Err(errors.into());
    };
    let hours = state.settings.auth.invite_hours;
    let created =
        service::accounts::invite(&state.db, auth.actor, email, name, body.role, hours).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The program's people, by id.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<User>)))]
pub async fn list(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let program = auth.principal().program_id();
    let users = service::accounts::users(&state.db, program, pagination.request()).await?;
    Ok(HttpResponse::Ok().json(pagination.page(users, |u| u.id.as_uuid())))
}

/// One of the program's people.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    security(("bearer" = [])),
    responses((status = 200, body = User), (status = 404, body = Problem)))]
pub async fn get(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let program = auth.principal().program_id();
    let user = service::accounts::user(&state.db, program, id).await?;
    Ok(versioned(HttpResponse::Ok(), user.version, &user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[schema(schema_with = crate::domain::values::text_schema::<100>)]
    pub display_name: Option<String>,
    /// `true` ends the account's sessions and blocks logins; `false` restores it.
    pub disabled: Option<bool>,
}

/// Rename, disable or re-enable a person. Requires `If-Match` with the current version.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    security(("bearer" = [])), request_body = UserUpdate,
    params(("If-Match" = String, Header, description = "The version being changed, e.g. \"1\"")),
    responses(
        (status = 200, body = User),
        (status = 409, body = Problem, description = "An admin cannot disable themselves"),
        (status = 412, body = Problem),
        (status = 428, body = Problem),
    ))]
pub async fn update(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<UserUpdate>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let display_name = body
        .display_name
        .and_then(|n| errors.take("display_name", PersonName::parse(n)));
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let change = UserChange {
        display_name: display_name.map(|n| n.as_str().to_owned()),
        disabled: body.disabled,
    };
    let user = service::accounts::update_user(
        &state.db,
        &state.pool,
        &state.principals,
        auth.actor,
        id.into_inner(),
        if_match.0,
        change,
    )
    .await?;
    Ok(versioned(HttpResponse::Ok(), user.version, &user))
}
