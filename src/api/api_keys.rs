//! Portal API keys: created by program admins, shown once, stored hashed, revocable.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Admins, Authorized, JsonBody, Page, Pagination};
use crate::app::AppState;
use crate::domain::error::FieldErrors;
use crate::domain::ids::ApiKeyId;
use crate::domain::values::Label;
use crate::service;
use crate::service::credentials::CreatedApiKey;
use crate::store::api_keys::ApiKey;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, e.g. "intake portal"; 1-100 characters.
    #[schema(schema_with = crate::domain::values::text_schema::<100>)]
    pub name: String,
}

/// Create a portal API key for the program.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys",
    security(("bearer" = [])), request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 422, body = Problem)))]
pub async fn create(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<NewApiKey>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let Some(name) = errors.take("name", Label::parse(body.name)) else {
        return Err(errors.into());
    };
    let pepper = state.secrets.api_key_pepper.expose_secret().as_bytes();
    let created = service::credentials::create_api_key(&state.db, pepper, auth.actor, name).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The program's API keys, revoked ones included; never the keys themselves.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<ApiKey>)))]
pub async fn list(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let program = auth.principal().program_id();
    let keys = service::credentials::api_keys(&state.db, program, pagination.request()).await?;
    Ok(HttpResponse::Ok().json(pagination.page(keys, |k| k.id.as_uuid())))
}

/// Revoke a key; it stops working at once. Revoking again changes nothing.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api keys",
    security(("bearer" = [])),
    responses((status = 200, body = ApiKey), (status = 404, body = Problem)))]
pub async fn revoke(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    id: web::Path<ApiKeyId>,
) -> Result<HttpResponse, ApiError> {
    let key = service::credentials::revoke_api_key(
        &state.db,
        &state.principals,
        auth.actor,
        id.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(key))
}
