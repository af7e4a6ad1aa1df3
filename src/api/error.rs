//! The one error type of the HTTP layer, rendered once as RFC 9457 problem details.
//!
//! Lower layers have their own errors (`FieldErrors` in the domain, `StoreError` in
//! persistence); they convert into [`ApiError`] here and nowhere else. Server-side
//! failures are logged with their cause and answered with an opaque body.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::error::{FieldError, FieldErrors};
use crate::domain::filter::Filter;
use crate::domain::lifecycle::{MatchState, Refusal};
use crate::domain::roster::Rejection;
use crate::service::ServiceError;
use crate::store::StoreError;

pub use crate::telemetry::REQUEST_ID;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("the request is malformed: {detail}")]
    Malformed { detail: String },
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// It existed, and may no longer be used: an expired or spent link.
    #[error("{0}")]
    Gone(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A rule of the match lifecycle refused the step.
    #[error("{0}")]
    Refused(Refusal),
    #[error("version {current} is current")]
    PreconditionFailed { current: i32 },
    /// `If-Match` named a weak validator, which never matches (RFC 9110 13.1.1).
    #[error("If-Match with a weak validator")]
    WeakValidator,
    #[error("If-Match required; version {current} is current")]
    PreconditionRequired { current: i32 },
    #[error("body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type")]
    UnsupportedMediaType { expected: &'static str },
    /// Rows of a roster file refused: none of the file was imported.
    #[error("roster rows rejected")]
    RosterRejected(Vec<Rejection>),
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    /// A transient failure: retry after this many seconds (`Retry-After`).
    #[error("service unavailable")]
    Unavailable { retry_after_secs: u64 },
    #[error("internal error")]
    Internal,
}

/// RFC 9457 problem details, as every error response carries them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:problem:sponsor-match:validation`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Echoes the `X-Request-Id` response header; quote it when asking for help.
    pub request_id: String,
    /// For validation problems: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For version conflicts: the version to read and build on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    /// For refused match steps: the state the match is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<MatchState>,
    /// For a sponsor who is not a candidate: the filters they fail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters_failed: Vec<Filter>,
    /// For a rejected roster: every row refused, by line, field and reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Rejection>,
}

impl ApiError {
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// The problem document (RFC 9457) for this error.
    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind();
        let status = self.status_code();
        Problem {
            problem_type: format!("urn:problem:sponsor-match:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            current_version: match self {
                ApiError::PreconditionFailed { current }
                | ApiError::PreconditionRequired { current } => Some(*current),
                _ => None,
            },
            current_state: match self {
                ApiError::Refused(Refusal::InvalidTransition { current, .. }) => Some(*current),
                _ => None,
            },
            filters_failed: match self {
                ApiError::Refused(Refusal::NotEligible(filters)) => filters.clone(),
                _ => Vec::new(),
            },
            rows: match self {
                ApiError::RosterRejected(rows) => rows.clone(),
                _ => Vec::new(),
            },
        }
    }

    /// (type suffix, title)
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation(_) => ("validation", "Invalid request fields"),
            ApiError::Malformed { .. } => ("malformed-request", "Malformed request"),
            ApiError::Unauthenticated => ("unauthenticated", "Authentication required"),
            ApiError::Forbidden => ("forbidden", "Not allowed"),
            ApiError::NotFound => ("not-found", "Not found"),
            ApiError::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            ApiError::Gone(_) => ("gone", "No longer available"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::Refused(refusal) => match refusal {
                Refusal::InvalidTransition { .. } => ("invalid-transition", "Invalid transition"),
                Refusal::NotEligible(_) => ("not-a-candidate", "Not a candidate"),
                Refusal::NoCapacity => ("no-capacity", "Sponsor at capacity"),
                Refusal::SeekerHasLiveMatch => ("match-under-way", "Match already under way"),
                Refusal::NoCandidate => ("no-candidate", "No candidate available"),
                Refusal::ConsentRequired(_) => ("consent-required", "Consent required"),
                Refusal::NotPermitted(_) => ("forbidden", "Not allowed"),
            },
            ApiError::PreconditionFailed { .. } => ("version-mismatch", "Version mismatch"),
            ApiError::WeakValidator => ("weak-validator", "Weak validator"),
            ApiError::PreconditionRequired { .. } => ("version-required", "Version required"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            ApiError::UnsupportedMediaType { .. } => {
                ("unsupported-media-type", "Unsupported content type")
            }
            ApiError::RosterRejected(_) => ("roster-rejected", "Roster rows rejected"),
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many attempts"),
            ApiError::Unavailable { .. } => ("unavailable", "Service unavailable"),
            ApiError::Internal => ("internal", "Internal error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("These fields are invalid: {}.", fields.join(", "))
            }
            ApiError::Malformed { detail } => detail.clone(),
            ApiError::Unauthenticated => {
                "Send a valid session token or API key as `Authorization: Bearer ...`.".into()
            }
            ApiError::Forbidden => "Your role may not do this.".into(),
            ApiError::NotFound => "No such resource.".into(),
            ApiError::MethodNotAllowed => "This resource does not support that method.".into(),
            ApiError::Gone(why) => sentence(why),
            ApiError::Conflict(detail) => detail.clone(),
            ApiError::Refused(refusal) => sentence(&refusal.to_string()),
            ApiError::PreconditionFailed { current } => format!(
                "The record changed since you read it; version {current} is current. \
                 Read it again and reapply your change."
            ),
            ApiError::WeakValidator => "If-Match compares strongly, so a weak validator \
                 (`W/\"3\"`) never matches; send the ETag as given, e.g. `If-Match: \"3\"`."
                .into(),
            ApiError::PreconditionRequired { current } => {
                format!("Send `If-Match: \"{current}\"` (the version you are replacing) to update.")
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("Request bodies are limited to {limit} bytes.")
            }
            ApiError::UnsupportedMediaType { expected } => {
                format!("Send `Content-Type: {expected}`.")
            }
            ApiError::RosterRejected(_) => {
                "Nothing was imported; `rows` lists what was rejected, by line.".into()
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("Too many failed attempts; try again in {retry_after_secs} seconds.")
            }
            ApiError::Unavailable { .. } => {
                "The service is temporarily unavailable; retry shortly.".into()
            }
            ApiError::Internal => "Something went wrong on our side; it has been logged.".into(),
        }
    }
}

