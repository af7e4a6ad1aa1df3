//! A program's webhook, kept by its admins: the portal learns of every match step.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Admins, Authorized, JsonBody};
use crate::app::AppState;
use crate::domain::values::WebhookUrl;
use crate::service;
use crate::service::credentials::NewWebhook;
use crate::store::webhooks::WebhookRecord;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// HTTPS (plain HTTP only to localhost).
    #[schema(schema_with = crate::domain::values::WebhookUrl::schema)]
    pub url: String,
}

/// The program's webhook.
#[utoipa::path(get, path = "/api/v1/webhook", tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, body = WebhookRecord), (status = 404, body = Problem)))]
pub async fn get(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let program = auth.principal().program_id();
    let record = service::credentials::webhook(&state.db, program).await?;
    Ok(HttpResponse::Ok().json(record))
}

/// Set (or replace) the program's webhook; answers with a new signing secret, once.
///
/// Every step of the program's matches is then POSTed there as JSON, signed: see
/// docs/operations.md for how to verify a delivery.
#[utoipa::path(put, path = "/api/v1/webhook", tag = "webhooks",
    security(("bearer" = [])), request_body = WebhookInput,
    responses((status = 200, body = NewWebhook), (status = 422, body = Problem)))]
pub async fn put(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<WebhookInput>,
) -> Result<HttpResponse, ApiError> {
    let url =
        WebhookUrl::parse(input.url).map_err(|e| ApiError::field("url", &e.code, e.message))?;
    let created = service::credentials::set_webhook(&state.db, auth.actor, url).await?;
    Ok(HttpResponse::Ok().json(created))
}

/// Remove the program's webhook.
#[utoipa::path(delete, path = "/api/v1/webhook", tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    service::credentials::remove_webhook(&state.db, auth.actor).await?;
    Ok(HttpResponse::NoContent().finish())
}
