//! The console's one error type: what went wrong, shown as a page in words (never a
//! code), or a trip to the sign-in page. Service and store errors are mapped here once.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};

use super::render::{render, with_retry_after};
use crate::service::ServiceError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// Not signed in: sign in, then come back to `back_to`.
    #[error("sign-in needed")]
    SignInNeeded { back_to: String },
    #[error("forbidden")]
    Forbidden,
    /// A form without this browser's CSRF token.
    #[error("csrf token refused")]
    CsrfRefused,
    #[error("not found")]
    NotFound,
    /// A method the page does not take (a link followed to a form's address).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A form the console did not make (unreadable, a NUL, a field it lacks).
    #[error("malformed form")]
    Malformed,
    /// The record moved on: the page says why, in the catalogue's words under this key.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    #[error("unavailable")]
    Unavailable { retry_after_secs: u64 },
    #[error("internal")]
    Internal,
}

impl From<StoreError> for ConsoleError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ConsoleError::NotFound,
            StoreError::Conflict(_)
            | StoreError::VersionMismatch { .. }
            | StoreError::VersionRequired { .. }
            | StoreError::Refused(_) => ConsoleError::Conflict("error-moved-on"),
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                ConsoleError::Unavailable {
                    retry_after_secs: 5,
                }
            }
            StoreError::Busy(cause) => {
                tracing::warn!(%cause, "database busy");
                ConsoleError::Unavailable {
                    retry_after_secs: 1,
                }
            }
            other => {
                tracing::error!(error = %other, "store error");
                ConsoleError::Internal
            }
        }
    }
}

impl From<ServiceError> for ConsoleError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Store(error) => error.into(),
            ServiceError::Throttled(wait) => ConsoleError::Throttled {
                retry_after_secs: wait.as_secs().max(1),
            },
            // Handlers show these beside the form; reaching here is a form we did not make.
            ServiceError::Invalid(_) | ServiceError::RosterRejected(_) => ConsoleError::Malformed,
            ServiceError::Unauthenticated => ConsoleError::SignInNeeded {
                back_to: "/app".into(),
            },
            ServiceError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ConsoleError::Internal
            }
        }
    }
}

impl ConsoleError {
    /// The catalogue's keys of the page's title and message.
    fn words(&self) -> (&'static str, &'static str) {
        match self {
            ConsoleError::SignInNeeded { .. } => ("error-sign-in-title", "error-sign-in"),
            ConsoleError::Forbidden => ("error-forbidden-title", "error-forbidden"),
            ConsoleError::CsrfRefused => ("error-csrf-title", "error-csrf"),
            ConsoleError::NotFound => ("error-not-found-title", "error-not-found"),
            ConsoleError::MethodNotAllowed => ("error-not-found-title", "error-method"),
            ConsoleError::Malformed => ("error-malformed-title", "error-malformed"),
            ConsoleError::Conflict(key) => ("error-conflict-title", key),
            ConsoleError::Throttled { .. } => ("error-throttled-title", "error-throttled"),
            ConsoleError::Unavailable { .. } => ("error-unavailable-title", "error-unavailable"),
            ConsoleError::Internal => ("error-internal-title", "error-internal"),
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignInNeeded { .. } => StatusCode::SEE_OTHER,
            ConsoleError::Forbidden | ConsoleError::CsrfRefused => StatusCode::FORBIDDEN,
            ConsoleError::NotFound => StatusCode::NOT_FOUND,
            ConsoleError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ConsoleError::Malformed => StatusCode::BAD_REQUEST,
            ConsoleError::Conflict(_) => StatusCode::CONFLICT,
            ConsoleError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ConsoleError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ConsoleError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ConsoleError::SignInNeeded { back_to } = self {
            let target = format!(
                "/sign-in?{}",
                serde_urlencoded::to_string([("back_to", back_to)]).unwrap_or_default()
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        let (title, message) = self.words();
        let response = render(
            self.status_code(),
            "console/message.html",
            minijinja::context! { title_key => title, message_key => message },
        );
        match self {
            ConsoleError::Throttled { retry_after_secs }
            | ConsoleError::Unavailable { retry_after_secs } => {
                with_retry_after(response, Duration::from_secs(*retry_after_secs))
            }
            _ => response,
        }
    }
}
