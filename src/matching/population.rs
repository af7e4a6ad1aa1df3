//! A synthetic population: sponsors and seekers with realistic mixes of fellowships,
//! languages, time zones, availability, places, capacities and sobriety, from a seed, so
//! benchmarks and demos are repeatable. Nothing here is about a real person.

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::seeker::{SeekerProfileInput, SoftPreferences};
use crate::domain::sponsor::{SponsorProfileInput, SponsorStatus};
use crate::domain::values::{
    AgeBand, Attribute, AvailabilityInput, ContactSpec, Fellowship, Gender, GenderRule,
    InPersonAreaSpec, MeetingMode, MeetingSpec,
};

/// Cities the population lives around: (time zone, latitude, longitude, weight).
const CITIES: [(&str, f64, f64, u32); 12] = [
    ("America/New_York", 40.71, -74.01, 30),
    ("America/Chicago", 41.88, -87.63, 20),
    ("America/Denver", 39.74, -104.99, 7),
    ("America/Phoenix", 33.45, -112.07, 4),
    ("America/Los_Angeles", 34.05, -118.24, 22),
    ("America/Anchorage", 61.22, -149.90, 1),
    ("Pacific/Honolulu", 21.31, -157.86, 1),
    ("Europe/London", 51.51, -0.13, 5),
    ("Europe/Berlin", 52.52, 13.40, 3),
    ("Asia/Kolkata", 19.08, 72.88, 2),
    ("Australia/Sydney", -33.87, 151.21, 3),
    ("Pacific/Auckland", -36.85, 174.76, 2),
];

const FELLOWSHIPS: [(Fellowship, u32); 11] = [
    (Fellowship::Aa, 50),
    (Fellowship::Na, 22),
    (Fellowship::Ca, 5),
    (Fellowship::Cma, 4),
    (Fellowship::Ma, 2),
    (Fellowship::Ha, 1),
    (Fellowship::Smart, 7),
    (Fellowship::RefugeRecovery, 3),
    (Fellowship::RecoveryDharma, 2),
    (Fellowship::LifeRing, 2),
    (Fellowship::CelebrateRecovery, 2),
];

const SECOND_LANGUAGES: [(&str, u32); 14] = [
    ("es", 60),
    ("fr", 5),
    ("pt", 5),
    ("zh", 5),
    ("vi", 4),
    ("tl", 4),
    ("ko", 3),
    ("ar", 3),
    ("ru", 3),
    ("de", 2),
    ("pl", 2),
    ("hi", 2),
    ("ht", 1),
    ("so", 1),
];

const ATTRIBUTES: [(Attribute, f64); 8] = [
    (Attribute::SupportsMat, 0.45),
    (Attribute::LgbtqAffirming, 0.35),
    (Attribute::Secular, 0.2),
    (Attribute::FaithBased, 0.25),
    (Attribute::TraumaInformed, 0.2),
    (Attribute::Veteran, 0.08),
    (Attribute::ParentingExperience, 0.25),
    (Attribute::JusticeInvolvedExperience, 0.1),
];

const AGE_BANDS: [AgeBand; 5] = [
    AgeBand::From18To29,
    AgeBand::From30To39,
    AgeBand::From40To49,
    AgeBand::From50To59,
    AgeBand::From60,
];

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (item, weight) in items {
        if pick < *weight {
            return *item;
        }
        pick -= weight;
    }
    items[0].0
}

/// Deterministic generator of profiles.
pub struct Population {
    rng: StdRng,
    today: NaiveDate,
}

/// A generated sponsor: the profile as the API would receive it, and their current load.
pub struct SyntheticSponsor {
    pub id: uuid::Uuid,
    pub profile: SponsorProfileInput,
    pub load: u8,
}

