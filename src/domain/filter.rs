//! The hard filters a sponsor must pass to be offered to a seeker: the matching engine
//! applies them, the lifecycle names the ones a refused proposal failed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A hard filter a sponsor must pass to be a candidate, in the order they are checked.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Filter {
    /// The sponsor is not paused.
    Active,
    /// The slots the sponsor holds (matches they said yes to) are below their capacity.
    FreeCapacity,
    /// They share a fellowship the seeker wants.
    Fellowship,
    /// They share a language.
    Language,
    /// The sponsor sponsors people of the seeker's gender.
    SponsorAcceptsGender,
    /// The seeker wants a sponsor of the sponsor's gender.
    SeekerAcceptsGender,
    /// The sponsor has at least the program's minimum sobriety.
    MinimumSobriety,
    /// The sponsor offers everything the seeker needs (e.g. accepts MAT).
    Needs,
    /// They share a meeting mode.
    MeetingMode,
    /// When in person is their only shared mode, each is within the other's radius.
    Distance,
    /// They have not been declined, ended or blocked as a pair before.
    NotPreviouslyPaired,
}

impl Filter {
    pub const ALL: &'static [Filter] = <Filter as strum::VariantArray>::VARIANTS;
}
