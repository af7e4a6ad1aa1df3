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
pub mod review;
pub mod seekers;
pub mod sponsors;
pub mod users;
pub mod webhooks;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError, web};
use serde::Serialize;
use tracing::Instrument;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{RefOr, Schema};
use utoipa_swagger_ui::SwaggerUi;

use error::{ApiError, REQUEST_ID};

/// One route of the service: the handler's `#[utoipa::path]` (its method, path and
/// operation) and the handler itself. Both the actix routes and the OpenAPI document's
/// paths come from [`ENDPOINTS`], so neither can name a route the other lacks.
pub struct Endpoint {
    /// `module_handler`: unique, unlike the handlers' names (`get`, `list` ...).
    pub operation_id: &'static str,
    /// The handler's method, path and operation, as its annotation declares them.
    pub describe: fn() -> (Vec<HttpMethod>, String, Operation),
    /// The schemas its operation refers to, for the document's components.
    pub schemas: fn(&mut Vec<(String, RefOr<Schema>)>),
    /// The handler, without a method guard: the resource adds it.
    route: fn() -> actix_web::Route,
}

impl Endpoint {
    /// The one method its annotation names (`#[utoipa::path(get, ...)]`).
    pub fn method(&self) -> Method {
        let (methods, _, _) = (self.describe)();
        match methods.first() {
            Some(HttpMethod::Get) => Method::GET,
            Some(HttpMethod::Post) => Method::POST,
            Some(HttpMethod::Put) => Method::PUT,
            Some(HttpMethod::Patch) => Method::PATCH,
            Some(HttpMethod::Delete) => Method::DELETE,
            Some(HttpMethod::Head) => Method::HEAD,
            Some(HttpMethod::Options) => Method::OPTIONS,
            Some(HttpMethod::Trace) | None => Method::TRACE,
        }
    }

    pub fn path(&self) -> String {
        (self.describe)().1
    }
}

/// `module::handler / __path_handler`: the handler and the type its `#[utoipa::path]`
/// generates (a declarative macro cannot name one from the other).
macro_rules! endpoints {
    ($($module:ident :: $handler:ident / $doc:ident),* $(,)?) => {
        /// Every route, in the order actix tries them: a literal segment before a
        /// parameter in the same place (`/sponsors/me` before `/sponsors/{id}`).
        pub const ENDPOINTS: &[Endpoint] = &[$(Endpoint {
            operation_id: concat!(stringify!($module), "_", stringify!($handler)),
            describe: || {
                use utoipa::Path;
                ($module::$doc::methods(), $module::$doc::path(), $module::$doc::operation())
            },
            // What utoipa's own route collectors call; public, though undocumented.
            schemas: <$module::$doc as utoipa::__dev::SchemaReferences>::schemas,
            route: || web::route().to($module::$handler),
        }),*];
    };
}

endpoints! {
    health::healthz / __path_healthz,
    health::readyz / __path_readyz,
    health::metrics / __path_metrics,
    auth::login / __path_login,
    auth::logout / __path_logout,
    auth::me / __path_me,
    users::invite / __path_invite,
    auth::accept_invite / __path_accept_invite,
    users::list / __path_list,
    users::get / __path_get,
    users::update / __path_update,
    api_keys::list / __path_list,
    api_keys::create / __path_create,
    api_keys::revoke / __path_revoke,
    sponsors::get_own / __path_get_own,
    sponsors::put_own / __path_put_own,
    matches::sponsor_requests / __path_sponsor_requests,
    sponsors::list / __path_list,
    sponsors::import / __path_import,
    sponsors::get / __path_get,
    seekers::list / __path_list,
    seekers::create / __path_create,
    seekers::get / __path_get,
    seekers::update / __path_update,
    seekers::list_consents / __path_list_consents,
    seekers::record_consent / __path_record_consent,
    seekers::revoke_consent / __path_revoke_consent,
    matching::candidates / __path_candidates,
    matching::candidate / __path_candidate,
    matches::seeker_history / __path_seeker_history,
    matches::propose / __path_propose,
    matches::disclosures / __path_disclosures,
    matches::get / __path_get,
    matches::reassign / __path_reassign,
    check_ins::for_match / __path_for_match,
    check_ins::follow_up / __path_follow_up,
    matches::step / __path_step,
    cohort::plan / __path_plan,
    review::queue / __path_queue,
    reports::report / __path_report,
    cohort::accept / __path_accept,
    matching::get_policy / __path_get_policy,
    matching::put_policy / __path_put_policy,
    outbox::retry / __path_retry,
    outbox::list / __path_list,
    webhooks::get / __path_get,
    webhooks::put / __path_put,
    webhooks::delete / __path_delete,
    audit::list / __path_list,
}

/// Every route of the service: one resource per path of [`ENDPOINTS`], with a route per
/// method, and the docs. Roster imports (the `text/csv` bodies) take up to
/// `max_import_bytes`; every other body is held to the application's limit.
pub fn routes(cfg: &mut web::ServiceConfig, max_import_bytes: usize) {
    let mut paths: Vec<String> = Vec::new();
    for endpoint in ENDPOINTS {
        let path = endpoint.path();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    for path in paths {
        let here: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path() == path).collect();
        let allow = here
            .iter()
            .map(|e| e.method().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut resource = resource(&path, allow);
        for endpoint in here {
            let (_, _, operation) = (endpoint.describe)();
            let takes_csv = operation
                .request_body
                .is_some_and(|body| body.content.contains_key("text/csv"));
            if takes_csv {
                resource = resource.app_data(web::PayloadConfig::new(max_import_bytes));
            }
            resource = resource.route((endpoint.route)().method(endpoint.method()));
        }
        cfg.service(resource);
    }
    cfg.service(resource(openapi::PATH, "GET".into()).route(web::get().to(openapi::serve)))
        .service(web::redirect("/docs", "/docs/"))
        .service(SwaggerUi::new("/docs/{_:.*}").config(openapi::PATH.into()));
}

/// A resource whose unsupported methods get a problem response naming the methods it
/// supports (`Allow`, RFC 9110 15.5.6), not an empty 405.
fn resource(path: &str, allow: String) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || {
        let mut response = ApiError::MethodNotAllowed.error_response();
        if let Ok(value) = HeaderValue::from_str(&allow) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        async move { response }
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