impl Population {
    pub fn new(seed: u64, today: NaiveDate) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            today,
        }
    }

    fn gender(&mut self) -> Gender {
        weighted(
            &mut self.rng,
            &[
                (Gender::Woman, 46),
                (Gender::Man, 49),
                (Gender::NonBinary, 5),
            ],
        )
    }

    fn city(&mut self) -> (&'static str, f64, f64) {
        let index = weighted(
            &mut self.rng,
            &CITIES
                .iter()
                .enumerate()
                .map(|(i, c)| (i, c.3))
                .collect::<Vec<_>>(),
        );
        let (zone, lat, lon, _) = CITIES[index];
        (zone, lat, lon)
    }

    fn languages(&mut self) -> Vec<String> {
        let mut languages = Vec::new();
        if self.rng.gen_bool(0.92) {
            languages.push("en".to_owned());
        }
        if languages.is_empty() || self.rng.gen_bool(0.22) {
            languages.push(weighted(&mut self.rng, &SECOND_LANGUAGES).to_owned());
        }
        languages
    }

    /// Evenings on weekdays and mornings at weekends, in blocks of one to three hours.
    fn availability(&mut self, blocks: std::ops::RangeInclusive<usize>) -> AvailabilityInput {
        let mut days = AvailabilityInput::new();
        let count = self.rng.gen_range(blocks);
        for _ in 0..count {
            let day = self.rng.gen_range(0..7usize);
            let start: u8 = if day < 5 {
                self.rng.gen_range(6..22)
            } else {
                self.rng.gen_range(7..20)
            };
            let length = self.rng.gen_range(1..=3u8);
            let name = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day];
            let hours = days.entry(name.to_owned()).or_default();
            for hour in start..(start + length).min(24) {
                if !hours.contains(&hour) {
                    hours.push(hour);
                }
            }
        }
        days
    }

    fn meeting(&mut self, lat: f64, lon: f64, in_person_share: f64) -> MeetingSpec {
        let in_person = self.rng.gen_bool(in_person_share);
        let phone = self.rng.gen_bool(0.75);
        let video = self.rng.gen_bool(0.6) || (!phone && !in_person);
        MeetingSpec {
            phone,
            video,
            in_person: in_person.then(|| InPersonAreaSpec {
                // About ±30 km around the city centre.
                latitude: lat + self.rng.gen_range(-0.27..0.27),
                longitude: lon + self.rng.gen_range(-0.35..0.35),
                radius_km: f64::from(self.rng.gen_range(5..=50u32)),
            }),
        }
    }

    pub fn sponsor(&mut self) -> SyntheticSponsor {
        let (zone, lat, lon) = self.city();
        let mut fellowships = vec![weighted(&mut self.rng, &FELLOWSHIPS)];
        if self.rng.gen_bool(0.2) {
            fellowships.push(weighted(&mut self.rng, &FELLOWSHIPS));
        }
        // Sobriety from one to about forty years, most under ten.
        let years: f64 = 1.0 + (-self.rng.gen_range(0.001f64..1.0).ln()) * 6.0;
        let sober_days = (years.min(40.0) * 365.25) as u64;
        let sobriety_date = self
            .today
            .checked_sub_days(Days::new(sober_days))
            .unwrap_or(self.today);
        let sponsors = match self.rng.gen_range(0..100) {
            0..80 => GenderRule::SameGender,
            80..95 => GenderRule::AnyGender,
            _ => GenderRule::Listed {
                genders: vec![Gender::Woman, Gender::NonBinary],
            },
        };
        let attributes = ATTRIBUTES
            .iter()
            .filter(|(_, p)| self.rng.gen_bool(*p))
            .map(|(a, _)| *a)
            .collect();
        let capacity = weighted(
            &mut self.rng,
            &[(1u32, 15), (2, 35), (3, 30), (4, 12), (5, 8)],
        );
        let load = self.rng.gen_range(0..=capacity) as u8;
        let gender = self.gender();
        let id = uuid::Uuid::from_u128(self.rng.r#gen());
        SyntheticSponsor {
            id,
            load,
            profile: SponsorProfileInput {
                alias: format!("Sponsor {}", &id.simple().to_string()[..6]),
                fellowships,
                sobriety_date,
                gender,
                sponsors,
                age_band: self
                    .rng
                    .gen_bool(0.9)
                    .then(|| AGE_BANDS[self.rng.gen_range(0..5)]),
                languages: self.languages(),
                time_zone: zone.to_owned(),
                availability: self.availability(3..=8),
                meeting: self.meeting(lat, lon, 0.6),
                capacity,
                attributes,
                status: if self.rng.gen_bool(0.9) {
                    SponsorStatus::Active
                } else {
                    SponsorStatus::Paused
                },
                contact: ContactSpec {
                    email: Some(format!("sponsor-{}@example.org", id.simple())),
                    phone: None,
                },
            },
        }
    }

    pub fn seeker(&mut self) -> SeekerProfileInput {
        let (zone, lat, lon) = self.city();
        let mut needs = Vec::new();
        if self.rng.gen_bool(0.3) {
            needs.push(Attribute::SupportsMat);
        }
        if self.rng.gen_bool(0.08) {
            needs.push(Attribute::LgbtqAffirming);
        }
        let preferences = SoftPreferences {
            attributes: ATTRIBUTES
                .iter()
                .filter(|(_, p)| self.rng.gen_bool(p / 3.0))
                .map(|(a, _)| *a)
                .collect(),
            age_bands: if self.rng.gen_bool(0.3) {
                vec![AGE_BANDS[self.rng.gen_range(0..5)]]
            } else {
                Vec::new()
            },
            meeting_modes: if self.rng.gen_bool(0.4) {
                vec![
                    [
                        MeetingMode::InPerson,
                        MeetingMode::Phone,
                        MeetingMode::Video,
                    ][self.rng.gen_range(0..3)],
                ]
            } else {
                Vec::new()
            },
        };
        let gender = self.gender();
        SeekerProfileInput {
            alias: format!("Seeker {}", self.rng.gen_range(1000..9999)),
            fellowships: vec![weighted(&mut self.rng, &FELLOWSHIPS)],
            gender,
            gender_preference: if self.rng.gen_bool(0.85) {
                GenderRule::SameGender
            } else {
                GenderRule::AnyGender
            },
            languages: self.languages(),
            time_zone: zone.to_owned(),
            availability: self.availability(2..=6),
            meeting: self.meeting(lat, lon, 0.5),
            needs,
            preferences,
            discharge_date: self
                .rng
                .gen_bool(0.5)
                .then(|| self.today + Days::new(self.rng.gen_range(0..30))),
            internal_notes: None,
            contact: ContactSpec {
                email: None,
                phone: Some(format!("+1312555{:04}", self.rng.gen_range(0..10_000))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seeker::SeekerProfile;
    use crate::domain::sponsor::SponsorProfile;

    #[test]
    fn the_same_seed_gives_the_same_population_and_every_profile_is_valid() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let mut a = Population::new(7, today);
        let mut b = Population::new(7, today);
        for _ in 0..500 {
            let (x, y) = (a.sponsor(), b.sponsor());
            assert_eq!(x.id, y.id);
            assert_eq!(x.profile.alias, y.profile.alias);
            assert!(x.load <= x.profile.capacity as u8);
            SponsorProfile::parse(x.profile, today, 5).expect("valid sponsor");
            SeekerProfile::parse(a.seeker(), today).expect("valid seeker");
            b.seeker();
        }
    }
}
