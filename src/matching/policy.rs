//! A program's matching policy: the weights of the score's components and the
//! thresholds of its filters. Versioned and edited by program admins.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};

use crate::domain::error::{FieldError, FieldErrors};

/// How much each component counts. Only the ratios matter: the score divides by the sum
/// of the weights of the components that apply to the pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    #[schema(minimum = 0, maximum = 1000)]
    pub sobriety: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub availability: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub preferences: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub distance: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub load: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchingPolicy {
    /// Sponsors need at least this much continuous sobriety. Fellowship custom is a year.
    #[schema(maximum = 36500)]
    pub min_sobriety_days: u32,
    /// Sobriety length at which the sobriety component reaches one half; it approaches
    /// one as sobriety grows, so decades do not crowd out a well-suited sponsor of five years.
    #[schema(minimum = 1, maximum = 36500)]
    pub sobriety_half_life_days: u32,
    pub weights: Weights,
    /// How matches move once proposed; defaults apply to what is left out.
    #[serde(default)]
    pub lifecycle: LifecycleRules,
}

/// The program's rules for the match lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleRules {
    /// A case manager approves each request before the sponsor sees it.
    pub review_required: bool,
    /// Hours the sponsor, then the seeker, has to answer before the request expires.
    #[schema(minimum = 1, maximum = 720)]
    pub answer_within_hours: u32,
    /// The same for a seeker leaving treatment within two days, who should not wait; not
    /// above `answer_within_hours`.
    #[schema(minimum = 1, maximum = 720)]
    pub urgent_answer_within_hours: u32,
    /// When a request expires, propose the next best candidate.
    pub auto_advance: bool,
}

impl Default for LifecycleRules {
    fn default() -> Self {
        Self {
            review_required: false,
            answer_within_hours: 72,
            urgent_answer_within_hours: 24,
            auto_advance: true,
        }
    }
}

impl LifecycleRules {
    /// A seeker is urgent when discharged within this many days from today.
    pub const URGENT_WITHIN_DAYS: i64 = 2;

    pub fn answer_window(&self, urgent: bool) -> chrono::TimeDelta {
        let hours = if urgent {
            self.urgent_answer_within_hours
        } else {
            self.answer_within_hours
        };
        chrono::TimeDelta::hours(i64::from(hours))
    }
}

impl Default for MatchingPolicy {
    fn default() -> Self {
        Self {
            min_sobriety_days: 365,
            sobriety_half_life_days: 730,
            weights: Weights {
                sobriety: 0.2,
                availability: 0.35,
                preferences: 0.2,
                distance: 0.1,
                load: 0.15,
            },
            lifecycle: LifecycleRules::default(),
        }
    }
}

impl MatchingPolicy {
    /// Checks a policy an admin sent.
    pub fn parse(policy: MatchingPolicy) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let w = policy.weights;
        for (name, value) in [
            ("sobriety", w.sobriety),
            ("availability", w.availability),
            ("preferences", w.preferences),
            ("distance", w.distance),
            ("load", w.load),
        ] {
            if !(0.0..=1000.0).contains(&value) {
                errors.push(FieldError::new(
                    format!("weights.{name}"),
                    "out_of_range",
                    "must be between 0 and 1000",
                ));
            }
        }
        if errors.is_empty()
            && w.sobriety + w.availability + w.preferences + w.distance + w.load <= 0.0
        {
            errors.push(FieldError::new(
                "weights",
                "all_zero",
                "at least one weight must be above zero",
            ));
        }
        if policy.min_sobriety_days > 36_500 {
            errors.push(FieldError::new(
                "min_sobriety_days",
                "out_of_range",
                "must be at most 36500",
            ));
        }
        if !(1..=36_500).contains(&policy.sobriety_half_life_days) {
            errors.push(FieldError::new(
                "sobriety_half_life_days",
                "out_of_range",
                "must be between 1 and 36500",
            ));
        }
        let rules = policy.lifecycle;
        if !(1..=720).contains(&rules.answer_within_hours) {
            errors.push(FieldError::new(
                "lifecycle.answer_within_hours",
                "out_of_range",
                "must be between 1 and 720",
            ));
        } else if !(1..=rules.answer_within_hours).contains(&rules.urgent_answer_within_hours) {
            errors.push(FieldError::new(
                "lifecycle.urgent_answer_within_hours",
                "out_of_range",
                "must be between 1 and answer_within_hours",
            ));
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }
}

/// What the parse asks of the weights together: one above zero (only their ratios
/// matter). The document adds it to `Weights`' schema.
pub fn weights_rule() -> Schema {
    let mut any = AnyOfBuilder::new();
    for name in [
        "sobriety",
        "availability",
        "preferences",
        "distance",
        "load",
    ] {
        let above_zero = ObjectBuilder::new()
            .schema_type(Type::Number)
            .exclusive_minimum(Some(0));
        any = any.item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(name, above_zero)
                .required(name),
        );
    }
    any.description(Some("At least one weight above zero."))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid() {
        assert!(MatchingPolicy::parse(MatchingPolicy::default()).is_ok());
    }

    #[test]
    fn weights_must_be_non_negative_and_not_all_zero() {
        let mut policy = MatchingPolicy::default();
        policy.weights.load = -0.1;
        let errors = MatchingPolicy::parse(policy).unwrap_err().into_vec();
        assert_eq!(errors[0].field, "weights.load");
        policy.weights = Weights {
            sobriety: 0.0,
            availability: 0.0,
            preferences: 0.0,
            distance: 0.0,
            load: 0.0,
        };
        let errors = MatchingPolicy::parse(policy).unwrap_err().into_vec();
        assert_eq!(errors[0].code, "all_zero");
        policy.weights.sobriety = f64::NAN;
        assert!(
            MatchingPolicy::parse(policy).is_err(),
            "NaN is not a weight"
        );
    }
}
