//! What the invite page (behind the link in an invite email) is rendered with. The
//! pages behind the other emailed links are the console's (`console::links`).

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use minijinja::Environment;

use super::error::ApiError;
use super::extract::refuse_nul_in_pairs;

/// The pages behind emailed links.
pub(super) static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        (
            "layout.html",
            include_str!("../../templates/pages/layout.html"),
        ),
        (
            "invite.html",
            include_str!("../../templates/pages/invite.html"),
        ),
    ] {
        if let Err(error) = env.add_template(name, source) {
            // The templates are part of the binary; a broken one fails every test.
            panic!("page template {name}: {error}");
        }
    }
    env
});

/// The fields of a form post from one of the emailed-link pages, in order.
pub fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let fields = serde_urlencoded::from_bytes(body).map_err(|_| ApiError::Malformed {
        detail: "the form could not be read".into(),
    })?;
    refuse_nul_in_pairs(fields)
}

/// A field the page's form does not have.
pub fn unknown_form_field(name: &str) -> ApiError {
    ApiError::field(name, "unknown_field", "this form has no such field")
}

/// A page behind an emailed link, from its template.
pub(super) fn render_page(
    status: StatusCode,
    template: &str,
    context: minijinja::Value,
) -> HttpResponse {
    let html = PAGES
        .get_template(template)
        .and_then(|t| t.render(context))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "rendering a page failed");
            String::from("Something went wrong on our side.")
        });
    html_page(status, html)
}

/// An HTML page behind an emailed link.
pub(super) fn html_page(status: StatusCode, html: String) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    // The token is in the address: no referrer may carry it away, no cache keep it.
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
        ));
    response.body(html)
}

/// Whether the caller is a person's browser, who gets a page rather than a problem
/// document.
pub(super) fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}
