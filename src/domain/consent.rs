//! Consent to disclose, with the elements 42 CFR 2.31 requires of a written consent:
//! who may disclose, to whom, what, for which purpose, until when, the signature
//! and its date, and how the person can revoke it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, Type};

use super::error::{FieldError, FieldErrors};
use super::values::{PersonName, Statement};

/// The class of recipients a consent names.
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
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RecipientClass {
    /// Volunteer sponsors the service finds as candidates for this seeker.
    CandidateSponsors,
    /// The sponsor the seeker has agreed to, at their introduction.
    MatchedSponsor,
}

/// The items of the seeker's record a consent lets the program disclose.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum DisclosedItem {
    Alias,
    Fellowships,
    Languages,
    Needs,
    Availability,
    /// An approximate distance band, never the location itself.
    MeetingArea,
    /// The seeker's email and phone, for the introduction.
    ContactDetails,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// Name of the program or person permitted to disclose.
    #[schema(schema_with = crate::domain::values::text_schema::<100>)]
    pub discloser: String,
    pub recipient_class: RecipientClass,
    /// What may be disclosed; at least one item.
    #[schema(min_items = 1)]
    pub information: Vec<DisclosedItem>,
    /// Why, e.g. "to find a peer sponsor in recovery".
    #[schema(schema_with = crate::domain::values::text_schema::<1000>)]
    pub purpose: String,
    /// Name of the person who signed: the seeker or their authorised representative.
    #[schema(schema_with = crate::domain::values::text_schema::<100>)]
    pub signed_by: String,
    /// When it was signed; not in the future.
    pub signed_at: DateTime<Utc>,
    /// When it ends; after the signature and in the future.
    pub expires_at: DateTime<Utc>,
    /// The statement given to the seeker of their right to revoke and how to do it.
    #[schema(schema_with = crate::domain::values::text_schema::<1000>)]
    pub revocation_instructions: String,
}

/// What [`Consent::parse`] asks of `recipient_class` and `information` together: contact
/// details go to the matched sponsor only, and a consent for the matched sponsor is for
/// them. The document adds it to `ConsentInput`'s schema.
pub fn consent_rule() -> Schema {
    let class = |class: RecipientClass| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([serde_json::json!(class)]))
    };
    let others = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            <DisclosedItem as strum::VariantArray>::VARIANTS
                .iter()
                .filter(|item| **item != DisclosedItem::ContactDetails)
                .map(|item| serde_json::json!(item)),
        ));
    let candidates = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("recipient_class", class(RecipientClass::CandidateSponsors))
        .property("information", ArrayBuilder::new().items(others));
    // utoipa has no builder for `contains`; its extensions are written as they are.
    let contains = Extensions::from_iter([(
        "contains",
        serde_json::json!({"const": DisclosedItem::ContactDetails}),
    )]);
    let matched = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("recipient_class", class(RecipientClass::MatchedSponsor))
        .property(
            "information",
            ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::String))
                .extensions(Some(contains)),
        );
    AnyOfBuilder::new()
        .item(candidates)
        .item(matched)
        .description(Some(
            "`contact_details` is in `information` if and only if `recipient_class` is \
             `matched_sponsor`.",
        ))
        .into()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub discloser: PersonName,
    pub recipient_class: RecipientClass,
    pub information: Vec<DisclosedItem>,
    pub purpose: Statement,
    pub signed_by: PersonName,
    pub signed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revocation_instructions: Statement,
}

impl Consent {
    /// Clocks of portals drift; a signature this far ahead still counts as now.
    const CLOCK_SKEW: Duration = Duration::minutes(5);

