//! Accounts: spending an invite.

use chrono::Utc;

use super::sponsors::save_profile_in;
use crate::auth::Role;
use crate::domain::sponsor::SponsorProfile;
use crate::pool::SponsorPool;
use crate::store::accounts::{self, User};
use crate::store::{Db, StoreError, roster};

/// Spends an invite (by its token's hash): the account, and for a sponsor invited by a
/// roster import the profile that came with it, parsed again under today's rules (one
/// that no longer passes, say the program lowered its maximum capacity meanwhile, is
/// left for the sponsor to write). Such a sponsor joins this instance's pool at once.
pub async fn accept_invite(
    db: &Db,
    pool: &SponsorPool,
    token_hash: String,
    password_hash: String,
    request_id: String,
) -> Result<User, StoreError> {
    let user = db
        .write(move |conn| {
            let activation = accounts::accept_invite(conn, &token_hash, password_hash, &request_id)?;
            let user = activation.user;
            if user.role != Role::Sponsor {
                return Ok(user);
            }
            let Some(input) = roster::take_pending_profile(conn, &activation.invite)? else {
                return Ok(user);
            };
            let program = accounts::get_program(conn, user.program_id)?;
            match SponsorProfile::parse(input, Utc::now().date_naive(), program.max_capacity()) {
                Ok((profile, contact)) => {
                    save_profile_in(conn, &activation.actor, user.id, &profile, &contact, None)?;
                }
                Err(errors) => {
                    tracing::warn!(%errors, "an imported profile no longer passes; left to the sponsor");
                }
            }
            Ok(user)
        })
        .await?;
    pool.catch_up(db).await;
    Ok(user)
}
