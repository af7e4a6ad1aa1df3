//! Hours of the week in UTC, so that people in different time zones can be compared.
//!
//! Availability is written in local time; matching converts it for the coming week, one
//! UTC hour at a time, so daylight-saving changes, zones across the date line and
//! half-hour zones come out right for that week. A UTC hour counts as free when the
//! local hour it starts in is free (in a +05:30 zone, 12:00 UTC is free when 17:00-18:00
//! local is).

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

use crate::domain::values::WeeklyAvailability;

/// A set of UTC hours of the week; hour 0 is Monday 00:00-01:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct HourSet(pub [u64; 3]);

impl HourSet {
    pub fn set(&mut self, slot: usize) {
        self.0[slot / 64] |= 1 << (slot % 64);
    }

    pub fn contains(&self, slot: usize) -> bool {
        slot < 168 && self.0[slot / 64] & (1 << (slot % 64)) != 0
    }

    pub fn count(&self) -> u32 {
        self.0[0].count_ones() + self.0[1].count_ones() + self.0[2].count_ones()
    }

    #[inline]
    pub fn overlap(&self, other: &HourSet) -> u32 {
        (self.0[0] & other.0[0]).count_ones()
            + (self.0[1] & other.0[1]).count_ones()
            + (self.0[2] & other.0[2]).count_ones()
    }

    fn union(&mut self, other: &HourSet) {
        for (word, theirs) in self.0.iter_mut().zip(other.0) {
            *word |= theirs;
        }
    }
}

/// The start of the hour containing `now`: the week matched is the 168 hours from it.
pub fn week_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now)
}

fn hour_of_week(weekday_from_monday: u32, hour: u32) -> usize {
    (weekday_from_monday * 24 + hour) as usize
}

/// How one time zone's local hours fall in UTC during one week: local slot -> UTC slots
/// (none for an hour skipped by a DST change, two for an hour that repeats).
#[derive(Debug, Clone)]
pub struct ZoneWeek {
    utc_of_local: Box<[HourSet; 168]>,
}

impl ZoneWeek {
    pub fn new(zone: Tz, week_start: DateTime<Utc>) -> Self {
        let mut utc_of_local = Box::new([HourSet::default(); 168]);
        for offset in 0..168 {
            let utc = week_start + TimeDelta::hours(offset);
            let local = utc.with_timezone(&zone);
            let utc_slot = hour_of_week(utc.weekday().num_days_from_monday(), utc.hour());
            let local_slot = hour_of_week(local.weekday().num_days_from_monday(), local.hour());
            utc_of_local[local_slot].set(utc_slot);
        }
        Self { utc_of_local }
    }

    pub fn to_utc(&self, local: &WeeklyAvailability) -> HourSet {
        let mut utc = HourSet::default();
        for (index, mut word) in local.words().into_iter().enumerate() {
            while word != 0 {
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                if let Some(hours) = self.utc_of_local.get(index * 64 + bit) {
                    utc.union(hours);
                }
            }
        }
        utc
    }
}

/// Zone conversions for one week, computed once per zone and shared.
#[derive(Debug, Default)]
pub struct ZoneCache {
    week_start: Option<DateTime<Utc>>,
    zones: std::collections::HashMap<Tz, ZoneWeek>,
}

impl ZoneCache {
    pub fn new(week_start: DateTime<Utc>) -> Self {
        Self {
            week_start: Some(week_start),
            zones: Default::default(),
        }
    }

