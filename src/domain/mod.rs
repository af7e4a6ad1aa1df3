//! The domain: validated values and profiles. Pure: no I/O, no clock (callers pass `today`).

pub mod check_in;
pub mod consent;
pub mod error;
pub mod filter;
pub mod ids;
pub mod lifecycle;
pub mod report;
pub mod review;
pub mod roster;
pub mod seeker;
pub mod sponsor;
pub mod values;

/// Every variant's stored name (strum) is its name in the API (serde): both follow
/// `snake_case`, and a rename on one side only would split them.
#[cfg(test)]
pub(crate) fn assert_names_agree<T>()
where
    T: serde::Serialize + strum::VariantArray + Copy + Into<&'static str>,
{
    for variant in T::VARIANTS {
        let stored: &'static str = (*variant).into();
        let serialized = serde_json::to_value(variant).expect("serializable");
        assert_eq!(serialized, serde_json::Value::from(stored));
    }
}

#[cfg(test)]
mod tests {
    use super::assert_names_agree;
    use super::check_in::{CheckInAnswer, CheckInParty};
    use super::consent::RecipientClass;
    use super::filter::Filter;
    use super::lifecycle::{Action, MatchState, Reason};
    use super::sponsor::SponsorStatus;
    use super::values::{AgeBand, Gender};

    #[test]
    fn stored_and_serialized_names_are_the_same() {
        assert_names_agree::<MatchState>();
        assert_names_agree::<Action>();
        assert_names_agree::<Reason>();
        assert_names_agree::<CheckInAnswer>();
        assert_names_agree::<CheckInParty>();
        assert_names_agree::<Filter>();
        assert_names_agree::<RecipientClass>();
        assert_names_agree::<SponsorStatus>();
        assert_names_agree::<Gender>();
        assert_names_agree::<AgeBand>();
    }
}
