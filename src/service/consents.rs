//! A seeker's consents and what recording or revoking one sets in motion.

use crate::domain::consent::{Consent, RecipientClass};
use crate::domain::ids::{ConsentId, SeekerId};
use crate::pool::SponsorPool;
use crate::store::audit::Actor;
use crate::store::seekers::{self, ConsentRecord};
use crate::store::{Db, StoreError, matches};

/// Records a consent; one to share contact details with the matched sponsor introduces a
/// pair that was waiting only for it.
pub async fn record(
    db: &Db,
    actor: Actor,
    seeker: SeekerId,
    consent: Consent,
) -> Result<ConsentRecord, StoreError> {
    db.write(move |conn| {
        let record = seekers::record_consent(conn, &actor, seeker, &consent)?;
        if consent.recipient_class == RecipientClass::MatchedSponsor {
            matches::introduce_agreed(conn, seeker)?;
        }
        Ok(record)
    })
    .await
}

/// Revokes a consent at once: the requests and introductions that relied on it are
/// withdrawn or held back, in the same transaction.
pub async fn revoke(
    db: &Db,
    pool: &SponsorPool,
    actor: Actor,
    seeker: SeekerId,
    consent: ConsentId,
) -> Result<ConsentRecord, StoreError> {
    let record = db
        .write(move |conn| {
            let (record, revoked_now) = seekers::revoke_consent(conn, &actor, seeker, consent)?;
            if revoked_now {
                matches::on_consent_revoked(conn, &actor, seeker, record.recipient_class)?;
            }
            Ok(record)
        })
        .await?;
    // Withdrawn matches may have freed a sponsor's slot.
    pool.catch_up(db).await;
    Ok(record)
}
