//! The review queue: what in the program waits on a case manager.

use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::check_in::CheckInSchedule;
use crate::domain::ids::ProgramId;
use crate::domain::review::{self, ReviewItem, ReviewKind, ReviewSort};
use crate::store::{Db, StoreError, check_ins, matches};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewQueue {
    pub items: Vec<ReviewItem>,
    /// Entries matching the filter, on every page.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
}

/// Which kinds (all when empty), in which order, which page.
#[derive(Debug, PartialEq)]
pub struct QueueQuery {
    pub kinds: Vec<ReviewKind>,
    pub sort: ReviewSort,
    pub offset: usize,
    pub limit: usize,
}

/// The program's queue: waiting seekers, proposals in review and requests near expiry,
/// with the check-ins that need a look, in the order asked for.
pub async fn queue(
    db: &Db,
    schedule: &CheckInSchedule,
    program: ProgramId,
    query: QueueQuery,
) -> Result<ReviewQueue, StoreError> {
    let today = Utc::now().date_naive();
    let schedule = schedule.clone();
    let mut items = db
        .run(move |conn| {
            let mut items = matches::review_queue(conn, program, today)?;
            items.extend(check_ins::concerns(conn, program, &schedule)?);
            Ok(items)
        })
        .await?;
    if !query.kinds.is_empty() {
        items.retain(|item| query.kinds.contains(&item.kind));
    }
    review::order(&mut items, query.sort);
    let total = items.len();
    let items = items
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect();
    Ok(ReviewQueue {
        items,
        total,
        offset: query.offset,
        limit: query.limit,
    })
}