/// `the link has expired` as a sentence: `The link has expired.`
fn sentence(text: &str) -> String {
    let mut text = format!("{text}.");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Malformed { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Refused(Refusal::NotPermitted(_)) => StatusCode::FORBIDDEN,
            ApiError::Refused(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } | ApiError::WeakValidator => {
                StatusCode::PRECONDITION_FAILED
            }
            ApiError::PreconditionRequired { .. } => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RosterRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            ApiError::Unauthenticated => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Unavailable { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, *retry_after_secs));
            }
            _ => {}
        }
        response.json(problem)
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors.into_vec())
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(errors) => errors.into(),
            ServiceError::RosterRejected(rows) => ApiError::RosterRejected(rows),
            ServiceError::Unauthenticated => ApiError::Unauthenticated,
            ServiceError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ApiError::Internal
            }
            ServiceError::Throttled(wait) => ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            },
            ServiceError::Store(error) => error.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(detail) => ApiError::Conflict(detail.to_owned()),
            StoreError::Refused(refusal) => ApiError::Refused(refusal),
            StoreError::VersionMismatch { current } => ApiError::PreconditionFailed { current },
            StoreError::VersionRequired { current } => ApiError::PreconditionRequired { current },
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                ApiError::Unavailable {
                    retry_after_secs: 5,
                }
            }
            // Contention passes in moments: a second is time enough for the lock's
            // holder to finish.
            StoreError::Busy(cause) => {
                tracing::warn!(%cause, "database busy");
                ApiError::Unavailable {
                    retry_after_secs: 1,
                }
            }
            StoreError::Database(cause) => {
                tracing::error!(%cause, "database error");
                ApiError::Internal
            }
            StoreError::Corrupt(cause) => {
                tracing::error!(%cause, "stored data is corrupt");
                ApiError::Internal
            }
            StoreError::Unencodable(cause) => {
                tracing::error!(%cause, "a value could not be encoded for storage");
                ApiError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_503_with_retry_after_and_an_opaque_body() {
        let error = ApiError::from(StoreError::Busy("database is locked".into()));
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let problem = serde_json::to_string(&error.problem()).unwrap();
        assert!(problem.contains("urn:problem:sponsor-match:unavailable"));
        assert!(!problem.contains("locked"), "{problem}");
    }

    #[test]
    fn an_unavailable_database_is_503_with_a_longer_retry_after() {
        let error = ApiError::from(StoreError::Unavailable("connection refused".into()));
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "5");
        let problem = serde_json::to_string(&error.problem()).unwrap();
        assert!(!problem.contains("refused"), "{problem}");
    }
}
