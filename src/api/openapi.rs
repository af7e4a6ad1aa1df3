//! The OpenAPI 3.1 document: the paths of [`super::ENDPOINTS`] (the same table actix
//! serves), each handler's annotation, and what every operation shares (its path
//! parameters, its problem responses) added here once rather than in 55 annotations.

use std::sync::Mutex;

use actix_web::HttpResponse;
use actix_web::web::Bytes;
use chrono::{NaiveDate, Utc};
use utoipa::openapi::content::Content;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

use super::ENDPOINTS;
use super::error::Problem;
use super::extract::{IdempotencyKey, IfMatch, Pagination};
use crate::domain::report::ReportRange;
use crate::domain::review::{ReviewKind, ReviewSort};
use crate::domain::roster::ImportMode;
use crate::domain::{consent, values};

/// The media type of every problem response (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sponsor matching service",
        description = "Pairs people new to recovery with sponsors. Errors are RFC 9457 \
            problem details (`application/problem+json`). See docs/api.md.",
    ),
    // Schemas only query parameters name: utoipa collects those of bodies, not these.
    components(schemas(Problem, ReviewKind, ReviewSort, ImportMode)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Where the document is served.
pub const PATH: &str = "/api/v1/openapi.json";

/// Serves [`document`], made again each day (UTC): some of its patterns name today's
/// date (a sobriety date is not after it, a discharge date not a year before it).
pub async fn serve() -> HttpResponse {
    static MADE: Mutex<Option<(NaiveDate, Bytes)>> = Mutex::new(None);
    let today = Utc::now().date_naive();
    let mut made = MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let json = match made.as_ref() {
        Some((day, json)) if *day == today => json.clone(),
        _ => {
            let json = Bytes::from(serde_json::to_vec(&document()).unwrap_or_default());
            *made = Some((today, json.clone()));
            json
        }
    };
    HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .body(json)
}

/// The document served at [`PATH`], as of today.
pub fn document() -> utoipa::openapi::OpenApi {
    let today = Utc::now().date_naive();
    let mut doc = ApiDoc::openapi();
    let mut schemas = Vec::new();
    for endpoint in ENDPOINTS {
        let (methods, path, mut operation) = (endpoint.describe)();
        operation.operation_id = Some(endpoint.operation_id.to_owned());
        declare_path_parameters(&path, &mut operation);
        refine_parameters(endpoint.operation_id, &mut operation, today);
        declare_problems(&mut operation);
        doc.paths.add_path_operation(path, methods, operation);
        (endpoint.schemas)(&mut schemas);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
    // A tagged enum that denies unknown fields: utoipa leaves its variants open.
    if let Some(RefOr::T(Schema::OneOf(variants))) = components.schemas.get_mut("GenderRule") {
        for variant in &mut variants.items {
            if let RefOr::T(Schema::Object(object)) = variant {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
    for (name, rule) in RULES {
        if let Some(schema) = components.schemas.remove(*name) {
            let both = AllOfBuilder::new().item(schema).item(rule()).build();
            components
                .schemas
                .insert((*name).to_owned(), Schema::AllOf(both).into());
        }
    }
    doc
}

/// A schema a component must meet besides its own.
type Rule = fn() -> Schema;

/// What a body's parse asks of its fields together, which a derived schema cannot say:
/// each component's schema becomes `allOf` its fields and the rule.
const RULES: &[(&str, Rule)] = &[
    ("MeetingSpec", values::meeting_rule),
    ("ContactSpec", values::contact_rule),
    ("ConsentInput", consent::consent_rule),
    ("Weights", crate::matching::policy::weights_rule),
];

/// The schemas of parameters the extractors of [`super::extract`] and a few handlers
/// parse, from the same constants: a page's `cursor`, `Idempotency-Key`, `If-Match`, and
/// a report's dates and format.
fn refine_parameters(operation_id: &str, operation: &mut Operation, today: NaiveDate) {
    for parameter in operation.parameters.iter_mut().flatten() {
        let string = || ObjectBuilder::new().schema_type(Type::String);
        let schema = match (parameter.name.as_str(), &parameter.parameter_in) {
            ("cursor", ParameterIn::Query) => string()
                .pattern(Some(Pagination::CURSOR_PATTERN))
                .description(Some("A `next_cursor` from the previous page."))
                .build(),
            ("Idempotency-Key", ParameterIn::Header) => string()
                .pattern(Some(IdempotencyKey::PATTERN))
                .description(Some("1 to 255 visible ASCII characters, e.g. a UUID."))
                .build(),
            ("If-Match", ParameterIn::Header) => string()
                .pattern(Some(IfMatch::PATTERN))
                .description(Some("The version from the `ETag`, quoted: `\"3\"`."))
                .build(),
            ("from", ParameterIn::Query) if operation_id == "reports_report" => {
                ReportRange::from_schema(today)
            }
            ("to", ParameterIn::Query) if operation_id == "reports_report" => {
                ReportRange::to_schema(today)
            }
            ("format", ParameterIn::Query) if operation_id == "reports_report" => {
                string().enum_values(Some(["json", "csv"])).build()
            }
            _ => continue,
        };
        parameter.schema = Some(schema.into());
    }
}

/// Each `{name}` of the path the annotation leaves undeclared: `token` is the signed
/// text of an emailed link; any other names a record by its UUID (anything else names
/// nothing: 404).
fn declare_path_parameters(path: &str, operation: &mut Operation) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    let names = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'));
    for (at, name) in names.enumerate() {
        let declared = parameters
            .iter()
            .any(|p| p.name == name && p.parameter_in == ParameterIn::Path);
        if declared {
            continue;
        }
        let schema = if name == "token" {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
        } else {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        };
        let mut parameter = Parameter::new(name);
        parameter.parameter_in = ParameterIn::Path;
        parameter.required = Required::True;
        parameter.schema = Some(schema.into());
        parameters.insert(at, parameter);
    }
}

/// The problems an operation can answer, from what it takes: a credential (401, then
/// 403, before anything else is read), a path naming a record (404), a body (400 broken,
/// 413 too large, 415 another type, 422 invalid), query parameters (400 unparseable,
/// 422 invalid), the database (503). Every problem is `application/problem+json` (a
/// page, on the emailed links' pages); a status the annotation answers with another
/// body (`/readyz`'s 503) keeps it.
fn declare_problems(operation: &mut Operation) {
    let html = operation
        .responses
        .responses
        .get("200")
        .and_then(|r| match r {
            RefOr::T(response) => Some(response.content.contains_key("text/html")),
            RefOr::Ref(_) => None,
        })
        .unwrap_or(false);
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_path = parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Path);
    let has_query = parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Query);
    let has_body = operation.request_body.is_some();
    let credential = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut statuses: Vec<u16> = Vec::new();
    if credential {
        statuses.extend([401, 403]);
    }
    if has_path {
        statuses.push(404);
    }
    if has_body {
        statuses.extend([400, 413, 415, 422]);
    }
    if has_query {
        statuses.extend([400, 422]);
    }
    if credential || has_path || has_body {
        statuses.push(503);
    }
    let responses = &mut operation.responses.responses;
    for status in statuses {
        responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new(reason(status))));
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let problem = response.content.is_empty()
            || response.content.values().any(|content| {
                matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
            });
        if !status.starts_with(['4', '5']) || !problem {
            continue;
        }
        response.content.clear();
        response.content.insert(
            PROBLEM_JSON.into(),
            Content::new(Some(Ref::from_schema_name("Problem"))),
        );
        if html {
            // The emailed-link pages answer a browser (`Accept: text/html`) with a page.
            let page = ObjectBuilder::new().schema_type(Type::String);
            response
                .content
                .insert("text/html".into(), Content::new(Some(page)));
        }
    }
}

fn reason(status: u16) -> &'static str {
    actix_web::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Problem")
}
