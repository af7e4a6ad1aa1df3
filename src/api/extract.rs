//! Extractors: what a handler declares in its signature is all it gets, already parsed
//! and authorised. `Authorized<P>` is the one place access is decided.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, REQUEST_ID};
use crate::app::AppState;
use crate::auth::credentials::{API_KEY_PREFIX, SESSION_TOKEN_PREFIX, api_key_hash, sha256_hex};
use crate::auth::{CallerKind, Principal, Role};
use crate::domain::error::FieldError;
use crate::domain::values::nul_refused;
use crate::service;
use crate::service::credentials::Credential;
use crate::store::PageRequest;
use crate::store::audit::Actor;

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(ApiError::Internal)
}

/// The bearer credential of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The outcome of checking a request's credential, left for [`Authorized`].
struct Authentication(Result<Principal, ApiError>);

/// Middleware: checks the bearer credential before any extractor runs, so that a caller
/// without a valid credential always gets 401, never a verdict on their request body.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.path().starts_with("/api/") && bearer(req.request()).is_some() {
        let outcome = resolve_principal(req.request()).await;
        req.extensions_mut().insert(Authentication(outcome));
    }
    next.call(req).await
}

/// Resolves the caller from a session token or portal key; 401 for anything else.
async fn resolve_principal(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = state(req)?;
    let credential = bearer(req).ok_or(ApiError::Unauthenticated)?;
    let session = credential.starts_with(SESSION_TOKEN_PREFIX);
    if !session && !credential.starts_with(API_KEY_PREFIX) {
        return Err(ApiError::Unauthenticated);
    }
    let hash = if session {
        sha256_hex(credential)
    } else {
        api_key_hash(
            credential,
            state.secrets.api_key_pepper.expose_secret().as_bytes(),
        )
    };
    let kind = if session {
        Credential::Session
    } else {
        Credential::ApiKey
    };
    let principal = service::credentials::principal(&state.db, &state.principals, kind, hash)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(principal)
}

/// Whom an endpoint admits.
pub trait Policy {
    const ALLOWED: &'static [CallerKind];
}

macro_rules! policy {
    ($(#[$doc:meta])* $name:ident = [$($kind:expr),+ $(,)?]) => {
        $(#[$doc])*
        pub struct $name;
        impl Policy for $name {
            const ALLOWED: &'static [CallerKind] = &[$($kind),+];
        }
    };
}

const ADMIN: CallerKind = CallerKind::User(Role::ProgramAdmin);
const CASE_MANAGER: CallerKind = CallerKind::User(Role::CaseManager);
const SPONSOR: CallerKind = CallerKind::User(Role::Sponsor);
const PORTAL: CallerKind = CallerKind::Portal;

policy!(
    /// Program admins: users, keys, policy.
    Admins = [ADMIN]
);
policy!(
    /// The program's staff: admins and case managers.
    Staff = [ADMIN, CASE_MANAGER]
);
policy!(
    /// Who keeps seeker records: the portal and the program's staff.
    SeekerKeepers = [PORTAL, ADMIN, CASE_MANAGER]
);
policy!(
    /// Sponsors, for their own profile.
    Sponsors = [SPONSOR]
);
policy!(
    /// Any signed-in person.
    People = [ADMIN, CASE_MANAGER, SPONSOR]
);
policy!(
    /// Any authenticated caller.
    Anyone = [ADMIN, CASE_MANAGER, SPONSOR, PORTAL]
);

/// An authenticated caller whose kind `P` admits, with the request id for the audit trail.
pub struct Authorized<P: Policy> {
    pub actor: Actor,
    _policy: PhantomData<P>,
}

impl<P: Policy> Authorized<P> {
    pub fn principal(&self) -> &Principal {
        &self.actor.principal
    }
}

impl<P: Policy> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    /// Ready at once, so when it is a handler's first argument its refusal comes before
    /// anything the other extractors would say about the request.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let outcome = match req.extensions_mut().remove::<Authentication>() {
            None => Err(ApiError::Unauthenticated),
            Some(Authentication(Err(error))) => Err(error),
            Some(Authentication(Ok(principal))) if P::ALLOWED.contains(&principal.kind()) => {
                Ok(Self {
                    actor: Actor {
                        principal,
                        request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
                    },
                    _policy: PhantomData,
                })
            }
            Some(Authentication(Ok(_))) => Err(ApiError::Forbidden),
        };
        std::future::ready(outcome)
    }
}

