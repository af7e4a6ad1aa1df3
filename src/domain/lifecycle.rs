//! The match lifecycle: states, the actions that move a match between them, and the one
//! table saying which party may take which action from which state. Pure: the store
//! applies what [`transition`] allows, in one transaction with its audit event and its
//! outbox messages.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::filter::Filter;

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
pub enum MatchState {
    /// Created; moves on at once to review or to the sponsor.
    Proposed,
    /// Waiting for a case manager's approval (when the policy asks for it).
    PendingReview,
    /// The sponsor has the request.
    AwaitingSponsor,
    /// The sponsor accepted; the seeker's answer is awaited.
    AwaitingSeeker,
    /// Both said yes; the introduction waits for both consents to share contact details.
    Agreed,
    /// Both consented to share contact details; the introduction emails are queued.
    Introduced,
    /// They have met and the sponsorship runs.
    Active,
    Completed,
    Ended,
    Declined,
    Expired,
    Withdrawn,
    Vetoed,
}

impl MatchState {
    pub const ALL: &'static [MatchState] = <MatchState as strum::VariantArray>::VARIANTS;

    /// Still on its way to an introduction: may be withdrawn or vetoed.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            MatchState::Proposed
                | MatchState::PendingReview
                | MatchState::AwaitingSponsor
                | MatchState::AwaitingSeeker
                | MatchState::Agreed
        )
    }

    /// Introduced and not over: the pair have each other's details; check-ins run.
    pub fn is_under_way(self) -> bool {
        matches!(self, MatchState::Introduced | MatchState::Active)
    }

    /// Open or under way: a seeker has at most one such match.
    pub fn is_live(self) -> bool {
        self.is_open() || self.is_under_way()
    }

    /// Takes one of the sponsor's slots: from the sponsor's yes until the match is over.
    /// Requests still waiting for the sponsor hold none, so that a full sponsor can be
    /// asked by many and accept only as many as fit.
    pub fn holds_slot(self) -> bool {
        matches!(
            self,
            MatchState::AwaitingSeeker
                | MatchState::Agreed
                | MatchState::Introduced
                | MatchState::Active
        )
    }

    /// The pair is never proposed again after this outcome.
    pub fn bars_pair(self) -> bool {
        matches!(
            self,
            MatchState::Declined | MatchState::Expired | MatchState::Ended | MatchState::Vetoed
        )
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Who takes an action on a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The program's portal, relaying the seeker.
    Portal,
    /// A case manager or program admin of the program.
    Staff,
    /// The match's own sponsor.
    Sponsor,
    /// The service itself: submission, introduction, expiry, a sponsor's pause, a
    /// revoked consent, a check-in answer asking for a change.
    System,
}

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
pub enum Action {
    /// The new match goes to review or straight to the sponsor.
    Submit,
    Approve,
    Veto,
    Withdraw,
    SponsorAccept,
    SponsorDecline,
    /// The sponsor takes back their yes before the introduction, and with it their
    /// consent to share contact details.
    SponsorWithdraw,
    SeekerAccept,
    SeekerDecline,
    Introduce,
    /// They have met.
    Activate,
    Complete,
    End,
    Expire,
}

