//! The audit trail as staff read it.

use crate::domain::ids::ProgramId;
use crate::store::audit::{self, AuditEvent};
use crate::store::{Db, PageRequest, StoreError};

/// A page of the program's audit events, oldest first.
pub async fn events(
    db: &Db,
    program: ProgramId,
    page: PageRequest,
) -> Result<Vec<AuditEvent>, StoreError> {
    db.run(move |conn| audit::list(conn, program, page)).await
}
