//! The review queue: what in a program waits on a case manager, and in which order.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::check_in::{CheckInParty, Concern};
use super::ids::{CheckInId, MatchId, SeekerId};

/// What waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// A seeker without a match under way.
    WaitingSeeker,
    /// A proposal waiting for a case manager's approval.
    PendingReview,
    /// A request whose sponsor has not answered and whose time runs out within a day.
    NearExpiry,
    /// A check-in answered with a call for help or a wish for a change, or left
    /// silent, that no case manager has followed up yet.
    CheckIn,
}

/// The check-in behind a `check_in` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckInConcern {
    pub id: CheckInId,
    pub party: CheckInParty,
    pub concern: Concern,
}

/// One entry of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReviewItem {
    pub kind: ReviewKind,
    pub seeker_id: SeekerId,
    pub seeker_alias: String,
    /// The match, for reviews and requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_id: Option<MatchId>,
    /// The seeker leaves treatment within two days (or has left), or, for a check-in,
    /// someone asked for help or a change.
    pub urgent: bool,
    pub discharge_date: Option<NaiveDate>,
    /// Waiting since: the seeker's arrival or their last match's end; the proposal; the
    /// request; the check-in's answer, or when its silence began.
    #[serde(serialize_with = "crate::domain::values::utc")]
    pub since: NaiveDateTime,
    /// When a request runs out.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::domain::values::optional_utc"
    )]
    pub due: Option<NaiveDateTime>,
    /// For check-ins: which, whose, and what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_in: Option<CheckInConcern>,
}

/// The queue's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSort {
    /// Urgent first, then what runs out soonest, then the longest waiting.
    #[default]
    Urgency,
    /// The longest waiting first.
    Waiting,
}

/// Sorts the queue; ties go by seeker id, then match id, so pages are stable.
pub fn order(items: &mut [ReviewItem], sort: ReviewSort) {
    let tie = |a: &ReviewItem, b: &ReviewItem| {
        a.seeker_id
            .cmp(&b.seeker_id)
            .then(a.match_id.cmp(&b.match_id))
    };
    match sort {
        ReviewSort::Urgency => items.sort_by(|a, b| {
            b.urgent
                .cmp(&a.urgent)
                // Something due comes before nothing due.
                .then(match (a.due, b.due) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                })
                .then(a.since.cmp(&b.since))
                .then_with(|| tie(a, b))
        }),
        ReviewSort::Waiting => items.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| tie(a, b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: u128, urgent: bool, since_day: u32, due_day: Option<u32>) -> ReviewItem {
        let day = |d: u32| {
            NaiveDate::from_ymd_opt(2026, 11, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        ReviewItem {
            kind: ReviewKind::WaitingSeeker,
            seeker_id: SeekerId::from(uuid::Uuid::from_u128(n)),
            seeker_alias: format!("s{n}"),
            match_id: None,
            urgent,
            discharge_date: None,
            since: day(since_day),
            due: due_day.map(day),
            check_in: None,
        }
    }

    fn ids(items: &[ReviewItem]) -> Vec<u128> {
        items
            .iter()
            .map(|i| i.seeker_id.as_uuid().as_u128())
            .collect()
    }

    #[test]
    fn urgency_puts_urgent_first_then_soonest_due_then_longest_waiting() {
        let mut items = vec![
            item(1, false, 1, None),
            item(2, true, 10, None),
            item(3, false, 5, Some(20)),
            item(4, true, 12, Some(21)),
            item(5, false, 5, Some(19)),
            item(6, false, 1, None),
        ];
        order(&mut items, ReviewSort::Urgency);
        assert_eq!(ids(&items), vec![4, 2, 5, 3, 1, 6]);
        order(&mut items, ReviewSort::Waiting);
        assert_eq!(ids(&items), vec![1, 6, 3, 5, 2, 4]);
    }
}
