//! Notifications: what the service tells people (rendering; `delivery` sends them).
//! Messages are rows written with the transition that causes them; their text is
//! rendered at delivery from the records as they are then.

pub mod letters;
pub mod links;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a queued message is. One message of a kind per match (per round, for
/// check-ins; per invite, for invites; per link, for password resets): the outbox's unique key.
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
pub enum MessageKind {
    /// To the sponsor: a new request, with links to accept or decline.
    SponsorRequest,
    /// To the sponsor: the seeker's contact details, after both agreed.
    IntroductionToSponsor,
    /// To the seeker: the sponsor's contact details, after both agreed.
    IntroductionToSeeker,
    /// To the program's case managers: a request was declined.
    DeclineNotice,
    /// To the program's case managers: a request expired unanswered.
    ExpiryNotice,
    /// To the program's portal: a step of a match, signed.
    Webhook,
    /// To the seeker, some days after the introduction: how is it going?
    CheckInToSeeker,
    /// To the sponsor, likewise.
    CheckInToSponsor,
    /// To a person on a program's imported roster: an invite to create their account.
    SponsorInvite,
    /// To a person who asked: a link to choose a new password.
    PasswordReset,
}

impl MessageKind {
    pub const ALL: &'static [MessageKind] = <MessageKind as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// Messages that lose their purpose when a match stops short of an introduction;
    /// notices to staff are kept.
    pub const TO_THE_PAIR: [MessageKind; 3] = [
        MessageKind::SponsorRequest,
        MessageKind::IntroductionToSponsor,
        MessageKind::IntroductionToSeeker,
    ];

    pub const INTRODUCTIONS: [MessageKind; 2] = [
        MessageKind::IntroductionToSponsor,
        MessageKind::IntroductionToSeeker,
    ];
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_and_serialized_names_are_the_same() {
        crate::domain::assert_names_agree::<super::MessageKind>();
    }
}
