//! A template rendered into an HTML response, with what every page's layout needs
//! whoever is looking (its language, the stylesheet's address).

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use minijinja::Value;

use super::assets;

/// A page from its template, with the layout's common values.
pub fn render(status: StatusCode, template: &str, context: Value) -> HttpResponse {
    let context = minijinja::context! {
        lang => "en",
        stylesheet => assets::stylesheet_path(),
        ..context
    };
    match crate::templates::render(template, &context) {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(error) => {
            tracing::error!(%error, template, "rendering a page failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong on our side. Please try again in a moment.")
        }
    }
}

/// A page that says to wait (a throttle, a busy database), with `Retry-After`.
pub fn with_retry_after(mut response: HttpResponse, wait: std::time::Duration) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