/// A JSON body, size-limited, without NUL in any text (422 `invalid_character` naming
/// each place), deserialised with the path of any field that fails.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body_of(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(JsonBody) })
    }
}

/// A JSON body whose text is taken as sent, NUL included: for the login, where a NUL
/// makes a wrong credential (401) rather than a refused field.
pub struct JsonBodyAsSent<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBodyAsSent<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body_of(req, payload);
        Box::pin(async move {
            let body = body.await?;
            check_json_syntax(&body)?;
            deserialize_json(&body).map(JsonBodyAsSent)
        })
    }
}

fn json_body_of(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<Result<web::Bytes, ApiError>> {
    let limit = state(req).map_or(0, |s| s.settings.server.max_body_bytes);
    body_of(req, payload, "application/json", limit, |m| {
        m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
    })
}

/// A CSV body (`text/csv`), up to `server.max_import_bytes` (the route's
/// `PayloadConfig` enforces it).
pub struct CsvBody(pub web::Bytes);

impl FromRequest for CsvBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = state(req).map_or(0, |s| s.settings.server.max_import_bytes);
        let body = body_of(req, payload, "text/csv", limit, |m| {
            m.type_() == mime::TEXT && m.subtype() == mime::CSV
        });
        Box::pin(async move { body.await.map(CsvBody) })
    }
}

/// The body, if its content type is one `accepts` takes (else 415, naming `expected`)
/// and it fits the route's `PayloadConfig`, whose `limit` the 413 names.
fn body_of(
    req: &HttpRequest,
    payload: &mut Payload,
    expected: &'static str,
    limit: usize,
    accepts: fn(&mime::Mime) -> bool,
) -> LocalBoxFuture<Result<web::Bytes, ApiError>> {
    let accepted = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| accepts(&m));
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        if !accepted {
            return Err(ApiError::UnsupportedMediaType { expected });
        }
        body.await.map_err(|e| match e.as_error::<PayloadError>() {
            Some(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
            _ => ApiError::Malformed {
                detail: "the request body could not be read".into(),
            },
        })
    })
}

/// Deserialises JSON, naming the failing field: unknown, duplicate or missing fields
/// (`role`, `program_id`, `status` ...) and wrong types are 422 with the field, broken
/// syntax is 400, a NUL anywhere in its text 422 `invalid_character` at each place.
/// Syntax is checked first, on its own, so that a wrong type is never mistaken for
/// broken JSON.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let document = check_json_syntax(bytes)?;
    let mut places = Vec::new();
    nul_places(&document, &mut String::new(), &mut places);
    if !places.is_empty() {
        return Err(ApiError::Validation(
            places
                .into_iter()
                .map(|place| nul_refused(&place))
                .collect(),
        ));
    }
    deserialize_json(bytes)
}

fn check_json_syntax(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    // Into a Value, not IgnoredAny: that also checks UTF-8 and the nesting limit.
    serde_json::from_slice(bytes).map_err(|error| ApiError::Malformed {
        detail: format!("the body is not valid JSON: {error}"),
    })
}

/// The field paths (`contact.email`, `languages[1]`) of every string, and every key,
/// that holds a NUL.
fn nul_places(value: &serde_json::Value, path: &mut String, places: &mut Vec<String>) {
    use std::fmt::Write;
    let at = path.len();
    match value {
        serde_json::Value::String(text) if text.contains('\0') => places.push(path.clone()),
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let _ = write!(path, "[{index}]");
                nul_places(item, path, places);
                path.truncate(at);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if key.contains('\0') {
                    places.push(path.clone());
                } else {
                    nul_places(item, path, places);
                }
                path.truncate(at);
            }
        }
        _ => {}
    }
}

