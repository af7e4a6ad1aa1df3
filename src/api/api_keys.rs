//! Portal API keys: created by program admins, shown once, stored hashed, revocable.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Admins, Authorized, JsonBody, Page, Pagination};
use crate::app::AppState;
use crate::auth::credentials::{API_KEY_PREFIX, api_key_hash, random_token};
use crate::domain::error::FieldErrors;
use crate::domain::ids::ApiKeyId;
use crate::domain::values::Label;
use crate::store::accounts::{self, ApiKey};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, e.g. "intake portal"; 1-100 characters.
    #[schema(schema_with = crate::domain::values::text_schema::<100>)]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The key itself, shown only now. Send as `Authorization: Bearer <key>`.
    pub key: String,
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
    let key = random_token(API_KEY_PREFIX);
    let hash = api_key_hash(
        &key,
        state.secrets.api_key_pepper.expose_secret().as_bytes(),
    );
    let actor = auth.actor;
    let api_key = state
        .db
        .write(move |conn| accounts::create_api_key(conn, &actor, name.as_str(), &hash))
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiKey { api_key, key }))
}

/// The program's API keys, revoked ones included; never the keys themselves.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<ApiKey>)))]
pub async fn list(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let program = auth.principal().program_id();
    let keys = state
        .db
        .run(move |conn| accounts::list_api_keys(conn, program, pagination.request()))
        .await?;
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
    let id = id.into_inner();
    let actor = auth.actor;
    let key = state
        .db
        .write(move |conn| accounts::revoke_api_key(conn, &actor, id))
        .await?;
    state.principals.forget_all();
    Ok(HttpResponse::Ok().json(key))
}