    pub fn to_utc(&mut self, zone: Tz, local: &WeeklyAvailability) -> HourSet {
        let start = *self
            .week_start
            .get_or_insert_with(|| week_start(Utc::now()));
        self.zones
            .entry(zone)
            .or_insert_with(|| ZoneWeek::new(zone, start))
            .to_utc(local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::{AvailabilityInput, Day};
    use chrono::TimeZone;

    fn local(days: &[(Day, &[u8])]) -> WeeklyAvailability {
        let input: AvailabilityInput = days
            .iter()
            .map(|(d, h)| (d.name().to_owned(), h.to_vec()))
            .collect();
        WeeklyAvailability::parse(input).unwrap()
    }

    fn utc_slots(set: &HourSet) -> Vec<usize> {
        (0..168).filter(|s| set.contains(*s)).collect()
    }

    fn start(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn chicago_evening_is_next_day_in_utc_and_shifts_with_dst() {
        let monday_six_pm = local(&[(Day::Mon, &[18])]);
        // January: CST, UTC-6 -> Tuesday 00:00 UTC.
        let winter = ZoneWeek::new(chrono_tz::America::Chicago, start(2026, 1, 5));
        assert_eq!(utc_slots(&winter.to_utc(&monday_six_pm)), [24]);
        // July: CDT, UTC-5 -> Monday 23:00 UTC.
        let summer = ZoneWeek::new(chrono_tz::America::Chicago, start(2026, 7, 6));
        assert_eq!(utc_slots(&summer.to_utc(&monday_six_pm)), [23]);
    }

    #[test]
    fn a_week_spanning_the_dst_change_uses_each_days_offset() {
        // US DST began Sunday 2026-03-08 at 02:00 local.
        let week = ZoneWeek::new(chrono_tz::America::New_York, start(2026, 3, 2));
        let every_day_nine = local(&[(Day::Sat, &[9]), (Day::Sun, &[9])]);
        // Saturday 09:00 EST = 14:00 UTC; Sunday 09:00 EDT = 13:00 UTC.
        assert_eq!(
            utc_slots(&week.to_utc(&every_day_nine)),
            [5 * 24 + 14, 6 * 24 + 13]
        );
        // 02:00 on the change day does not exist locally.
        let skipped = local(&[(Day::Sun, &[2])]);
        assert_eq!(week.to_utc(&skipped).count(), 0);
    }

    #[test]
    fn a_repeated_hour_at_the_autumn_change_counts_twice() {
        // EU DST ended Sunday 2026-10-25 at 03:00 local (01:00 UTC) in Berlin.
        let week = ZoneWeek::new(chrono_tz::Europe::Berlin, start(2026, 10, 19));
        let two_am = local(&[(Day::Sun, &[2])]);
        assert_eq!(utc_slots(&week.to_utc(&two_am)), [6 * 24, 6 * 24 + 1]);
    }

    #[test]
    fn zones_across_the_date_line_and_half_hour_zones() {
        let monday_nine = local(&[(Day::Mon, &[9])]);
        // Auckland in January is UTC+13: Monday 09:00 local is Sunday 20:00 UTC.
        let auckland = ZoneWeek::new(chrono_tz::Pacific::Auckland, start(2026, 1, 5));
        assert_eq!(utc_slots(&auckland.to_utc(&monday_nine)), [6 * 24 + 20]);
        // Kiritimati is UTC+14.
        let kiritimati = ZoneWeek::new(chrono_tz::Pacific::Kiritimati, start(2026, 1, 5));
        assert_eq!(utc_slots(&kiritimati.to_utc(&monday_nine)), [6 * 24 + 19]);
        // Kolkata is UTC+05:30: 03:00 UTC starts at 08:30 local (hour 8), 04:00 UTC at 09:30.
        let kolkata = ZoneWeek::new(chrono_tz::Asia::Kolkata, start(2026, 1, 5));
        assert_eq!(utc_slots(&kolkata.to_utc(&monday_nine)), [4]);
        // UTC itself is the identity.
        let utc = ZoneWeek::new(chrono_tz::UTC, start(2026, 1, 5));
        assert_eq!(utc_slots(&utc.to_utc(&monday_nine)), [9]);
    }

    #[test]
    fn conversion_preserves_hours_outside_dst_changes() {
        let many = local(&[(Day::Mon, &[0, 1, 2, 22, 23]), (Day::Sun, &[0, 23])]);
        for zone in [
            chrono_tz::Asia::Tokyo,
            chrono_tz::America::Los_Angeles,
            chrono_tz::Asia::Kathmandu,
        ] {
            let week = ZoneWeek::new(zone, start(2026, 5, 11));
            assert_eq!(week.to_utc(&many).count(), many.hours(), "{zone}");
        }
    }

    #[test]
    fn overlap_counts_shared_hours() {
        let mut a = HourSet::default();
        let mut b = HourSet::default();
        for s in [0, 63, 64, 130, 167] {
            a.set(s);
        }
        for s in [63, 64, 100, 167] {
            b.set(s);
        }
        assert_eq!(a.overlap(&b), 3);
        assert_eq!(HourSet::default().overlap(&a), 0);
    }
}