impl Action {
    pub const ALL: &'static [Action] = <Action as strum::VariantArray>::VARIANTS;

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

use Action as A;
use MatchState as S;
use Party as P;

/// Every allowed move: (action, parties who may take it, states it starts from, result).
/// `Submit` has two results; [`transition`] picks by the program's review rule.
const TABLE: &[(Action, &[Party], &[MatchState], MatchState)] = &[
    (A::Submit, &[P::System], &[S::Proposed], S::AwaitingSponsor),
    (
        A::Approve,
        &[P::Staff],
        &[S::PendingReview],
        S::AwaitingSponsor,
    ),
    (A::Veto, &[P::Staff], OPEN, S::Vetoed),
    (
        A::Withdraw,
        &[P::Portal, P::Staff, P::System],
        OPEN,
        S::Withdrawn,
    ),
    (
        A::SponsorAccept,
        &[P::Sponsor],
        &[S::AwaitingSponsor],
        S::AwaitingSeeker,
    ),
    (
        A::SponsorDecline,
        &[P::Sponsor, P::System],
        &[S::AwaitingSponsor],
        S::Declined,
    ),
    (
        A::SponsorWithdraw,
        &[P::Sponsor],
        &[S::AwaitingSeeker, S::Agreed],
        S::Withdrawn,
    ),
    (
        A::SeekerAccept,
        &[P::Portal, P::Staff],
        &[S::AwaitingSeeker],
        S::Agreed,
    ),
    (
        A::SeekerDecline,
        &[P::Portal, P::Staff],
        &[S::AwaitingSeeker],
        S::Declined,
    ),
    (A::Introduce, &[P::System], &[S::Agreed], S::Introduced),
    (
        A::Activate,
        &[P::Portal, P::Staff, P::Sponsor],
        &[S::Introduced],
        S::Active,
    ),
    (
        A::Complete,
        &[P::Portal, P::Staff, P::Sponsor],
        &[S::Active],
        S::Completed,
    ),
    (
        A::End,
        &[P::Portal, P::Staff, P::Sponsor, P::System],
        &[S::Introduced, S::Active],
        S::Ended,
    ),
    (
        A::Expire,
        &[P::System],
        &[S::AwaitingSponsor, S::AwaitingSeeker],
        S::Expired,
    ),
];

const OPEN: &[MatchState] = &[
    S::Proposed,
    S::PendingReview,
    S::AwaitingSponsor,
    S::AwaitingSeeker,
    S::Agreed,
];

/// Why the service refuses a step of the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this party may not {}", .0.as_str())]
    NotPermitted(Action),
    #[error("cannot {} a match that is {}", .action.as_str(), .current.as_str())]
    InvalidTransition { action: Action, current: MatchState },
    #[error("the sponsor is not a candidate for this seeker")]
    NotEligible(Vec<Filter>),
    #[error("the sponsor has no free capacity")]
    NoCapacity,
    #[error("the seeker already has a match under way")]
    SeekerHasLiveMatch,
    #[error("no candidate sponsor is available")]
    NoCandidate,
    #[error("consent required: {0}")]
    ConsentRequired(&'static str),
}

/// Whether `party` may ever take `action`, whatever the match's state: checked before a
/// match is looked up, so a wrong role is refused without learning whether it exists.
pub fn permits(action: Action, party: Party) -> bool {
    TABLE
        .iter()
        .any(|(a, parties, ..)| *a == action && parties.contains(&party))
}

/// The state `action` by `party` leads to from `current`, or why it may not be taken.
/// `review_required` is the program's rule for new matches.
pub fn transition(
    current: MatchState,
    action: Action,
    party: Party,
    review_required: bool,
) -> Result<MatchState, Refusal> {
    let (_, parties, from, to) = TABLE
        .iter()
        .find(|(a, ..)| *a == action)
        .ok_or(Refusal::NotPermitted(action))?;
    if !parties.contains(&party) {
        return Err(Refusal::NotPermitted(action));
    }
    if !from.contains(&current) {
        return Err(Refusal::InvalidTransition { action, current });
    }
    Ok(match action {
        Action::Submit if review_required => MatchState::PendingReview,
        _ => *to,
    })
}

/// Why a match was declined, vetoed or ended. Safety reasons are kept apart from fit
/// so reports can count them separately and case managers can follow them up.
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
pub enum Reason {
    // Fit
    ScheduleConflict,
    NotAGoodFit,
    NoCapacity,
    PersonalCircumstances,
    Unresponsive,
    GoalsMet,
    Reassigned,
    /// A side answered a check-in asking for a change: a rematch that blames nobody.
    RematchRequested,
    Other,
    // Safety
    SafetyConcern,
    BoundaryViolation,
    Harassment,
    // Service
    SponsorPaused,
    ConsentRevoked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCategory {
    Fit,
    Safety,
    Service,
}

impl Reason {
    pub const ALL: &'static [Reason] = <Reason as strum::VariantArray>::VARIANTS;