    pub fn parse(input: ConsentInput, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let discloser = errors.take("discloser", PersonName::parse(input.discloser));
        let purpose = errors.take("purpose", Statement::parse(input.purpose));
        let signed_by = errors.take("signed_by", PersonName::parse(input.signed_by));
        let revocation_instructions = errors.take(
            "revocation_instructions",
            Statement::parse(input.revocation_instructions),
        );
        let mut information = input.information;
        information.sort();
        information.dedup();
        if information.is_empty() {
            errors.push(FieldError::new(
                "information",
                "empty",
                "name at least one item to disclose",
            ));
        }
        if information.contains(&DisclosedItem::ContactDetails)
            && input.recipient_class != RecipientClass::MatchedSponsor
        {
            errors.push(FieldError::new(
                "information",
                "contact_details_before_agreement",
                "contact details may go only to the matched sponsor",
            ));
        }
        if input.recipient_class == RecipientClass::MatchedSponsor
            && !information.contains(&DisclosedItem::ContactDetails)
        {
            errors.push(FieldError::new(
                "information",
                "contact_details_required",
                "a consent for the matched sponsor is for sharing contact details; include contact_details",
            ));
        }
        if input.signed_at > now + Self::CLOCK_SKEW {
            errors.push(FieldError::new(
                "signed_at",
                "in_future",
                "must not be in the future",
            ));
        }
        if input.expires_at <= now || input.expires_at <= input.signed_at {
            errors.push(FieldError::new(
                "expires_at",
                "not_after_now",
                "must be in the future and after signed_at",
            ));
        }
        match (discloser, purpose, signed_by, revocation_instructions) {
            (Some(discloser), Some(purpose), Some(signed_by), Some(revocation_instructions))
                if errors.is_empty() =>
            {
                Ok(Self {
                    discloser,
                    recipient_class: input.recipient_class,
                    information,
                    purpose,
                    signed_by,
                    signed_at: input.signed_at,
                    expires_at: input.expires_at,
                    revocation_instructions,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Whether a recorded consent permits disclosure at `now`.
pub fn is_in_force(
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    revoked_at.is_none() && expires_at > now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(now: DateTime<Utc>) -> ConsentInput {
        ConsentInput {
            discloser: "Riverside Treatment Center".into(),
            recipient_class: RecipientClass::CandidateSponsors,
            information: vec![
                DisclosedItem::Needs,
                DisclosedItem::Alias,
                DisclosedItem::Alias,
            ],
            purpose: "to find a peer sponsor".into(),
            signed_by: "Sam".into(),
            signed_at: now - Duration::hours(1),
            expires_at: now + Duration::days(90),
            revocation_instructions: "Tell your case manager or write to privacy@example.org"
                .into(),
        }
    }

    #[test]
    fn valid_consent_parses_with_deduplicated_items() {
        let now = Utc::now();
        let consent = Consent::parse(input(now), now).unwrap();
        assert_eq!(
            consent.information,
            [DisclosedItem::Alias, DisclosedItem::Needs]
        );
    }

    #[test]
    fn dates_must_make_sense() {
        let now = Utc::now();
        let mut bad = input(now);
        bad.signed_at = now + Duration::hours(1);
        bad.expires_at = now - Duration::seconds(1);
        bad.information.clear();
        let fields: Vec<String> = Consent::parse(bad, now)
            .unwrap_err()
            .into_vec()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["information", "signed_at", "expires_at"]);
    }

    #[test]
    fn contact_details_go_only_to_the_matched_sponsor() {
        let now = Utc::now();
        let mut early = input(now);
        early.information.push(DisclosedItem::ContactDetails);
        let errors = Consent::parse(early.clone(), now).unwrap_err().into_vec();
        assert_eq!(errors[0].code, "contact_details_before_agreement");
        early.recipient_class = RecipientClass::MatchedSponsor;
        assert!(Consent::parse(early.clone(), now).is_ok());
        early.information = vec![DisclosedItem::Alias];
        let errors = Consent::parse(early, now).unwrap_err().into_vec();
        assert_eq!(errors[0].code, "contact_details_required");
    }

    #[test]
    fn revoked_or_expired_consent_is_not_in_force() {
        let now = Utc::now();
        assert!(is_in_force(now + Duration::days(1), None, now));
        assert!(!is_in_force(now + Duration::days(1), Some(now), now));
        assert!(!is_in_force(now, None, now));
    }
}
