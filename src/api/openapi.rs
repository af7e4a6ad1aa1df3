//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    api_keys, audit, auth, check_ins, cohort, health, matches, matching, outbox, reports, respond,
    review, seekers, sponsors, users, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sponsor matching service",
        description = "Pairs people new to recovery with sponsors. Errors are RFC 9457 \
            problem details (`application/problem+json`). See docs/api.md.",
    ),
    paths(
        auth::login, auth::logout, auth::me, auth::accept_invite, auth::invite_page, auth::invite_form,
        users::invite, users::list, users::get, users::update,
        api_keys::create, api_keys::list, api_keys::revoke,
        sponsors::get_own, sponsors::put_own, sponsors::list, sponsors::get, sponsors::import,
        seekers::create, seekers::list, seekers::get, seekers::update,
        seekers::record_consent, seekers::list_consents, seekers::revoke_consent,
        matching::get_policy, matching::put_policy, matching::candidates, matching::candidate,
        cohort::plan, cohort::accept, review::queue, reports::report,
        check_ins::for_match, check_ins::follow_up, check_ins::show, check_ins::answer,
        matches::propose, matches::step, matches::get, matches::seeker_history,
        matches::sponsor_requests, matches::reassign, matches::disclosures, respond::show, respond::answer,
        outbox::list, outbox::retry,
        webhooks::get, webhooks::put, webhooks::delete,
        audit::list,
        health::healthz, health::readyz, health::metrics,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

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
