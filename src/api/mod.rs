//! The HTTP layer: the route table, the request middleware, and helpers shared by the
//! handlers. Handlers parse, authorise (via extractors), call the store, map errors.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod check_ins;
pub mod cohort;
pub mod error;
pub mod extract;
pub mod health;
pub mod matches;
pub mod matching;
pub mod openapi;
pub mod outbox;
pub mod reports;
pub mod respond;
pub mod review;
pub mod seekers;
pub mod sponsors;
pub mod users;
pub mod webhooks;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError, web};
use serde::Serialize;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use error::{ApiError, REQUEST_ID};

/// Every route of the service, in one place. Roster imports take bodies up to
/// `max_import_bytes`; every other body is held to the application's limit.
pub fn routes(cfg: &mut web::ServiceConfig, max_import_bytes: usize) {
    cfg.service(resource("/healthz").route(web::get().to(health::healthz)))
        .service(resource("/readyz").route(web::get().to(health::readyz)))
        .service(resource("/metrics").route(web::get().to(health::metrics)))
        .service(
            resource("/respond/{token}")
                .route(web::get().to(respond::show))
                .route(web::post().to(respond::answer)),
        )
        .service(
            resource("/invite/{token}")
                .route(web::get().to(auth::invite_page))
                .route(web::post().to(auth::invite_form)),
        )
        .service(
            resource("/check-in/{token}")
                .route(web::get().to(check_ins::show))
                .route(web::post().to(check_ins::answer)),
        )
        .service(web::redirect("/docs", "/docs/"))
        .service(
            SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", openapi::ApiDoc::openapi()),
        )
        .service(
            web::scope("/api/v1")
                .service(resource("/auth/login").route(web::post().to(auth::login)))
                .service(resource("/auth/logout").route(web::post().to(auth::logout)))
                .service(resource("/me").route(web::get().to(auth::me)))
                .service(resource("/invites").route(web::post().to(users::invite)))
                .service(resource("/invites/accept").route(web::post().to(auth::accept_invite)))
                .service(resource("/users").route(web::get().to(users::list)))
                .service(
                    resource("/users/{id}")
                        .route(web::get().to(users::get))
                        .route(web::patch().to(users::update)),
                )
                .service(
                    resource("/api-keys")
                        .route(web::get().to(api_keys::list))
                        .route(web::post().to(api_keys::create)),
                )
                .service(resource("/api-keys/{id}").route(web::delete().to(api_keys::revoke)))
                .service(
                    resource("/sponsors/me")
                        .route(web::get().to(sponsors::get_own))
                        .route(web::put().to(sponsors::put_own)),
                )
                .service(
                    resource("/sponsors/me/requests")
                        .route(web::get().to(matches::sponsor_requests)),
                )
                .service(resource("/sponsors").route(web::get().to(sponsors::list)))
                .service(
                    resource("/sponsors/import")
                        .app_data(web::PayloadConfig::new(max_import_bytes))
                        .route(web::post().to(sponsors::import)),
                )
                .service(resource("/sponsors/{id}").route(web::get().to(sponsors::get)))
                .service(
                    resource("/seekers")
                        .route(web::get().to(seekers::list))
                        .route(web::post().to(seekers::create)),
                )
                .service(
                    resource("/seekers/{id}")
                        .route(web::get().to(seekers::get))
                        .route(web::put().to(seekers::update)),
                )
                .service(
                    resource("/seekers/{id}/consents")
                        .route(web::get().to(seekers::list_consents))
                        .route(web::post().to(seekers::record_consent)),
                )
                .service(
                    resource("/seekers/{id}/consents/{consent_id}/revoke")
                        .route(web::post().to(seekers::revoke_consent)),
                )
                .service(
                    resource("/seekers/{id}/candidates").route(web::get().to(matching::candidates)),
                )
                .service(
                    resource("/seekers/{id}/candidates/{sponsor_id}")
                        .route(web::get().to(matching::candidate)),
                )
                .service(
                    resource("/seekers/{id}/matches")
                        .route(web::get().to(matches::seeker_history))
                        .route(web::post().to(matches::propose)),
                )
                .service(
                    resource("/seekers/{id}/disclosures")
                        .route(web::get().to(matches::disclosures)),
                )
                .service(resource("/matches/{id}").route(web::get().to(matches::get)))
                .service(
                    resource("/matches/{id}/reassign").route(web::post().to(matches::reassign)),
                )
                .service(
                    resource("/matches/{id}/check-ins").route(web::get().to(check_ins::for_match)),
                )
                .service(
                    resource("/check-ins/{id}/follow-up")
                        .route(web::post().to(check_ins::follow_up)),
                )
                .service(resource("/matches/{id}/{action}").route(web::post().to(matches::step)))
                .service(resource("/cohort-assignment").route(web::get().to(cohort::plan)))
                .service(resource("/review-queue").route(web::get().to(review::queue)))
                .service(resource("/reports").route(web::get().to(reports::report)))
                .service(
                    resource("/cohort-assignment/accept").route(web::post().to(cohort::accept)),
                )
                .service(
                    resource("/matching-policy")
                        .route(web::get().to(matching::get_policy))
                        .route(web::put().to(matching::put_policy)),
                )
                .service(
                    resource("/outbox/messages/{id}/retry").route(web::post().to(outbox::retry)),
                )
                .service(resource("/outbox/{status}").route(web::get().to(outbox::list)))
                .service(
                    resource("/webhook")
                        .route(web::get().to(webhooks::get))
                        .route(web::put().to(webhooks::put))
                        .route(web::delete().to(webhooks::delete)),
                )
                .service(resource("/audit-events").route(web::get().to(audit::list))),
        );
}

/// A resource whose unsupported methods get a problem response, not an empty 405.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        ApiError::MethodNotAllowed.error_response()
    }))
}

/// For unknown paths.
pub async fn not_found() -> HttpResponse {
    ApiError::NotFound.error_response()
}

/// A JSON response carrying the record's version as its ETag, for `If-Match`.
pub fn versioned(
    mut response: HttpResponseBuilder,
    version: i32,
    body: &impl Serialize,
) -> HttpResponse {
    response
        .insert_header((header::ETAG, format!("\"{version}\"")))
        .json(body)
}

/// Headers every response carries, unless it sets its own. `nosniff`: no browser
/// reads a body as another type than it says. `no-store`: nearly every answer holds
/// personal or health data (seekers' notes and contact details, sponsors' profiles and
/// contact details, matches, consents, the audit trail, candidates), so no browser or
/// proxy keeps any; a rule per record would fail open for the record that forgets it.
pub fn default_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Gives each request an id (the caller's `X-Request-Id` if sane, else a new UUIDv7),
/// a tracing span, a log line and metrics. Paths are logged as route patterns, so ids
/// of records never reach the logs.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", %method, request_id = %request_id);
    let started = Instant::now();
    let mut response = REQUEST_ID
        .scope(request_id.clone(), next.call(req))
        .instrument(span.clone())
        .await?;
    let elapsed = started.elapsed();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    metrics::counter!("http_requests_total",
        "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
    .increment(1);
    metrics::histogram!("http_request_duration_seconds",
        "method" => method.clone(), "route" => route.clone())
    .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(%route, status, latency_ms = elapsed.as_millis() as u64, "request served");
    });
    Ok(response)
}
