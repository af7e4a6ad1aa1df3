//! The outbox as program admins see it: messages that could not be delivered, and a
//! way to send them again once the cause is fixed.

use actix_web::{HttpResponse, web};

use super::error::{ApiError, Problem};
use super::extract::{Admins, Authorized, Page, Pagination};
use crate::app::AppState;
use crate::service;
use crate::store::outbox::MessageRecord;

const STATUSES: [&str; 4] = ["pending", "sent", "dead", "cancelled"];

/// The program's messages in one status (`pending`, `sent`, `dead`, `cancelled`), oldest
/// first. Dead messages failed for good or too often; `last_error` says why.
#[utoipa::path(get, path = "/api/v1/outbox/{status}", tag = "outbox",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<MessageRecord>), (status = 404, body = Problem)))]
pub async fn list(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    status: web::Path<String>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let status = status.into_inner();
    if !STATUSES.contains(&status.as_str()) {
        return Err(ApiError::NotFound);
    }
    let program = auth.principal().program_id();
    let messages =
        service::outbox::messages(&state.db, program, status, pagination.request()).await?;
    Ok(HttpResponse::Ok().json(pagination.page(messages, |m| m.id)))
}

/// Queue a dead message again, due now, with its attempts reset.
#[utoipa::path(post, path = "/api/v1/outbox/messages/{id}/retry", tag = "outbox",
    security(("bearer" = [])),
    responses((status = 200, body = MessageRecord), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn retry(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let record = service::outbox::retry_dead_letter(&state.db, auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(record))
}
