//! Program reports, read on the audit trail.

use chrono::NaiveDateTime;

use crate::domain::report::{self, MinimumCellSize, ProgramReport, ReportRange};
use crate::store::audit::{self, Actor, RecordKind};
use crate::store::{Db, StoreError, reports};

/// The caller's program's report over `range` as of `now`, counts under `k` withheld;
/// each reading is audited with the range it covered.
pub async fn report(
    db: &Db,
    actor: Actor,
    range: ReportRange,
    now: NaiveDateTime,
    k: MinimumCellSize,
) -> Result<ProgramReport, StoreError> {
    let program = actor.principal.program_id();
    db.read_then_write(move |conn, writer| {
        let facts = reports::facts(conn, program, range, range.as_of(now))?;
        writer.write(conn, |conn| {
            let covered = format!("{}..{}", range.from(), range.to());
            audit::record(conn, &actor, "report.read", RecordKind::Report, &covered)
        })?;
        Ok(report::build(&facts, range, now, k))
    })
    .await
}
