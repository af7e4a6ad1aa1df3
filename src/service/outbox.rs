//! The outbox as a program admin sees it: dead letters given another try.

use crate::store::audit::Actor;
use crate::store::outbox::{self, MessageRecord};
use crate::store::{Db, StoreError};

/// Queues a dead message of the caller's program again, as new; audited.
pub async fn retry_dead_letter(
    db: &Db,
    actor: Actor,
    id: uuid::Uuid,
) -> Result<MessageRecord, StoreError> {
    db.write(move |conn| outbox::retry_dead(conn, &actor, id))
        .await
}
