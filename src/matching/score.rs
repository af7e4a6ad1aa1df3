//! The reference scorer: hard filters, then a weighted score in [0, 1], with the
//! explanation a case manager reads. The rank index computes the same numbers from its
//! columns through the same functions; property tests hold the two together.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::facts::{
    Area, IN_PERSON, REMOTE, SeekerFacts, SponsorFacts, age_band_bit, distance_km, gender_bit,
};
use super::policy::MatchingPolicy;
use crate::domain::filter::Filter;
use crate::domain::values::LanguageCode;

/// One seeker's search: who they are, under which policy, on which day, and the
/// sponsors they may not be offered again (sorted).
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub seeker: &'a SeekerFacts,
    pub policy: &'a MatchingPolicy,
    /// [`super::facts::day_number`] of today.
    pub today: u16,
    pub excluded: &'a [uuid::Uuid],
}

/// How a pair could meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeetingFit {
    /// They share phone or video.
    pub remote: bool,
    /// Both meet in person (distance known).
    pub both_in_person: bool,
    /// Distance, when both meet in person.
    pub km: Option<f64>,
    /// Both meet in person and each is within the other's radius.
    pub in_person: bool,
    /// The smaller of the two radii, when both meet in person.
    pub reach_km: f64,
}

pub fn meeting_fit(
    seeker_modes: u8,
    seeker_area: Option<&Area>,
    sponsor_modes: u8,
    sponsor_area: Option<&Area>,
) -> MeetingFit {
    let shared = seeker_modes & sponsor_modes;
    let remote = shared & REMOTE != 0;
    match (seeker_area, sponsor_area) {
        (Some(a), Some(b)) if shared & IN_PERSON != 0 => {
            let km = distance_km(a, b);
            let reach_km = a.radius_km().min(b.radius_km());
            MeetingFit {
                remote,
                both_in_person: true,
                km: Some(km),
                in_person: km <= reach_km,
                reach_km,
            }
        }
        _ => MeetingFit {
            remote,
            both_in_person: false,
            km: None,
            in_person: false,
            reach_km: 0.0,
        },
    }
}

pub fn shares_language(seeker: &[LanguageCode], sponsor: &[LanguageCode]) -> bool {
    seeker.iter().any(|l| sponsor.contains(l))
}

/// The raw values the components are computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Raw {
    pub sober_days: u32,
    pub shared_hours: u32,
    pub seeker_hours: u32,
    pub preferences_met: u32,
    pub preferences_asked: u32,
    pub distance_applies: bool,
    pub meeting: MeetingFit,
    pub load: u8,
    pub capacity: u8,
}

/// Component values in [0, 1], each with whether it applies to the pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Values {
    pub sobriety: f64,
    pub availability: f64,
    pub preferences: Option<f64>,
    pub distance: Option<f64>,
    pub load: f64,
}

/// Saturating: one half at the policy's half-life, approaching one after.
pub fn sobriety_value(sober_days: u32, half_life_days: u32) -> f64 {
    1.0 - 0.5f64.powf(f64::from(sober_days) / f64::from(half_life_days.max(1)))
}

pub fn values(raw: &Raw, policy: &MatchingPolicy) -> Values {
    Values {
        sobriety: sobriety_value(raw.sober_days, policy.sobriety_half_life_days),
        availability: if raw.seeker_hours == 0 {
            0.0
        } else {
            f64::from(raw.shared_hours) / f64::from(raw.seeker_hours)
        },
        preferences: (raw.preferences_asked > 0)
            .then(|| f64::from(raw.preferences_met) / f64::from(raw.preferences_asked)),
        distance: raw.distance_applies.then(|| match raw.meeting.km {
            Some(km) if raw.meeting.in_person && raw.meeting.reach_km > 0.0 => {
                (1.0 - km / raw.meeting.reach_km).clamp(0.0, 1.0)
            }
            _ => 0.0,
        }),
        load: 1.0 - f64::from(raw.load.min(raw.capacity)) / f64::from(raw.capacity.max(1)),
    }
}

