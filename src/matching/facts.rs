//! What matching knows of each side, in compact form: bit sets and small numbers that
//! the reference scorer and the rank index read alike, so both compute the same scores.

use chrono::NaiveDate;

use super::hours::HourSet;
use crate::domain::values::{AgeBand, Attribute, Fellowship, Gender, GenderRule, LanguageCode};

/// Bit per [`Fellowship`], in declaration order.
pub fn fellowship_bit(fellowship: Fellowship) -> u16 {
    1 << fellowship as u16
}

/// The fellowships a set of [`fellowship_bit`]s stands for, in declaration order (the
/// order a stored, sorted list has).
pub fn fellowships_of(set: u16) -> Vec<Fellowship> {
    Fellowship::ALL
        .into_iter()
        .filter(|f| set & fellowship_bit(*f) != 0)
        .collect()
}

/// Bit per [`Attribute`], in declaration order (eight of them: one byte).
pub fn attribute_bit(attribute: Attribute) -> u8 {
    1 << attribute as u8
}

pub fn gender_bit(gender: Gender) -> u8 {
    1 << gender as u8
}

pub fn age_band_bit(band: AgeBand) -> u8 {
    1 << band as u8
}

pub fn bits<T: Copy, B: std::ops::BitOr<Output = B> + Default>(
    items: &[T],
    bit: impl Fn(T) -> B,
) -> B {
    items
        .iter()
        .fold(B::default(), |set, item| set | bit(*item))
}

/// Meeting modes as bits.
pub const PHONE: u8 = 1;
pub const VIDEO: u8 = 2;
pub const IN_PERSON: u8 = 4;
pub const REMOTE: u8 = PHONE | VIDEO;

/// The genders a rule accepts, given the gender of the person it belongs to.
pub fn accepted_genders(rule: &GenderRule, own: Gender) -> u8 {
    match rule {
        GenderRule::SameGender => gender_bit(own),
        GenderRule::AnyGender => {
            gender_bit(Gender::Woman) | gender_bit(Gender::Man) | gender_bit(Gender::NonBinary)
        }
        GenderRule::Listed { genders } => bits(genders, gender_bit),
    }
}

/// Where someone meets in person, stored as the index stores it: single-precision
/// degrees and the radius in tenths of a kilometre, rounded down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub latitude: f32,
    pub longitude: f32,
    pub radius_dm: u16,
}

impl Area {
    pub fn new(latitude: f64, longitude: f64, radius_km: f64) -> Self {
        Self {
            latitude: latitude as f32,
            longitude: longitude as f32,
            // Down, never up: nobody is offered a pair further away than they said (the
            // small nudge keeps 2.3 km, 22.999... tenths in binary, at 23).
            radius_dm: (radius_km * 10.0 + 1e-9)
                .floor()
                .clamp(0.0, f64::from(u16::MAX)) as u16,
        }
    }

    pub fn radius_km(&self) -> f64 {
        f64::from(self.radius_dm) / 10.0
    }
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: &Area, b: &Area) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (lat1, lat2) = (
        f64::from(a.latitude).to_radians(),
        f64::from(b.latitude).to_radians(),
    );
    let d_lat = lat2 - lat1;
    let d_lon = (f64::from(b.longitude) - f64::from(a.longitude)).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Days since 1935-06-10, the founding of the first fellowship; sobriety starts later.
pub fn day_number(date: NaiveDate) -> u16 {
    let epoch = NaiveDate::from_ymd_opt(1935, 6, 10).unwrap_or(NaiveDate::MIN);
    u16::try_from((date - epoch).num_days().max(0)).unwrap_or(u16::MAX)
}

#[derive(Debug, Clone, PartialEq)]
pub struct SponsorFacts {
    pub id: uuid::Uuid,
    pub active: bool,
    pub fellowships: u16,
    pub languages: Vec<LanguageCode>,
    pub gender: Gender,
    /// Genders the sponsor sponsors.
    pub accepts: u8,
    pub age_band: Option<AgeBand>,
    pub attributes: u8,
    pub modes: u8,
    pub area: Option<Area>,
    /// [`day_number`] of the sobriety date.
    pub sober_since: u16,
    pub capacity: u8,
    /// Slots held: matches the sponsor said yes to, from then until they end.
    pub load: u8,
    pub hours: HourSet,
}

/// Soft preferences: they raise a score, never exclude.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Preferences {
    pub attributes: u8,
    pub age_bands: u8,
    pub modes: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeekerFacts {
    pub fellowships: u16,
    pub languages: Vec<LanguageCode>,
    pub gender: Gender,
    /// Genders the seeker accepts as a sponsor.
    pub accepts: u8,
    /// Attributes a sponsor must have.
    pub needs: u8,
    pub modes: u8,
    pub area: Option<Area>,
    pub hours: HourSet,
    pub preferences: Preferences,
}