    pub fn category(self) -> ReasonCategory {
        match self {
            Reason::SafetyConcern | Reason::BoundaryViolation | Reason::Harassment => {
                ReasonCategory::Safety
            }
            Reason::SponsorPaused | Reason::ConsentRevoked => ReasonCategory::Service,
            _ => ReasonCategory::Fit,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// Reasons only the service gives: its own, and the one it records for a check-in
    /// answer (so that a rematch on record was always asked for by a side).
    pub fn is_service(self) -> bool {
        self.category() == ReasonCategory::Service || self == Reason::RematchRequested
    }
}

/// Actions that must say why.
pub fn reason_required(action: Action) -> bool {
    matches!(action, Action::Veto | Action::End)
}

/// Actions that may say why: the ones that stop a match or finish it.
pub fn takes_reason(action: Action) -> bool {
    matches!(
        action,
        Action::Veto
            | Action::Withdraw
            | Action::SponsorDecline
            | Action::SponsorWithdraw
            | Action::SeekerDecline
            | Action::Complete
            | Action::End
            | Action::Expire
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTIES: [Party; 4] = [Party::Portal, Party::Staff, Party::Sponsor, Party::System];

    #[test]
    fn the_happy_path_reaches_completion() {
        let steps = [
            (Action::Submit, Party::System, MatchState::AwaitingSponsor),
            (
                Action::SponsorAccept,
                Party::Sponsor,
                MatchState::AwaitingSeeker,
            ),
            (Action::SeekerAccept, Party::Portal, MatchState::Agreed),
            (Action::Introduce, Party::System, MatchState::Introduced),
            (Action::Activate, Party::Sponsor, MatchState::Active),
            (Action::Complete, Party::Staff, MatchState::Completed),
        ];
        let mut state = MatchState::Proposed;
        for (action, party, expected) in steps {
            state = transition(state, action, party, false).unwrap();
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn review_puts_a_case_manager_before_the_sponsor() {
        let state = transition(MatchState::Proposed, Action::Submit, Party::System, true);
        assert_eq!(state, Ok(MatchState::PendingReview));
        assert_eq!(
            transition(
                MatchState::PendingReview,
                Action::SponsorAccept,
                Party::Sponsor,
                true
            ),
            Err(Refusal::InvalidTransition {
                action: Action::SponsorAccept,
                current: MatchState::PendingReview
            })
        );
        assert_eq!(
            transition(
                MatchState::PendingReview,
                Action::Approve,
                Party::Staff,
                true
            ),
            Ok(MatchState::AwaitingSponsor)
        );
    }

    #[test]
    fn withdraw_and_veto_apply_to_every_open_state_and_no_other() {
        for state in MatchState::ALL.iter().copied() {
            for action in [Action::Withdraw, Action::Veto] {
                let outcome = transition(state, action, Party::Staff, false);
                assert_eq!(
                    outcome.is_ok(),
                    state.is_open(),
                    "{action:?} from {state:?}"
                );
            }
        }
    }

    #[test]
    fn finished_states_allow_nothing() {
        for state in MatchState::ALL.iter().copied().filter(|s| !s.is_live()) {
            for action in Action::ALL.iter().copied() {
                for party in PARTIES {
                    assert!(transition(state, action, party, false).is_err());
                }
            }
        }
    }

    #[test]
    fn only_the_sponsor_answers_for_the_sponsor_and_only_the_seekers_side_for_the_seeker() {
        for party in PARTIES {
            let sponsor = transition(
                MatchState::AwaitingSponsor,
                Action::SponsorAccept,
                party,
                false,
            );
            assert_eq!(sponsor.is_ok(), party == Party::Sponsor);
            let seeker = transition(
                MatchState::AwaitingSeeker,
                Action::SeekerAccept,
                party,
                false,
            );
            assert_eq!(
                seeker.is_ok(),
                matches!(party, Party::Portal | Party::Staff)
            );
        }
    }

    #[test]
    fn a_wrong_party_is_refused_before_the_state_is_considered() {
        assert_eq!(
            transition(
                MatchState::Completed,
                Action::Approve,
                Party::Sponsor,
                false
            ),
            Err(Refusal::NotPermitted(Action::Approve))
        );
    }

    #[test]
    fn slots_are_held_from_the_sponsors_yes_until_the_end() {
        let holding: Vec<MatchState> = MatchState::ALL
            .iter()
            .copied()
            .filter(|s| s.holds_slot())
            .collect();
        assert_eq!(
            holding,
            [
                MatchState::AwaitingSeeker,
                MatchState::Agreed,
                MatchState::Introduced,
                MatchState::Active
            ]
        );
        assert!(holding.iter().all(|s| s.is_live()));
    }

    #[test]
    fn names_round_trip() {
        for state in MatchState::ALL.iter().copied() {
            assert_eq!(state.as_str().parse(), Ok(state));
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json, state.as_str());
        }
        for reason in Reason::ALL.iter().copied() {
            assert_eq!(Reason::parse(reason.as_str()), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
        for action in Action::ALL.iter().copied() {
            assert_eq!(Action::parse(action.as_str()), Some(action));
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
    }

    #[test]
    fn safety_reasons_are_told_apart_from_fit() {
        assert_eq!(Reason::Harassment.category(), ReasonCategory::Safety);
        assert_eq!(Reason::ScheduleConflict.category(), ReasonCategory::Fit);
        assert!(Reason::SponsorPaused.is_service());
    }
}
