//! Who is at the browser: the session cookie, the role a page admits, and the CSRF
//! token every form carries.
//!
//! The session cookie holds the same kind of session token the API takes as a bearer
//! credential (only its SHA-256 is stored); the API never reads cookies, so a form on
//! another site can reach the console only, where every state-changing form needs the
//! CSRF token. That token is an HMAC, under the deployment's signing key, of the
//! cookie's value: the session token once signed in, else a random visitor id in a
//! cookie of its own. Another session's token, or none, fails (403).

use std::marker::PhantomData;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::LocalBoxFuture;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::error::ConsoleError;
use crate::app::AppState;
use crate::auth::credentials::{SESSION_TOKEN_PREFIX, random_token, sha256_hex};
use crate::auth::{Principal, Role};
use crate::service;
use crate::service::credentials::Credential;
use crate::store::audit::Actor;

const CSRF_LABEL: &[u8] = b"sponsor-match console csrf v1";
const VISITOR_PREFIX: &str = "smv_";

/// The cookies' names: with `__Host-` (only over https, only this host, path `/`) when
/// the service is served over https.
pub struct CookieNames {
    pub session: &'static str,
    pub visitor: &'static str,
    pub secure: bool,
}

pub fn cookie_names(state: &AppState) -> CookieNames {
    if state.settings.email.public_url.starts_with("https://") {
        CookieNames {
            session: "__Host-sm_session",
            visitor: "__Host-sm_visitor",
            secure: true,
        }
    } else {
        CookieNames {
            session: "sm_session",
            visitor: "sm_visitor",
            secure: false,
        }
    }
}

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

/// The cookie that carries a new session.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    let names = cookie_names(state);
    cookie(names.session, token, names.secure)
}

/// A cookie that tells the browser to forget the session.
pub fn expired_session_cookie(state: &AppState) -> Cookie<'static> {
    let names = cookie_names(state);
    let mut gone = cookie(names.session, String::new(), names.secure);
    gone.set_max_age(time::Duration::ZERO);
    gone
}

/// The CSRF token of a cookie's value.
fn csrf_token(state: &AppState, seed: &str) -> String {
    let key = state.secrets.token_signing_key.expose_secret().as_bytes();
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(CSRF_LABEL);
    mac.update(seed.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `sent` is the CSRF token of this browser's cookies.
pub fn csrf_holds(req: &HttpRequest, state: &AppState, sent: &str) -> bool {
    let names = cookie_names(state);
    [names.session, names.visitor]
        .into_iter()
        .filter_map(|name| req.cookie(name))
        .any(|c| {
            let expected = csrf_token(state, c.value());
            // Both are HMAC outputs of the same length; compare without an early exit.
            expected.len() == sent.len()
                && expected
                    .bytes()
                    .zip(sent.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
}

/// The browser's session token, if it sent one.
pub fn session_token(req: &HttpRequest, state: &AppState) -> Option<String> {
    req.cookie(cookie_names(state).session)
        .map(|c| c.value().to_owned())
        .filter(|v| v.starts_with(SESSION_TOKEN_PREFIX) && !v.contains('\0'))
}

/// Anyone at the browser: signed in or not, with the CSRF token their forms carry.
pub struct Visitor {
    pub principal: Option<Principal>,
    pub csrf: String,
    /// A visitor id to set, when the browser had no cookie to bind forms to.
    pub new_cookie: Option<Cookie<'static>>,
    pub request_id: String,
}

impl Visitor {
    pub fn actor(&self) -> Option<Actor> {
        self.principal.map(|principal| Actor {
            principal,
            request_id: self.request_id.clone(),
        })
    }

    pub fn role(&self) -> Option<Role> {
        match self.principal {
            Some(Principal::User { role, .. }) => Some(role),
            _ => None,
        }
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ConsoleError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(ConsoleError::Internal)
}

async fn visitor(req: HttpRequest) -> Result<Visitor, ConsoleError> {
    let state = app_state(&req)?;
    let request_id = crate::telemetry::REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_default();
    let names = cookie_names(&state);
    if let Some(token) = session_token(&req, &state) {
        let hash = sha256_hex(&token);
        let principal = service::credentials::principal(
            &state.db,
            &state.principals,
            Credential::Session,
            hash,
        )
        .await?;
        if principal.is_some() {
            return Ok(Visitor {
                principal,
                csrf: csrf_token(&state, &token),
                new_cookie: None,
                request_id,
            });
        }
    }
    let (seed, new_cookie) = match req.cookie(names.visitor) {
        Some(c) if c.value().starts_with(VISITOR_PREFIX) => (c.value().to_owned(), None),
        _ => {
            let id = random_token(VISITOR_PREFIX);
            (id.clone(), Some(cookie(names.visitor, id, names.secure)))
        }
    };
    Ok(Visitor {
        principal: None,
        csrf: csrf_token(&state, &seed),
        new_cookie,
        request_id,
    })
}

impl FromRequest for Visitor {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(visitor(req.clone()))
    }
}

/// The roles a page admits.
pub trait Roles {
    const ADMITS: &'static [Role];
}

/// Every signed-in person.
pub struct People;
impl Roles for People {
    const ADMITS: &'static [Role] = &[Role::ProgramAdmin, Role::CaseManager, Role::Sponsor];
}

/// Sponsors only.
pub struct Sponsors;
impl Roles for Sponsors {
    const ADMITS: &'static [Role] = &[Role::Sponsor];
}

/// A signed-in person of a role the page admits. Not signed in: off to the sign-in
/// page, back here after; another role: 403.
pub struct SignedIn<R: Roles> {
    pub visitor: Visitor,
    pub actor: Actor,
    pub user: crate::domain::ids::UserId,
    pub role: Role,
    _roles: PhantomData<R>,
}

impl<R: Roles + 'static> FromRequest for SignedIn<R> {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let visitor = visitor(req.clone()).await?;
            let Some(actor) = visitor.actor() else {
                return Err(ConsoleError::SignInNeeded {
                    back_to: req.path().to_owned(),
                });
            };
            let Principal::User { id, role, .. } = actor.principal else {
                return Err(ConsoleError::Forbidden);
            };
            if !R::ADMITS.contains(&role) {
                return Err(ConsoleError::Forbidden);
            }
            Ok(SignedIn {
                visitor,
                actor,
                user: id,
                role,
                _roles: PhantomData,
            })
        })
    }
}

/// A form post: its fields in order, once its CSRF token is this browser's (403
/// otherwise). Values with NUL are refused; no text the service keeps may hold one.
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// Every value of `name` (checkboxes of one group).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether a checkbox `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl FromRequest for Form {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = app_state(&req)?;
            let body = body.await.map_err(|_| ConsoleError::Malformed)?;
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::Malformed)?;
            if fields
                .iter()
                .any(|(n, v)| n.contains('\0') || v.contains('\0'))
            {
                return Err(ConsoleError::Malformed);
            }
            let sent = fields
                .iter()
                .find(|(n, _)| n == "csrf")
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            if !csrf_holds(&req, &state, sent) {
                return Err(ConsoleError::CsrfRefused);
            }
            Ok(Form { fields })
        })
    }
}

/// A request's client address, for throttles.
pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// Only local paths are followed after sign-in: never another site.
pub fn local_path(back_to: &str) -> Option<&str> {
    (back_to.starts_with('/') && !back_to.starts_with("//") && !back_to.contains('\\'))
        .then_some(back_to)
}
