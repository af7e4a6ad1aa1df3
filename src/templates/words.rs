//! The catalogue of words: every string a page shows, one Fluent file per language
//! (`templates/words/<lang>.ftl`), so that no handler holds a sentence and a language
//! is added by adding a file.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The languages the catalogue has, the first the default.
pub const LANGUAGES: &[(&str, &str)] = &[("en", include_str!("../../templates/words/en.ftl"))];

/// One language's words.
pub struct Catalogue {
    bundle: FluentBundle<FluentResource>,
}

impl Catalogue {
    fn load(lang: &str, source: &str) -> Self {
        let id: LanguageIdentifier = lang.parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Isolation marks around placeables are for mixing scripts; in HTML and plain
        // English they only show up as stray characters.
        bundle.set_use_isolating(false);
        let resource = match FluentResource::try_new(source.to_owned()) {
            Ok(resource) => resource,
            // The catalogue is part of the binary; a broken one fails every test.
            Err((_, errors)) => panic!("catalogue {lang}: {errors:?}"),
        };
        if let Err(errors) = bundle.add_resource(resource) {
            panic!("catalogue {lang}: {errors:?}");
        }
        Self { bundle }
    }

    /// The words for `key`, with `args` put in; the key itself when the catalogue lacks
    /// it (a test holds every key used to the catalogue).
    pub fn get(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::error!(key, "a word missing from the catalogue");
            return key.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        let text = self
            .bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::error!(key, ?errors, "a word's placeholders did not fit");
        }
        text.into_owned()
    }

    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }
}

static CATALOGUES: LazyLock<Vec<(&'static str, Catalogue)>> = LazyLock::new(|| {
    LANGUAGES
        .iter()
        .map(|(lang, source)| (*lang, Catalogue::load(lang, source)))
        .collect()
});

/// The catalogue of `lang`, or the default language's.
pub fn catalogue(lang: &str) -> &'static Catalogue {
    let catalogues = &*CATALOGUES;
    catalogues
        .iter()
        .find(|(code, _)| *code == lang)
        .or_else(|| catalogues.first())
        .map(|(_, catalogue)| catalogue)
        .unwrap_or_else(|| unreachable!("LANGUAGES is not empty"))
}

/// The key of a code's label: `label-<kind>-<code>`, underscores as hyphens.
pub fn label_key(kind: &str, code: &str) -> String {
    format!("label-{kind}-{}", code.replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use strum::VariantArray;

    use super::*;
    use crate::domain::sponsor::SponsorStatus;
    use crate::domain::values::{
        AgeBand, Attribute, Day, Fellowship, Gender, GenderRule, MeetingMode,
    };
    use crate::matching::score::DistanceBand;

    /// The code of a value as the API writes it: its serde name, or a tagged enum's tag.
    fn code<T: Serialize>(value: &T) -> String {
        match serde_json::to_value(value).expect("a code") {
            serde_json::Value::String(code) => code,
            tagged => tagged["rule"].as_str().expect("a tag").to_owned(),
        }
    }

    fn missing<T: Serialize>(kind: &str, values: &[T]) -> Vec<String> {
        let words = catalogue("en");
        values
            .iter()
            .map(|v| label_key(kind, &code(v)))
            .filter(|key| !words.has(key))
            .collect()
    }

    #[test]
    fn every_code_a_page_shows_has_its_label() {
        let rules = [
            GenderRule::SameGender,
            GenderRule::AnyGender,
            GenderRule::Listed { genders: vec![] },
        ];
        let missing: Vec<String> = [
            missing("fellowship", Fellowship::VARIANTS),
            missing("attribute", Attribute::VARIANTS),
            missing("gender", Gender::VARIANTS),
            missing("gender-rule", &rules),
            missing("age-band", AgeBand::VARIANTS),
            missing("meeting-mode", MeetingMode::VARIANTS),
            missing("distance-band", DistanceBand::VARIANTS),
            missing("day", &Day::ALL),
            missing("sponsor-status", SponsorStatus::VARIANTS),
            missing("role", crate::auth::Role::VARIANTS),
        ]
        .concat();
        assert!(missing.is_empty(), "not in the catalogue: {missing:?}");
    }

    #[test]
    fn the_lists_pages_offer_are_every_variant() {
        // `ALL` is written by hand, in the order forms offer; strum's list cannot forget one.
        assert_eq!(Fellowship::ALL.as_slice(), Fellowship::VARIANTS);
        assert_eq!(Attribute::ALL.as_slice(), Attribute::VARIANTS);
        assert_eq!(Day::ALL.as_slice(), Day::VARIANTS);
    }
}