impl SponsorFacts {
    pub fn from_profile(
        id: uuid::Uuid,
        profile: &crate::domain::sponsor::SponsorProfile,
        load: u8,
        zones: &mut super::hours::ZoneCache,
    ) -> Self {
        use crate::domain::sponsor::SponsorStatus;
        Self {
            id,
            active: profile.status == SponsorStatus::Active,
            fellowships: bits(&profile.fellowships, fellowship_bit),
            languages: profile.languages.clone(),
            gender: profile.gender,
            accepts: accepted_genders(&profile.sponsors, profile.gender),
            age_band: profile.age_band,
            attributes: bits(&profile.attributes, attribute_bit),
            modes: meeting_modes(&profile.meeting),
            area: profile
                .meeting
                .in_person
                .map(|a| Area::new(a.center.latitude, a.center.longitude, a.radius_km)),
            sober_since: day_number(profile.sobriety_date.date()),
            capacity: profile.capacity.get(),
            load,
            hours: zones.to_utc(profile.time_zone.tz(), &profile.availability),
        }
    }
}

impl SeekerFacts {
    pub fn from_profile(
        profile: &crate::domain::seeker::SeekerProfile,
        zones: &mut super::hours::ZoneCache,
    ) -> Self {
        let p = &profile.preferences;
        Self {
            fellowships: bits(&profile.fellowships, fellowship_bit),
            languages: profile.languages.clone(),
            gender: profile.gender,
            accepts: accepted_genders(&profile.gender_preference, profile.gender),
            needs: bits(&profile.needs, attribute_bit),
            modes: meeting_modes(&profile.meeting),
            area: profile
                .meeting
                .in_person
                .map(|a| Area::new(a.center.latitude, a.center.longitude, a.radius_km)),
            hours: zones.to_utc(profile.time_zone.tz(), &profile.availability),
            preferences: Preferences::of(p),
        }
    }
}

impl Preferences {
    pub fn of(preferences: &crate::domain::seeker::SoftPreferences) -> Self {
        use crate::domain::values::MeetingMode;
        Self {
            attributes: bits(&preferences.attributes, attribute_bit),
            age_bands: bits(&preferences.age_bands, age_band_bit),
            modes: bits(&preferences.meeting_modes, |m| match m {
                MeetingMode::Phone => PHONE,
                MeetingMode::Video => VIDEO,
                MeetingMode::InPerson => IN_PERSON,
            }),
        }
    }
}

fn meeting_modes(meeting: &crate::domain::values::Meeting) -> u8 {
    modes(meeting.phone, meeting.video, meeting.in_person.is_some())
}

/// Meeting modes as bits.
pub fn modes(phone: bool, video: bool, in_person: bool) -> u8 {
    [(phone, PHONE), (video, VIDEO), (in_person, IN_PERSON)]
        .into_iter()
        .filter(|(on, _)| *on)
        .fold(0, |set, (_, bit)| set | bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_great_circle_kilometres() {
        let chicago = Area::new(41.8781, -87.6298, 10.0);
        let evanston = Area::new(42.0451, -87.6877, 10.0);
        let d = distance_km(&chicago, &evanston);
        assert!((18.0..20.0).contains(&d), "{d}");
        assert_eq!(distance_km(&chicago, &chicago), 0.0);
        // Across the antimeridian: Fiji to Samoa is about 1,150 km, not 40,000.
        let fiji = Area::new(-18.1248, 178.4501, 1.0);
        let samoa = Area::new(-13.8333, -171.7667, 1.0);
        let d = distance_km(&fiji, &samoa);
        assert!((1_100.0..1_250.0).contains(&d), "{d}");
    }

    #[test]
    fn gender_rules_become_sets() {
        assert_eq!(
            accepted_genders(&GenderRule::SameGender, Gender::Man),
            gender_bit(Gender::Man)
        );
        assert_eq!(accepted_genders(&GenderRule::AnyGender, Gender::Man), 0b111);
        let listed = GenderRule::Listed {
            genders: vec![Gender::Woman, Gender::NonBinary],
        };
        assert_eq!(accepted_genders(&listed, Gender::Man), 0b101);
    }

    #[test]
    fn every_attribute_and_fellowship_has_its_own_bit() {
        assert_eq!(
            attribute_bit(Attribute::JusticeInvolvedExperience),
            0b1000_0000
        );
        assert_eq!(fellowship_bit(Fellowship::CelebrateRecovery), 1 << 10);
    }
}