/// The weighted mean of the components that apply; 0 when no applying one has weight.
pub fn combine(values: &Values, policy: &MatchingPolicy) -> f64 {
    let w = &policy.weights;
    let mut total = w.sobriety * values.sobriety + w.availability * values.availability;
    let mut weight = w.sobriety + w.availability;
    if let Some(v) = values.preferences {
        total += w.preferences * v;
        weight += w.preferences;
    }
    if let Some(v) = values.distance {
        total += w.distance * v;
        weight += w.distance;
    }
    total += w.load * values.load;
    weight += w.load;
    if weight > 0.0 { total / weight } else { 0.0 }
}

/// Preferences met and asked: each preferred attribute and mode is one, a wish for
/// certain age bands is one.
pub fn preference_counts(
    seeker: &SeekerFacts,
    sponsor_attributes: u8,
    sponsor_age_band: u8,
    usable_modes: u8,
) -> (u32, u32) {
    let p = &seeker.preferences;
    let mut met =
        (p.attributes & sponsor_attributes).count_ones() + (p.modes & usable_modes).count_ones();
    let mut asked = p.attributes.count_ones() + p.modes.count_ones();
    if p.age_bands != 0 {
        asked += 1;
        met += u32::from(p.age_bands & sponsor_age_band != 0);
    }
    (met, asked)
}

/// Modes the pair can actually use.
pub fn usable_modes(seeker_modes: u8, sponsor_modes: u8, fit: &MeetingFit) -> u8 {
    (seeker_modes & sponsor_modes & REMOTE) | if fit.in_person { IN_PERSON } else { 0 }
}

fn raw(query: &Query, sponsor: &SponsorFacts, fit: MeetingFit) -> Raw {
    let seeker = query.seeker;
    let usable = usable_modes(seeker.modes, sponsor.modes, &fit);
    let (preferences_met, preferences_asked) = preference_counts(
        seeker,
        sponsor.attributes,
        sponsor.age_band.map_or(0, age_band_bit),
        usable,
    );
    Raw {
        sober_days: u32::from(query.today.saturating_sub(sponsor.sober_since)),
        shared_hours: seeker.hours.overlap(&sponsor.hours),
        seeker_hours: seeker.hours.count(),
        preferences_met,
        preferences_asked,
        distance_applies: seeker.modes & IN_PERSON != 0,
        meeting: fit,
        load: sponsor.load,
        capacity: sponsor.capacity,
    }
}

/// Every filter the pair fails; empty for a candidate.
pub fn failed_filters(query: &Query, sponsor: &SponsorFacts) -> Vec<Filter> {
    let seeker = query.seeker;
    let fit = meeting_fit(
        seeker.modes,
        seeker.area.as_ref(),
        sponsor.modes,
        sponsor.area.as_ref(),
    );
    let sober_days = u32::from(query.today.saturating_sub(sponsor.sober_since));
    Filter::ALL
        .iter()
        .copied()
        .filter(|filter| !match filter {
            Filter::Active => sponsor.active,
            Filter::FreeCapacity => sponsor.load < sponsor.capacity,
            Filter::Fellowship => seeker.fellowships & sponsor.fellowships != 0,
            Filter::Language => shares_language(&seeker.languages, &sponsor.languages),
            Filter::SponsorAcceptsGender => sponsor.accepts & gender_bit(seeker.gender) != 0,
            Filter::SeekerAcceptsGender => seeker.accepts & gender_bit(sponsor.gender) != 0,
            Filter::MinimumSobriety => sober_days >= query.policy.min_sobriety_days,
            Filter::Needs => seeker.needs & !sponsor.attributes == 0,
            Filter::MeetingMode => fit.remote || fit.both_in_person,
            Filter::Distance => fit.remote || !fit.both_in_person || fit.in_person,
            Filter::NotPreviouslyPaired => query.excluded.binary_search(&sponsor.id).is_err(),
        })
        .collect()
}

/// The score of a candidate, or `None` when a filter fails.
pub fn score(query: &Query, sponsor: &SponsorFacts) -> Option<f64> {
    if !failed_filters(query, sponsor).is_empty() {
        return None;
    }
    let fit = meeting_fit(
        query.seeker.modes,
        query.seeker.area.as_ref(),
        sponsor.modes,
        sponsor.area.as_ref(),
    );
    Some(combine(
        &values(&raw(query, sponsor, fit), query.policy),
        query.policy,
    ))
}

