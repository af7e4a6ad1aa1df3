//! A template rendered into an HTML response, with what every page's layout needs
//! whoever is looking (its language, the stylesheet's address).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
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
