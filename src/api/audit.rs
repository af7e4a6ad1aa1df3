//! The program's audit trail, for its staff.

use actix_web::{HttpResponse, web};

use super::error::ApiError;
use super::extract::{Authorized, Page, Pagination, Staff};
use crate::app::AppState;
use crate::service;
use crate::store::audit::AuditEvent;

/// Audit events of the program, oldest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<AuditEvent>)))]
pub async fn list(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let program = auth.principal().program_id();
    let events = service::audit::events(&state.db, program, pagination.request()).await?;
    Ok(HttpResponse::Ok().json(pagination.page(events, |e| e.id.as_uuid())))
}
