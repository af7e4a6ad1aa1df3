//! Portal API keys: a program's service credentials, stored as hashes.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::schema::api_keys;
use super::{AnyConnection, PageRequest, StoreError, now};
use crate::auth::Principal;
use crate::domain::ids::{ApiKeyId, ProgramId, UserId};

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    id: ApiKeyId,
    name: String,
    created_by: UserId,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

/// A portal API key as listed; the key itself is shown once, at creation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        ApiKey {
            id: row.id,
            name: row.name,
            created_by: row.created_by,
            created_at: row.created_at.and_utc(),
            last_used_at: row.last_used_at.map(|t| t.and_utc()),
            revoked_at: row.revoked_at.map(|t| t.and_utc()),
        }
    }
}

pub fn create_api_key(
    conn: &mut AnyConnection,
    actor: &Actor,
    name: &str,
    key_hash: &str,
) -> Result<ApiKey, StoreError> {
    let Principal::User {
        id: creator,
        program_id,
        ..
    } = actor.principal
    else {
        return Err(StoreError::Conflict("only people can create keys"));
    };
    let id = ApiKeyId::new();
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(id),
            api_keys::program_id.eq(program_id),
            api_keys::name.eq(name),
            api_keys::key_hash.eq(key_hash),
            api_keys::created_by.eq(creator),
            api_keys::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "api_key.create",
        RecordKind::ApiKey,
        &id.to_string(),
    )?;
    get_api_key(conn, program_id, id)
}

fn get_api_key(
    conn: &mut AnyConnection,
    program: ProgramId,
    id: ApiKeyId,
) -> Result<ApiKey, StoreError> {
    Ok(api_keys::table
        .filter(api_keys::program_id.eq(program))
        .filter(api_keys::id.eq(id))
        .select(ApiKeyRow::as_select())
        .first::<ApiKeyRow>(conn)?
        .into())
}

pub fn list_api_keys(
    conn: &mut AnyConnection,
    program: ProgramId,
    page: PageRequest,
) -> Result<Vec<ApiKey>, StoreError> {
    let mut query = api_keys::table
        .filter(api_keys::program_id.eq(program))
        .select(ApiKeyRow::as_select())
        .order(api_keys::id.asc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(api_keys::id.gt(ApiKeyId::from(after)));
    }
    Ok(query
        .load::<ApiKeyRow>(conn)?
        .into_iter()
        .map(ApiKey::from)
        .collect())
}

pub fn revoke_api_key(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: ApiKeyId,
) -> Result<ApiKey, StoreError> {
    let program = actor.principal.program_id();
    let key = get_api_key(conn, program, id)?;
    if key.revoked_at.is_none() {
        diesel::update(api_keys::table.find(id))
            .set(api_keys::revoked_at.eq(now()))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "api_key.revoke",
            RecordKind::ApiKey,
            &id.to_string(),
        )?;
    }
    get_api_key(conn, program, id)
}

/// The portal behind a live key. Marks the key used, at most once a minute, so that
/// `last_used_at` is useful without a write per request.
pub fn principal_for_api_key(
    conn: &mut AnyConnection,
    key_hash: &str,
) -> Result<Option<Principal>, StoreError> {
    let row = api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::id, api_keys::program_id, api_keys::last_used_at))
        .first::<(ApiKeyId, ProgramId, Option<NaiveDateTime>)>(conn)
        .optional()?;
    let Some((id, program_id, last_used_at)) = row else {
        return Ok(None);
    };
    let at = now();
    if last_used_at.is_none_or(|t| at - t > chrono::Duration::minutes(1)) {
        diesel::update(api_keys::table.find(id))
            .set(api_keys::last_used_at.eq(at))
            .execute(conn)?;
    }
    Ok(Some(Principal::Portal {
        key_id: id,
        program_id,
    }))
}
