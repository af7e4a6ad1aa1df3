//! The review queue: what in the program waits on a case manager.

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::{ApiError, Problem};
use super::extract::{Authorized, Staff, query_pairs};
use crate::app::AppState;
use crate::domain::review::{ReviewKind, ReviewSort};
use crate::service;
use crate::service::review::{QueueQuery, ReviewQueue};

const MAX_LIMIT: usize = 200;

/// Seekers waiting for a sponsor, proposals waiting for review, requests running out
/// within a day and check-ins that need a look (help asked, a change asked, silence):
/// urgent first (discharge within two days), then what runs out soonest,
/// then the longest waiting; or `sort=waiting`, the longest waiting first. `kind` may be
/// given more than once. Case managers and admins.
#[utoipa::path(get, path = "/api/v1/review-queue", tag = "case managers",
    security(("bearer" = [])),
    params(
        ("kind" = Option<Vec<ReviewKind>>, Query, description = "waiting_seeker, pending_review, near_expiry or check_in; all when left out"),
        ("sort" = Option<ReviewSort>, Query, description = "urgency (default) or waiting"),
        ("offset" = Option<u64>, Query, minimum = 0, maximum = 18446744073709551615_u64, description = "entries to skip, default 0"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "1 to 200, default 50"),
    ),
    responses((status = 200, body = ReviewQueue), (status = 422, body = Problem)))]
pub async fn queue(
    auth: Authorized<Staff>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = parse(req.query_string())?;
    let program = auth.principal().program_id();
    let queue = service::review::queue(&state.db, &state.check_in_schedule, program, query).await?;
    Ok(HttpResponse::Ok().json(queue))
}

fn parse(query: &str) -> Result<QueueQuery, ApiError> {
    let pairs = query_pairs(query, &["kind"])?;
    let mut parsed = QueueQuery {
        kinds: Vec::new(),
        sort: ReviewSort::default(),
        offset: 0,
        limit: 50,
    };
    let named = |value: &str| serde_json::Value::String(value.to_owned());
    for (key, value) in pairs {
        match key.as_str() {
            "kind" => parsed
                .kinds
                .push(serde_json::from_value(named(&value)).map_err(|_| {
                    ApiError::field(
                        "kind",
                        "unknown_kind",
                        "waiting_seeker, pending_review, near_expiry or check_in",
                    )
                })?),
            "sort" => {
                parsed.sort = serde_json::from_value(named(&value))
                    .map_err(|_| ApiError::field("sort", "unknown_sort", "urgency or waiting"))?;
            }
            "offset" => {
                parsed.offset = value.parse().map_err(|_| {
                    ApiError::field("offset", "not_a_number", "a whole number from 0")
                })?;
            }
            "limit" => {
                parsed.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| ApiError::field("limit", "out_of_range", "1 to 200"))?;
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown_parameter",
                    "the queue takes kind, sort, offset and limit",
                ));
            }
        }
    }
    Ok(parsed)
}
