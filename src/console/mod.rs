//! The console: server-rendered pages for people in a browser, over the same service
//! functions as the JSON API. One module per screen; templates under
//! `templates/console/`, their words in `templates/words/`; every action is a plain form
//! post (CSRF-checked), so nothing needs JavaScript. See docs/console.md.

pub mod assets;
pub mod error;
pub mod page;
pub mod render;
pub mod session;

mod account;
mod home;
mod invite;
mod links;
mod password;
mod profile;
mod sign_in;
mod sponsoring;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{ResponseError, web};

use error::ConsoleError;

/// Who a page admits: the console's authorization matrix tests each against every role
/// and another program's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admits {
    /// Anyone, signed in or not (sign-in, forgotten password).
    Anyone,
    /// Every signed-in person (their account, sessions).
    People,
    /// Signed-in sponsors.
    Sponsors,
    /// Whoever holds the emailed link in the address.
    LinkHolder,
}

/// One page or form of the console.
pub struct PageRoute {
    pub method: Method,
    /// As actix writes it (`/app/requests/{id}`).
    pub path: &'static str,
    pub admits: Admits,
    route: fn() -> actix_web::Route,
}

macro_rules! pages {
    ($($method:ident $path:literal $admits:ident => $handler:path),* $(,)?) => {
        /// Every page and form of the console, in the order actix tries them.
        pub const PAGES: &[PageRoute] = &[$(PageRoute {
            method: Method::$method,
            path: $path,
            admits: Admits::$admits,
            route: || web::route().to($handler),
        }),*];
    };
}

pages! {
    GET "/" Anyone => sign_in::root,
    GET "/sign-in" Anyone => sign_in::show,
    POST "/sign-in" Anyone => sign_in::submit,
    POST "/sign-out" People => sign_in::sign_out,
    GET "/app" People => home::show,
    GET "/app/account" People => account::show,
    // Accounts: passwords, sessions, invites.
    GET "/forgot-password" Anyone => password::forgot_form,
    POST "/forgot-password" Anyone => password::forgot,
    GET "/reset-password/{token}" LinkHolder => password::reset_form,
    POST "/reset-password/{token}" LinkHolder => password::reset,
    POST "/app/account/password" People => account::change_password,
    POST "/app/account/sessions/revoke-others" People => account::revoke_other_sessions,
    POST "/app/account/sessions/{id}/revoke" People => account::revoke_session,
    GET "/invite/{token}" LinkHolder => invite::show,
    POST "/invite/{token}" LinkHolder => invite::accept,

    // The sponsor's profile.
    GET "/app/profile" Sponsors => profile::show,
    POST "/app/profile" Sponsors => profile::submit,
    POST "/app/profile/pause" Sponsors => profile::pause,
    POST "/app/profile/resume" Sponsors => profile::resume,

    // The sponsor's requests, sponsees and check-ins; the emailed links' pages.
    GET "/app/requests" Sponsors => sponsoring::requests,
    GET "/app/requests/{id}" Sponsors => sponsoring::request,
    POST "/app/requests/{id}/accept" Sponsors => sponsoring::accept,
    POST "/app/requests/{id}/decline" Sponsors => sponsoring::decline,
    GET "/app/sponsees" Sponsors => sponsoring::sponsees,
    POST "/app/sponsees/{id}/activate" Sponsors => sponsoring::activate,
    POST "/app/sponsees/{id}/end" Sponsors => sponsoring::end,
    GET "/app/check-ins" Sponsors => sponsoring::check_ins,
    POST "/app/check-ins/{id}" Sponsors => sponsoring::answer_check_in,
    GET "/respond/{token}" LinkHolder => links::show_request,
    POST "/respond/{token}" LinkHolder => links::answer_request,
    GET "/check-in/{token}" LinkHolder => links::show_check_in,
    POST "/check-in/{token}" LinkHolder => links::answer_check_in,
}

/// The console's routes, one resource per path with a route per method; each page
/// carries the console's security headers.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = Vec::new();
    for page in PAGES {
        if !paths.contains(&page.path) {
            paths.push(page.path);
        }
    }
    for path in paths {
        let mut resource = web::resource(path)
            .wrap(from_fn(security_headers))
            // A malformed id in the address names nothing: the not-found page.
            .app_data(
                web::PathConfig::default().error_handler(|_, _| ConsoleError::NotFound.into()),
            )
            .default_service(web::to(|| async {
                ConsoleError::MethodNotAllowed.error_response()
            }));
        for page in PAGES.iter().filter(|p| p.path == path) {
            resource = resource.route((page.route)().method(page.method.clone()));
        }
        cfg.service(resource);
    }
    cfg.service(web::resource("/assets/{name}").route(web::get().to(assets::stylesheet)));
}

/// No script at all, styles only from our stylesheet, forms only to us, never in a
/// frame; no referrer (some pages carry a token in their address); nothing cached (the
/// default for every response, see `api::default_headers`).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    Ok(response)
}