/// The top `k` by score, ties broken by sponsor id: the brute-force reference.
pub fn rank_all(query: &Query, sponsors: &[SponsorFacts], k: usize) -> Vec<(uuid::Uuid, f64)> {
    let mut scored: Vec<(uuid::Uuid, f64)> = sponsors
        .iter()
        .filter_map(|s| score(query, s).map(|score| (s.id, score)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

/// A distance shown without revealing where anyone is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, strum::VariantArray,
)]
pub enum DistanceBand {
    #[serde(rename = "under_2_km")]
    Under2Km,
    #[serde(rename = "2_to_5_km")]
    From2To5Km,
    #[serde(rename = "5_to_10_km")]
    From5To10Km,
    #[serde(rename = "10_to_25_km")]
    From10To25Km,
    #[serde(rename = "25_to_50_km")]
    From25To50Km,
    #[serde(rename = "over_50_km")]
    Over50Km,
}

impl DistanceBand {
    pub fn of(km: f64) -> Self {
        match km {
            k if k < 2.0 => DistanceBand::Under2Km,
            k if k < 5.0 => DistanceBand::From2To5Km,
            k if k < 10.0 => DistanceBand::From5To10Km,
            k if k < 25.0 => DistanceBand::From10To25Km,
            k if k < 50.0 => DistanceBand::From25To50Km,
            _ => DistanceBand::Over50Km,
        }
    }
}

/// One component of a score: its weight, its value in [0, 1], and what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "component", rename_all = "snake_case")]
pub enum Component {
    Sobriety {
        weight: f64,
        value: f64,
        sober_years: f64,
    },
    Availability {
        weight: f64,
        value: f64,
        shared_hours: u32,
        seeker_hours: u32,
    },
    /// Absent from the score when the seeker stated no preferences.
    Preferences {
        weight: f64,
        value: Option<f64>,
        met: u32,
        asked: u32,
    },
    /// Absent from the score when the seeker does not meet in person; 0 when they could
    /// but this pair cannot.
    Distance {
        weight: f64,
        value: Option<f64>,
        band: Option<DistanceBand>,
    },
    Load {
        weight: f64,
        value: f64,
        sponsees: u8,
        capacity: u8,
    },
}

/// Why a sponsor is, or is not, a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Explanation {
    /// In [0, 1]; absent when a filter fails.
    pub score: Option<f64>,
    pub components: Vec<Component>,
    pub filters_passed: Vec<Filter>,
    pub filters_failed: Vec<Filter>,
}

pub fn explain(query: &Query, sponsor: &SponsorFacts) -> Explanation {
    let failed = failed_filters(query, sponsor);
    let passed = Filter::ALL
        .iter()
        .copied()
        .filter(|f| !failed.contains(f))
        .collect();
    let fit = meeting_fit(
        query.seeker.modes,
        query.seeker.area.as_ref(),
        sponsor.modes,
        sponsor.area.as_ref(),
    );
    let raw = raw(query, sponsor, fit);
    let v = values(&raw, query.policy);
    let w = &query.policy.weights;
    let components = vec![
        Component::Sobriety {
            weight: w.sobriety,
            value: v.sobriety,
            sober_years: (f64::from(raw.sober_days) / 365.25 * 10.0).floor() / 10.0,
        },
        Component::Availability {
            weight: w.availability,
            value: v.availability,
            shared_hours: raw.shared_hours,
            seeker_hours: raw.seeker_hours,
        },
        Component::Preferences {
            weight: w.preferences,
            value: v.preferences,
            met: raw.preferences_met,
            asked: raw.preferences_asked,
        },
        Component::Distance {
            weight: w.distance,
            value: v.distance,
            band: fit.km.map(DistanceBand::of),
        },
        Component::Load {
            weight: w.load,
            value: v.load,
            sponsees: raw.load,
            capacity: raw.capacity,
        },
    ];
    Explanation {
        score: failed.is_empty().then(|| combine(&v, query.policy)),
        components,
        filters_passed: passed,
        filters_failed: failed,
    }
}