/// The body with every number that is a whole number written as one: JSON Schema's
/// `integer` takes `23.0` as it takes `23`, and so does the service (serde reads a
/// written fraction or exponent as a float, which no integer field takes). Works on the
/// text, not on a parsed value, so that a key given twice is still seen.
fn whole_numbers_as_integers(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let (mut out, mut copied, mut at, mut in_string) = (Vec::new(), 0, 0, false);
    while at < bytes.len() {
        let byte = bytes[at];
        if in_string {
            match byte {
                b'\\' => at += 1,
                b'"' => in_string = false,
                _ => {}
            }
            at += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
            at += 1;
            continue;
        }
        if byte != b'-' && !byte.is_ascii_digit() {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len()
            && matches!(bytes[at], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        {
            at += 1;
        }
        let token = &bytes[start..at];
        let written_as_float = token.iter().any(|b| matches!(b, b'.' | b'e' | b'E'));
        let whole = std::str::from_utf8(token)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|n| written_as_float && n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0);
        if let Some(n) = whole {
            out.extend_from_slice(&bytes[copied..start]);
            out.extend_from_slice(format!("{}", n as i64).as_bytes());
            copied = at;
        }
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(bytes);
    }
    out.extend_from_slice(&bytes[copied..]);
    std::borrow::Cow::Owned(out)
}

fn deserialize_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = whole_numbers_as_integers(bytes);
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        let quoted = message.split('`').nth(1).unwrap_or_default();
        let (field, code) = if message.starts_with("missing field") {
            (join_path(&path, quoted), "required")
        } else if message.starts_with("unknown field") {
            (join_path(&path, quoted), "unknown_field")
        } else if message.starts_with("duplicate field") {
            (join_path(&path, quoted), "duplicate_field")
        } else {
            (if path == "." { String::new() } else { path }, "invalid")
        };
        ApiError::field(&field, code, message)
    })
}

fn join_path(path: &str, field: &str) -> String {
    if path == "." || path.is_empty() {
        field.to_owned()
    } else if path.ends_with(field) {
        path.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// The version named by `If-Match: "<version>"`, if the header is present. If-Match
/// compares strongly (RFC 9110 13.1.1): a weak validator, `W/"3"`, never matches, so
/// it is 412.
pub struct IfMatch(pub Option<i32>);

impl IfMatch {
    /// What the document asks for: a version as the `ETag` gives it (the parse also
    /// takes it unquoted, signed or with spaces around it).
    pub const PATTERN: &str = "^\"(?:0|[1-9][0-9]{0,8})\"$";
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(value) if value.as_bytes().trim_ascii_start().starts_with(b"W/") => {
                Err(ApiError::WeakValidator)
            }
            Some(value) => value
                .to_str()
                .ok()
                .map(|v| v.trim().trim_matches('"'))
                .and_then(|v| v.parse::<i32>().ok())
                .map(|v| IfMatch(Some(v)))
                .ok_or_else(|| {
                    ApiError::field(
                        "If-Match",
                        "invalid",
                        "must be the quoted version from the ETag, e.g. \"3\"",
                    )
                }),
        };
        std::future::ready(parsed)
    }
}

/// `Idempotency-Key`, if sent: 1 to 255 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    /// 1 to 255 visible ASCII characters, as [`IdempotencyKey`] takes them.
    pub const PATTERN: &str = "^[!-~]{1,255}$";
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(value) => value
                .to_str()
                .ok()
                .filter(|v| (1..=255).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
                .map(|v| IdempotencyKey(Some(v.to_owned())))
                .ok_or_else(|| {
                    ApiError::field(
                        "Idempotency-Key",
                        "invalid",
                        "must be 1 to 255 visible ASCII characters, e.g. a UUID",
                    )
                }),
        };
        std::future::ready(parsed)
    }
}

/// `?limit=&cursor=`: at most [`Pagination::MAX_LIMIT`] items after an opaque cursor.
#[derive(Debug, Clone, Copy)]
pub struct Pagination {
    pub after: Option<uuid::Uuid>,
    pub limit: usize,
}

impl Pagination {
    pub const DEFAULT_LIMIT: usize = 50;
    pub const MAX_LIMIT: usize = 100;
    /// A cursor: a record's UUID, base64url without padding (22 characters, the last
    /// holding 2 bits).
    pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_-]{21}[AQgw]$";

    /// One more than asked, to know whether another page follows; stores treat the
    /// last row of a full answer as a look-ahead, not as shown.
    pub fn request(&self) -> PageRequest {
        PageRequest {
            after: self.after,
            limit: self.limit as i64 + 1,
        }
    }

    pub fn page<T>(&self, mut items: Vec<T>, id: impl Fn(&T) -> uuid::Uuid) -> Page<T> {
        let more = items.len() > self.limit;
        items.truncate(self.limit);
        let next_cursor = if more {
            items
                .last()
                .map(|last| URL_SAFE_NO_PAD.encode(id(last).as_bytes()))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

impl FromRequest for Pagination {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_pagination(req.query_string()))
    }
}

