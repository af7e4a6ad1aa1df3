//! Match health: some days after an introduction the service asks both sides how it is
//! going. Pure: when a round is due, what an answer means, when silence is a signal.

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which side of the match a check-in asks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CheckInParty {
    Seeker,
    Sponsor,
}

impl CheckInParty {
    pub const BOTH: &'static [CheckInParty] = <CheckInParty as strum::VariantArray>::VARIANTS;
}

/// The one-click answers of a check-in email.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CheckInAnswer {
    GoingWell,
    NeedHelp,
    /// The seeker wants a different sponsor, or the sponsor thinks they would be better
    /// served by one: either opens a no-fault rematch.
    WantChange,
}

impl CheckInAnswer {
    pub const ALL: &'static [CheckInAnswer] = <CheckInAnswer as strum::VariantArray>::VARIANTS;

    /// What the person clicked, in their words.
    pub fn wording(self, party: CheckInParty) -> &'static str {
        match (self, party) {
            (CheckInAnswer::GoingWell, _) => "It is going well",
            (CheckInAnswer::NeedHelp, _) => "I would like someone from the program to contact me",
            (CheckInAnswer::WantChange, CheckInParty::Seeker) => "I would like a different sponsor",
            (CheckInAnswer::WantChange, CheckInParty::Sponsor) => {
                "I think they would do better with someone else"
            }
        }
    }
}

/// Where a check-in stands for the case manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckInStatus {
    Answered,
    /// Sent, and the time to answer has not passed.
    Waiting,
    /// No answer in the time given: no contact reported.
    Silent,
}

/// Days a check-in's links work: a late answer is still worth having. Silence is
/// declared sooner.
const LINK_DAYS: u32 = 30;

/// Until when the links of a check-in sent at `sent_at` work.
pub fn links_expire(sent_at: NaiveDateTime) -> NaiveDateTime {
    sent_at + TimeDelta::days(i64::from(LINK_DAYS))
}

/// How check-ins are timed, from the deployment's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInSchedule {
    /// Days after the introduction, ascending, without repeats.
    days: Vec<u32>,
    /// Days after sending without an answer before the check-in counts as silent.
    silent_after_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "check-in days must ascend without repeats and be at most 365, and silence start within 30 days"
)]
pub struct InvalidSchedule;

impl CheckInSchedule {
    pub fn new(days: Vec<u32>, silent_after_days: u32) -> Result<Self, InvalidSchedule> {
        let ascending = days.windows(2).all(|w| w[0] < w[1]);
        if !ascending || days.iter().any(|d| *d > 365) || silent_after_days > LINK_DAYS {
            return Err(InvalidSchedule);
        }
        Ok(Self {
            days,
            silent_after_days,
        })
    }

    /// The latest round due for a match introduced at `introduced`, unless already
    /// opened (`opened` holds the rounds opened so far). Rounds passed over while the
    /// service was down are not sent late: only the most recent one is.
    pub fn due_round(
        &self,
        introduced: NaiveDateTime,
        opened: &[u32],
        now: NaiveDateTime,
    ) -> Option<u32> {
        let latest = self
            .days
            .iter()
            .copied()
            .filter(|day| introduced + TimeDelta::days(i64::from(*day)) <= now)
            .max()?;
        let later_opened = opened.iter().any(|day| *day >= latest);
        (!later_opened).then_some(latest)
    }

    /// The earliest round: matches introduced less than this long ago need no look.
    pub fn first_day(&self) -> Option<u32> {
        self.days.first().copied()
    }

    /// When an unanswered check-in sent at `sent_at` counts as silent.
    pub fn silent_from(&self, sent_at: NaiveDateTime) -> NaiveDateTime {
        sent_at + TimeDelta::days(i64::from(self.silent_after_days))
    }

    pub fn status(
        &self,
        sent_at: NaiveDateTime,
        answered: bool,
        now: NaiveDateTime,
    ) -> CheckInStatus {
        if answered {
            CheckInStatus::Answered
        } else if now >= self.silent_from(sent_at) {
            CheckInStatus::Silent
        } else {
            CheckInStatus::Waiting
        }
    }
}

/// Whether a check-in needs a case manager: a call for help, a wish for a change, or
/// silence. Urgent when someone asked for something.
pub fn concern(status: CheckInStatus, answer: Option<CheckInAnswer>) -> Option<Concern> {
    match (status, answer) {
        (_, Some(CheckInAnswer::NeedHelp)) => Some(Concern::NeedHelp),
        (_, Some(CheckInAnswer::WantChange)) => Some(Concern::WantChange),
        (CheckInStatus::Silent, _) => Some(Concern::Silent),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    NeedHelp,
    WantChange,
    Silent,
}

impl Concern {
    pub fn urgent(self) -> bool {
        self != Concern::Silent
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, day)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    fn schedule() -> CheckInSchedule {
        CheckInSchedule::new(vec![7, 21], 5).unwrap()
    }

    #[test]
    fn a_round_is_due_once_its_day_has_come() {
        let s = schedule();
        assert_eq!(s.due_round(at(1), &[], at(7)), None);
        assert_eq!(s.due_round(at(1), &[], at(8)), Some(7));
        assert_eq!(s.due_round(at(1), &[7], at(8)), None);
        assert_eq!(s.due_round(at(1), &[7], at(22)), Some(21));
        assert_eq!(s.due_round(at(1), &[7, 21], at(30)), None);
    }

    #[test]
    fn rounds_missed_while_down_are_not_sent_late() {
        let s = schedule();
        assert_eq!(s.due_round(at(1), &[], at(25)), Some(21));
        assert_eq!(s.due_round(at(1), &[21], at(25)), None);
    }

    #[test]
    fn silence_counts_after_the_time_to_answer() {
        let s = schedule();
        assert_eq!(s.status(at(8), false, at(12)), CheckInStatus::Waiting);
        assert_eq!(s.status(at(8), false, at(13)), CheckInStatus::Silent);
        assert_eq!(s.status(at(8), true, at(20)), CheckInStatus::Answered);
    }

    #[test]
    fn help_change_and_silence_are_concerns_and_only_asking_is_urgent() {
        let silent = concern(CheckInStatus::Silent, None);
        assert_eq!(silent, Some(Concern::Silent));
        assert!(!Concern::Silent.urgent());
        assert_eq!(
            concern(CheckInStatus::Answered, Some(CheckInAnswer::NeedHelp)),
            Some(Concern::NeedHelp)
        );
        assert!(Concern::WantChange.urgent());
        assert_eq!(
            concern(CheckInStatus::Answered, Some(CheckInAnswer::GoingWell)),
            None
        );
        assert_eq!(concern(CheckInStatus::Waiting, None), None);
    }

    #[test]
    fn schedules_must_ascend() {
        assert!(CheckInSchedule::new(vec![30, 7], 7).is_err());
        assert!(CheckInSchedule::new(vec![7, 7], 7).is_err());
        assert!(CheckInSchedule::new(vec![400], 7).is_err());
        assert!(CheckInSchedule::new(vec![7], 31).is_err());
        assert!(CheckInSchedule::new(vec![], 7).is_ok());
        assert!(CheckInSchedule::new(vec![0], 0).is_ok());
    }

    #[test]
    fn answers_parse_back() {
        for &answer in CheckInAnswer::ALL {
            let name: &'static str = answer.into();
            assert_eq!(name.parse(), Ok(answer));
        }
        for &party in CheckInParty::BOTH {
            let name: &'static str = party.into();
            assert_eq!(name.parse(), Ok(party));
        }
    }
}
