//! The outbox as a program admin sees it: dead letters given another try.

use crate::domain::ids::ProgramId;
use crate::store::audit::Actor;
use crate::store::outbox::{self, MessageRecord};
use crate::store::{Db, PageRequest, StoreError};

/// Queues a dead message of the caller's program again, as new; audited.
pub async fn retry_dead_letter(
    db: &Db,
    actor: Actor,
    id: uuid::Uuid,
) -> Result<MessageRecord, StoreError> {
    db.write(move |conn| outbox::retry_dead(conn, &actor, id))
        .await
}

/// A page of the program's messages in one status.
pub async fn messages(
    db: &Db,
    program: ProgramId,
    status: String,
    page: PageRequest,
) -> Result<Vec<MessageRecord>, StoreError> {
    db.run(move |conn| outbox::list(conn, program, &status, page))
        .await
}
