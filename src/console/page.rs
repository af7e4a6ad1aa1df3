//! Rendering a page: the template, what every page's layout needs (language, the CSRF
//! token, who is signed in, the stylesheet's address), and the response around it.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use minijinja::Value;

use super::render::render;
use super::session::Visitor;
use crate::auth::Role;

/// A page for this visitor: their CSRF token in its forms, their role's navigation.
pub fn page(visitor: &Visitor, template: &str, context: Value) -> HttpResponse {
    page_with_status(visitor, StatusCode::OK, template, context)
}

pub fn page_with_status(
    visitor: &Visitor,
    status: StatusCode,
    template: &str,
    context: Value,
) -> HttpResponse {
    let role = visitor.role().map(<&'static str>::from);
    let context = minijinja::context! {
        csrf => visitor.csrf,
        signed_in => visitor.principal.is_some(),
        role,
        is_sponsor => visitor.role() == Some(Role::Sponsor),
        ..context
    };
    let mut response = render(status, template, context);
    if let Some(cookie) = &visitor.new_cookie
        && let Ok(value) = header::HeaderValue::from_str(&cookie.to_string())
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// After a form that worked: see the page that shows its outcome (POST, redirect, GET),
/// with a note of what happened under the catalogue's key `done`.
pub fn see_other(path: &str, done: Option<&str>) -> HttpResponse {
    let target = match done {
        Some(key) => format!(
            "{path}?{}",
            serde_urlencoded::to_string([("done", key)]).unwrap_or_default()
        ),
        None => path.to_owned(),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish()
}

/// The errors a form shows beside its fields (and in its summary): each field's id and
/// the catalogue's key of what is wrong, in the page's words.
pub fn field_errors(errors: &[(&str, &str)]) -> BTreeMap<String, String> {
    let words = crate::templates::catalogue("en");
    errors
        .iter()
        .map(|(field, key)| ((*field).to_owned(), words.get(key, &[])))
        .collect()
}

/// The note a page shows after a redirect: a catalogue key from a fixed list, so that a
/// crafted address cannot put words on the page.
pub fn done_note(query: &str, allowed: &[&'static str]) -> Option<&'static str> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let sent = pairs.iter().find(|(n, _)| n == "done").map(|(_, v)| v)?;
    allowed.iter().copied().find(|key| key == sent)
}
