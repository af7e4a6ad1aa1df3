//! A program's service credentials: portal API keys and the webhook's signing secret,
//! each shown once and never readable again.

use std::time::Instant;

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::auth::credentials::{API_KEY_PREFIX, api_key_hash, random_token};
use crate::auth::principals::PrincipalCache;
use crate::domain::ids::{ApiKeyId, ProgramId};
use crate::domain::values::{Label, WebhookUrl};
use crate::store::api_keys::{self, ApiKey};
use crate::store::audit::Actor;
use crate::store::webhooks::{self, WebhookRecord};
use crate::store::{Db, PageRequest, StoreError, accounts};

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The key itself, shown only now. Send as `Authorization: Bearer <key>`.
    pub key: String,
}

/// A new portal key for the caller's program; only its peppered hash is kept.
pub async fn create_api_key(
    db: &Db,
    pepper: &[u8],
    actor: Actor,
    name: Label,
) -> Result<CreatedApiKey, StoreError> {
    let key = random_token(API_KEY_PREFIX);
    let hash = api_key_hash(&key, pepper);
    let api_key = db
        .write(move |conn| api_keys::create_api_key(conn, &actor, name.as_str(), &hash))
        .await?;
    Ok(CreatedApiKey { api_key, key })
}

/// Revokes a key; it stops working at once here, and on other instances once their
/// remembered principals lapse.
pub async fn revoke_api_key(
    db: &Db,
    principals: &PrincipalCache,
    actor: Actor,
    id: ApiKeyId,
) -> Result<ApiKey, StoreError> {
    let key = db
        .write(move |conn| api_keys::revoke_api_key(conn, &actor, id))
        .await?;
    principals.forget_all();
    Ok(key)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewWebhook {
    #[serde(flatten)]
    pub webhook: WebhookRecord,
    /// Verifies `Webhook-Signature`; shown this once. Setting the webhook again issues a
    /// new one.
    pub secret: String,
}

/// Sets (or replaces) the program's webhook with a new signing secret.
pub async fn set_webhook(db: &Db, actor: Actor, url: WebhookUrl) -> Result<NewWebhook, StoreError> {
    let secret = random_token("whsec_");
    let stored = secret.clone();
    let webhook = db
        .write(move |conn| webhooks::set(conn, &actor, &url, &stored))
        .await?;
    Ok(NewWebhook { webhook, secret })
}

/// Removes the program's webhook.
pub async fn remove_webhook(db: &Db, actor: Actor) -> Result<(), StoreError> {
    db.write(move |conn| webhooks::delete(conn, &actor)).await
}

/// A page of the program's portal keys (never the keys themselves).
pub async fn api_keys(
    db: &Db,
    program: ProgramId,
    page: PageRequest,
) -> Result<Vec<ApiKey>, StoreError> {
    db.run(move |conn| api_keys::list_api_keys(conn, program, page))
        .await
}

/// The program's webhook, without its secret.
pub async fn webhook(db: &Db, program: ProgramId) -> Result<WebhookRecord, StoreError> {
    db.run(move |conn| webhooks::get(conn, program)).await
}

/// What a presented credential is: a session token or a portal key, by its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Session,
    ApiKey,
}

/// Whose credential has this hash, if it is in force: remembered for a moment, so that
/// a busy caller does not cost a lookup per request.
pub async fn principal(
    db: &Db,
    principals: &PrincipalCache,
    kind: Credential,
    hash: String,
) -> Result<Option<Principal>, StoreError> {
    let generation = match principals.recall(&hash, Instant::now()) {
        Ok(principal) => return Ok(Some(principal)),
        Err(generation) => generation,
    };
    let lookup = hash.clone();
    let principal = db
        .run(move |conn| match kind {
            Credential::Session => accounts::principal_for_session(conn, &lookup),
            Credential::ApiKey => api_keys::principal_for_api_key(conn, &lookup),
        })
        .await?;
    if let Some(principal) = principal {
        principals.remember(hash, principal, generation, Instant::now());
    }
    Ok(principal)
}