/// A query string's `key=value` pairs, in order; a NUL in either is 422
/// `invalid_character` naming the parameter, and a parameter given twice, unless it is
/// `repeatable`, 422 `repeated` (which of the two would count is a guess either way).
pub fn query_pairs(query: &str, repeatable: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|_| ApiError::Malformed {
            detail: "the query string could not be parsed".into(),
        })?;
    let pairs = refuse_nul_in_pairs(pairs)?;
    let mut repeated: Vec<&str> = pairs
        .iter()
        .enumerate()
        .filter(|(at, (name, _))| {
            !repeatable.contains(&name.as_str()) && pairs[..*at].iter().any(|(n, _)| n == name)
        })
        .map(|(_, (name, _))| name.as_str())
        .collect();
    repeated.dedup();
    if repeated.is_empty() {
        return Ok(pairs);
    }
    Err(ApiError::Validation(
        repeated
            .into_iter()
            .map(|name| FieldError::new(name, "repeated", "give it once"))
            .collect(),
    ))
}

/// Pairs of a query string or form whose names and values hold no NUL.
pub fn refuse_nul_in_pairs(
    pairs: Vec<(String, String)>,
) -> Result<Vec<(String, String)>, ApiError> {
    let refused: Vec<_> = pairs
        .iter()
        .filter(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| nul_refused(name))
        .collect();
    if refused.is_empty() {
        Ok(pairs)
    } else {
        Err(ApiError::Validation(refused))
    }
}

fn parse_pagination(query: &str) -> Result<Pagination, ApiError> {
    let pairs = query_pairs(query, &[])?;
    let mut pagination = Pagination {
        after: None,
        limit: Pagination::DEFAULT_LIMIT,
    };
    let mut errors = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=Pagination::MAX_LIMIT).contains(&n) => pagination.limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    "out_of_range",
                    format!("must be 1 to {}", Pagination::MAX_LIMIT),
                )),
            },
            "cursor" => match URL_SAFE_NO_PAD
                .decode(&value)
                .ok()
                .and_then(|bytes| uuid::Uuid::from_slice(&bytes).ok())
            {
                Some(id) => pagination.after = Some(id),
                None => errors.push(FieldError::new(
                    "cursor",
                    "invalid",
                    "must be a next_cursor from a previous page",
                )),
            },
            other => errors.push(FieldError::new(
                other,
                "unknown_parameter",
                "this list takes only limit and cursor",
            )),
        }
    }
    if errors.is_empty() {
        Ok(pagination)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A mode an endpoint takes as `?mode=`, named as serde names it.
pub trait QueryMode: DeserializeOwned + Default {
    /// The modes, for the message when another is asked for: `optimal or stable`.
    const NAMES: &'static str;
}

/// `?mode=`, and no other query parameter; the default mode without it.
pub struct ModeQuery<M>(pub M);

impl<M: QueryMode> FromRequest for ModeQuery<M> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_mode(req.query_string()).map(ModeQuery))
    }
}

fn parse_mode<M: QueryMode>(query: &str) -> Result<M, ApiError> {
    let mut mode = M::default();
    for (key, value) in query_pairs(query, &[])? {
        match key.as_str() {
            "mode" => {
                mode = serde_json::from_value(serde_json::Value::String(value)).map_err(|_| {
                    ApiError::field("mode", "unknown_mode", format!("must be {}", M::NAMES))
                })?;
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown_parameter",
                    "this endpoint takes only mode",
                ));
            }
        }
    }
    Ok(mode)
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::whole_numbers_as_integers;

    fn rewritten(text: &str) -> String {
        String::from_utf8(whole_numbers_as_integers(text.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn whole_numbers_are_written_as_integers_and_nothing_else_changes() {
        assert_eq!(
            rewritten(r#"{"mon": [23.0, 1, -4.00, 1e2, 2.5, 1.5e300], "t": "9.0 \"3.0\""}"#),
            r#"{"mon": [23, 1, -4, 100, 2.5, 1.5e300], "t": "9.0 \"3.0\""}"#
        );
        let untouched = r#"{"a": 1, "b": "x"}"#;
        assert!(matches!(
            whole_numbers_as_integers(untouched.as_bytes()),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
