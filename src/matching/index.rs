//! The rank index: the sponsor pool in compact columns (struct of arrays), scanned
//! filter column by filter column, scoring only the sponsors that pass, keeping the best
//! `k` in a bounded heap. Slots are kept in sponsor-id order, so scanning in slot order
//! breaks ties by id and walks the seeker's exclusions in step.
//!
//! Per sponsor: the scan's columns (flags, genders, fellowships, languages, sobriety,
//! attributes: 11 B), then what only the sponsors passing them need, packed in one
//! 32-byte [`Row`] (availability, latitude, radius, load, capacity) so that each costs
//! one cache miss rather than one per column; longitude 4 B and id 16 B: 63 bytes.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use uuid::Uuid;

use super::facts::{Area, IN_PERSON, REMOTE, SeekerFacts, SponsorFacts, age_band_bit, gender_bit};
use super::hours::HourSet;
use super::policy::Weights;
use super::score::{
    MeetingFit, Query, Raw, combine, meeting_fit, preference_counts, shares_language, usable_modes,
    values,
};
use crate::domain::values::{AgeBand, Gender, LanguageCode};

const ACTIVE: u8 = 1;
const MODES_SHIFT: u8 = 1; // three bits: phone, video, in person
const AGE_SHIFT: u8 = 4; // three bits: 0 = none, else band + 1
/// Slots scanned before the survivors' rows are read: 1,024 keeps the survivor list on
/// the stack and the scanned columns in the first-level cache.
const CHUNK: usize = 1024;
/// Load below capacity, kept with the flags so the scan reads one column for both.
const FREE_SLOT: u8 = 1 << 7;
const GENDER_SHIFT: u8 = 3; // in the gender column, above the three "accepts" bits
/// Languages past the 31 most common get this bit and an entry in `rare_languages`.
const RARE_LANGUAGE: u32 = 1 << 31;

#[derive(Debug, Default)]
pub struct RankIndex {
    ids: Vec<Uuid>,
    flags: Vec<u8>,
    genders: Vec<u8>,
    fellowships: Vec<u16>,
    languages: Vec<u32>,
    attributes: Vec<u8>,
    sober_since: Vec<u16>,
    rows: Vec<Row>,
    longitude: Vec<f32>,
    language_bits: HashMap<LanguageCode, u32>,
    rare_languages: HashMap<Uuid, Vec<LanguageCode>>,
}

/// What the bound and the score read of a sponsor past the scan, in one half cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct Row {
    hours: HourSet,
    /// NaN when the sponsor does not meet in person.
    latitude: f32,
    radius_dm: u16,
    load: u8,
    capacity: u8,
}

impl Row {
    fn of(s: &SponsorFacts) -> Self {
        let area = s.area.unwrap_or(Area {
            latitude: f32::NAN,
            longitude: f32::NAN,
            radius_dm: 0,
        });
        Self {
            hours: s.hours,
            latitude: area.latitude,
            radius_dm: area.radius_dm,
            load: s.load,
            capacity: s.capacity,
        }
    }
}

/// A heap entry; "greater" means worse, so the heap's top is the weakest kept.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    score: f64,
    slot: u32,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.slot.cmp(&other.slot))
    }
}

impl RankIndex {
    /// Of several entries for one id, the last counts, as with [`upsert`](Self::upsert).
    pub fn build(mut sponsors: Vec<SponsorFacts>) -> Self {
        sponsors.reverse();
        sponsors.sort_by_key(|s| s.id); // stable: the last entry of an id now comes first
        sponsors.dedup_by_key(|s| s.id);
        let mut index = Self::default();
        // The most common languages get the 31 bits.
        let mut counts: HashMap<LanguageCode, usize> = HashMap::new();
        for s in &sponsors {
            for l in &s.languages {
                *counts.entry(*l).or_default() += 1;
            }
        }
        let mut common: Vec<(LanguageCode, usize)> = counts.into_iter().collect();
        common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (bit, (language, _)) in common.into_iter().take(31).enumerate() {
            index.language_bits.insert(language, 1 << bit);
        }
        index.reserve(sponsors.len());
        for sponsor in &sponsors {
            index.push(sponsor);
        }
        index
    }

    fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.flags.reserve(n);
        self.genders.reserve(n);
        self.fellowships.reserve(n);
        self.languages.reserve(n);
        self.attributes.reserve(n);
        self.sober_since.reserve(n);
        self.rows.reserve(n);
        self.longitude.reserve(n);
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Heap bytes held by the columns, as allocated.
    pub fn column_bytes(&self) -> usize {
        fn bytes<T>(column: &Vec<T>) -> usize {
            column.capacity() * size_of::<T>()
        }
        bytes(&self.ids)
            + bytes(&self.flags)
            + bytes(&self.genders)
            + bytes(&self.fellowships)
            + bytes(&self.languages)
            + bytes(&self.attributes)
            + bytes(&self.sober_since)
            + bytes(&self.rows)
            + bytes(&self.longitude)
    }

    fn language_mask(&mut self, id: Uuid, languages: &[LanguageCode]) -> u32 {
        let mut mask = 0;
        let mut rare = Vec::new();
        for language in languages {
            let next = self.language_bits.len();
            match self.language_bits.get(language) {
                Some(bit) => mask |= bit,
                None if next < 31 => {
                    let bit = 1 << next;
                    self.language_bits.insert(*language, bit);
                    mask |= bit;
                }
                None => rare.push(*language),
            }
        }
        if rare.is_empty() {
            self.rare_languages.remove(&id);
        } else {
            mask |= RARE_LANGUAGE;
            self.rare_languages.insert(id, rare);
        }
        mask
    }

    fn encode(&mut self, s: &SponsorFacts) -> [u8; 2] {
        let age = s.age_band.map_or(0, |b| b as u8 + 1);
        let free = if s.load < s.capacity { FREE_SLOT } else { 0 };
        let flags = u8::from(s.active) | (s.modes & 0b111) << MODES_SHIFT | age << AGE_SHIFT | free;
        let genders = (s.accepts & 0b111) | gender_bit(s.gender) << GENDER_SHIFT;
        [flags, genders]
    }

    fn push(&mut self, s: &SponsorFacts) {
        let [flags, genders] = self.encode(s);
        let languages = self.language_mask(s.id, &s.languages);
        self.ids.push(s.id);
        self.flags.push(flags);
        self.genders.push(genders);
        self.fellowships.push(s.fellowships);
        self.languages.push(languages);
        self.attributes.push(s.attributes);
        self.sober_since.push(s.sober_since);
        self.rows.push(Row::of(s));
        self.longitude
            .push(s.area.map_or(f32::NAN, |a| a.longitude));
    }

    fn slot(&self, id: Uuid) -> Result<usize, usize> {
        self.ids.binary_search(&id)
    }

    /// Adds or replaces a sponsor. Ids are time-ordered, so a new one almost always
    /// lands at the end; an out-of-order one is inserted in place.
    pub fn upsert(&mut self, s: &SponsorFacts) {
        match self.slot(s.id) {
            Ok(slot) => {
                let [flags, genders] = self.encode(s);
                self.languages[slot] = self.language_mask(s.id, &s.languages);
                self.flags[slot] = flags;
                self.genders[slot] = genders;
                self.fellowships[slot] = s.fellowships;
                self.attributes[slot] = s.attributes;
                self.sober_since[slot] = s.sober_since;
                self.rows[slot] = Row::of(s);
                self.longitude[slot] = s.area.map_or(f32::NAN, |a| a.longitude);
            }
            Err(slot) if slot == self.len() => self.push(s),
            Err(slot) => {
                self.push(s);
                // Rotate the new last element into its place in every column.
                let last = self.len() - 1;
                self.ids[slot..=last].rotate_right(1);
                self.flags[slot..=last].rotate_right(1);
                self.genders[slot..=last].rotate_right(1);
                self.fellowships[slot..=last].rotate_right(1);
                self.languages[slot..=last].rotate_right(1);
                self.attributes[slot..=last].rotate_right(1);
                self.sober_since[slot..=last].rotate_right(1);
                self.rows[slot..=last].rotate_right(1);
                self.longitude[slot..=last].rotate_right(1);
            }
        }
    }

    /// Slots the sponsor has free.
    pub fn free_slots(&self, id: Uuid) -> Option<u8> {
        let row = &self.rows[self.slot(id).ok()?];
        Some(row.capacity.saturating_sub(row.load))
    }

    /// The sponsor as matching sees them, rebuilt from the columns.
    pub fn facts(&self, id: Uuid) -> Option<SponsorFacts> {
        let slot = self.slot(id).ok()?;
        let flags = self.flags[slot];
        let genders = self.genders[slot];
        let languages = self.languages[slot];
        let mut list: Vec<LanguageCode> = self
            .language_bits
            .iter()
            .filter(|(_, bit)| languages & **bit != 0)
            .map(|(l, _)| *l)
            .collect();
        if let Some(rare) = self.rare_languages.get(&id) {
            list.extend(rare);
        }
        list.sort();
        let age = flags >> AGE_SHIFT & 0b111;
        let row = &self.rows[slot];
        Some(SponsorFacts {
            id,
            active: flags & ACTIVE != 0,
            fellowships: self.fellowships[slot],
            languages: list,
            gender: [Gender::Woman, Gender::Man, Gender::NonBinary]
                .into_iter()
                .find(|g| gender_bit(*g) << GENDER_SHIFT == genders & (0b111 << GENDER_SHIFT))
                .unwrap_or(Gender::Woman),
            accepts: genders & 0b111,
            age_band: [
                AgeBand::From18To29,
                AgeBand::From30To39,
                AgeBand::From40To49,
                AgeBand::From50To59,
                AgeBand::From60,
            ]
            .into_iter()
            .find(|b| *b as u8 + 1 == age),
            attributes: self.attributes[slot],
            modes: flags >> MODES_SHIFT & 0b111,
            area: (!row.latitude.is_nan()).then(|| Area {
                latitude: row.latitude,
                longitude: self.longitude[slot],
                radius_dm: row.radius_dm,
            }),
            sober_since: self.sober_since[slot],
            capacity: row.capacity,
            load: row.load,
            hours: row.hours,
        })
    }

    /// The best `k` candidates for the query, best first, ties broken by sponsor id.
    pub fn top_k(&self, query: &Query, k: usize) -> Vec<(Uuid, f64)> {
        if k == 0 {
            return Vec::new();
        }
        let plan = Plan::new(self, query.seeker, query);
        let mut best = scan(self, query, &plan, k).into_vec();
        best.sort();
        best.into_iter()
            .map(|r| (self.ids[r.slot as usize], r.score))
            .collect()
    }

    /// A sponsor past the cheap filters: the remaining filters, then the score, kept if
    /// among the best `k` so far.
    #[inline]
    fn consider(
        &self,
        slot: usize,
        query: &Query,
        plan: &Plan,
        excluded: &mut std::iter::Peekable<std::slice::Iter<'_, Uuid>>,
        heap: &mut BinaryHeap<Ranked>,
        k: usize,
    ) {
        let seeker = query.seeker;
        if !plan.language_ok(self, slot) {
            return;
        }
        // Exclusions are sorted like the slots: advance in step. (Ids are read only
        // when there are exclusions: they are the widest column.)
        if excluded.peek().is_some() {
            let id = self.ids[slot];
            while excluded.next_if(|e| **e < id).is_some() {}
            if excluded.peek().is_some_and(|e| **e == id) {
                return;
            }
        }
        let sponsor_modes = self.flags[slot] >> MODES_SHIFT & 0b111;
        let row = &self.rows[slot];
        let both_in_person = seeker.modes & sponsor_modes & IN_PERSON != 0
            && seeker.area.is_some()
            && !row.latitude.is_nan();
        let remote = seeker.modes & sponsor_modes & REMOTE != 0;
        if !remote && !both_in_person {
            return;
        }
        if let Some(weakest) = heap.peek().filter(|_| heap.len() == k) {
            if !plan.may_reach(
                self,
                slot,
                seeker.hours.overlap(&row.hours) as u8,
                weakest.score,
            ) {
                return;
            }
            // Tighter, before the distance's trigonometry: every component exact but
            // distance, taken as zero kilometres when both meet in person (so in person
            // also counts as a usable mode for preferences).
            let nearest = MeetingFit {
                remote,
                both_in_person,
                km: both_in_person.then_some(0.0),
                in_person: both_in_person,
                reach_km: 1.0,
            };
            let raw = self.raw(slot, query, plan, sponsor_modes, nearest);
            if combine(&values(&raw, query.policy), query.policy) + 1e-9 < weakest.score {
                return;
            }
        }
        let sponsor_area = (!row.latitude.is_nan()).then(|| Area {
            latitude: row.latitude,
            longitude: self.longitude[slot],
            radius_dm: row.radius_dm,
        });
        let fit = meeting_fit(
            seeker.modes,
            seeker.area.as_ref(),
            sponsor_modes,
            sponsor_area.as_ref(),
        );
        if !(fit.remote || fit.in_person) {
            return;
        }
        let score = combine(
            &values(
                &self.raw(slot, query, plan, sponsor_modes, fit),
                query.policy,
            ),
            query.policy,
        );
        let entry = Ranked {
            score,
            slot: slot as u32,
        };
        if heap.len() < k {
            heap.push(entry);
        } else if let Some(mut weakest) = heap.peek_mut()
            && entry < *weakest
        {
            *weakest = entry;
        }
    }
}

impl RankIndex {
    /// The raw values of a pair, from the columns.
    #[inline]
    fn raw(
        &self,
        slot: usize,
        query: &Query,
        plan: &Plan,
        sponsor_modes: u8,
        fit: MeetingFit,
    ) -> Raw {
        let seeker = query.seeker;
        let row = &self.rows[slot];
        let age = self.flags[slot] >> AGE_SHIFT & 0b111;
        let age_bit = if age == 0 {
            0
        } else {
            age_band_bit_of(age - 1)
        };
        let (preferences_met, preferences_asked) = preference_counts(
            seeker,
            self.attributes[slot],
            age_bit,
            usable_modes(seeker.modes, sponsor_modes, &fit),
        );
        Raw {
            sober_days: u32::from(query.today.saturating_sub(self.sober_since[slot])),
            shared_hours: seeker.hours.overlap(&row.hours),
            seeker_hours: plan.seeker_hours,
            preferences_met,
            preferences_asked,
            distance_applies: seeker.modes & IN_PERSON != 0,
            meeting: fit,
            load: row.load,
            capacity: row.capacity,
        }
    }
}

fn age_band_bit_of(index: u8) -> u8 {
    [
        AgeBand::From18To29,
        AgeBand::From30To39,
        AgeBand::From40To49,
        AgeBand::From50To59,
        AgeBand::From60,
    ]
    .get(usize::from(index))
    .map_or(0, |b| age_band_bit(*b))
}

/// The best `k` by a scan of every slot, compiled for the wider vector instructions the
/// processor may have (chosen at run time); the scan's loops are where they pay.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+avx+bmi1+bmi2+fma+lzcnt+popcnt",
    "x86_64+avx2+avx+bmi1+bmi2+fma+lzcnt+popcnt",
    "x86_64+sse4.2+popcnt",
))]
fn scan(index: &RankIndex, query: &Query, plan: &Plan, k: usize) -> BinaryHeap<Ranked> {
    let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
    let mut excluded = query.excluded.iter().peekable();
    // Slots past the scan, a chunk at a time, then those the bound keeps: the bound
    // pass is a tight loop with no branch on the rows it reads, so their cache misses
    // overlap instead of following one another.
    let mut survivors = [0u32; CHUNK];
    for chunk in (0..index.len()).step_by(CHUNK) {
        // The weakest kept only rises, so pruning by its value now is safe later.
        let weakest = match heap.peek() {
            Some(weakest) if heap.len() == k => weakest.score,
            _ => f64::NEG_INFINITY,
        };
        let mut found = 0;
        for start in (chunk..(chunk + CHUNK).min(index.len())).step_by(64) {
            let mut passing = plan.passing(index, start);
            while passing != 0 {
                survivors[found] = (start + passing.trailing_zeros() as usize) as u32;
                found += 1;
                passing &= passing - 1;
            }
        }
        // The rows' shared hours first, in a loop of independent iterations, so that
        // many of their cache misses are under way at once (six times as many as when
        // the bound's branches and divisions sit between them); the bound pass then
        // reads the rest of each row from the cache.
        let mut shared = [0u8; CHUNK];
        for (shared, &slot) in shared.iter_mut().zip(&survivors[..found]) {
            *shared = plan.hours.overlap(&index.rows[slot as usize].hours) as u8;
        }
        let mut kept = 0;
        for i in 0..found {
            let slot = survivors[i] as usize;
            survivors[kept] = slot as u32;
            kept += usize::from(plan.may_reach(index, slot, shared[i], weakest));
        }
        for &slot in &survivors[..kept] {
            index.consider(slot as usize, query, plan, &mut excluded, &mut heap, k);
        }
    }
    heap
}

/// A query turned into column tests.
struct Plan {
    fellowships: u16,
    languages: u32,
    /// The seeker's languages no bit stands for.
    rare: Vec<LanguageCode>,
    gender: u8,
    accepts: u8,
    needs: u8,
    /// Meeting modes in the flags' position that could make a pair: the shared remote
    /// ones, and in person when the seeker gave an area.
    modes: u8,
    /// In person in the flags' position, when the seeker meets in person and gave an area.
    in_person: u8,
    /// Sober since this day or earlier: the minimum sobriety as of today. `None` when
    /// the minimum reaches back before the first day the index can hold.
    sober_by: Option<u16>,
    hours: HourSet,
    seeker_hours: u32,
    seeker_hours_f64: f64,
    weights: Weights,
    /// The weights of the components that apply to this seeker, and their sum.
    preference_weight: f64,
    distance_weight: f64,
    total_weight: f64,
}

impl Plan {
    fn new(index: &RankIndex, seeker: &SeekerFacts, query: &Query) -> Self {
        let mut languages = 0;
        let mut rare = Vec::new();
        for language in &seeker.languages {
            match index.language_bits.get(language) {
                Some(bit) => languages |= bit,
                None => rare.push(*language),
            }
        }
        if !rare.is_empty() {
            languages |= RARE_LANGUAGE;
        }
        let w = &query.policy.weights;
        let in_person = if seeker.area.is_some() {
            (seeker.modes & IN_PERSON) << MODES_SHIFT
        } else {
            0
        };
        let p = &seeker.preferences;
        let asks = p.attributes | p.modes != 0 || p.age_bands != 0;
        let preference_weight = if asks { w.preferences } else { 0.0 };
        let distance_weight = if seeker.modes & IN_PERSON != 0 {
            w.distance
        } else {
            0.0
        };
        Self {
            fellowships: seeker.fellowships,
            languages,
            rare,
            gender: gender_bit(seeker.gender),
            accepts: seeker.accepts,
            needs: seeker.needs,
            modes: (seeker.modes & REMOTE) << MODES_SHIFT | in_person,
            in_person,
            // As the filter reads it: days sober, counted from today and never negative,
            // at least the minimum. With no minimum, everyone passes.
            sober_by: match query.policy.min_sobriety_days {
                0 => Some(u16::MAX),
                min => u32::from(query.today)
                    .checked_sub(min)
                    .and_then(|day| u16::try_from(day).ok()),
            },
            seeker_hours_f64: f64::from(seeker.hours.count().max(1)),
            preference_weight,
            distance_weight,
            total_weight: w.sobriety
                + w.availability
                + w.load
                + preference_weight
                + distance_weight,
            hours: seeker.hours,
            seeker_hours: seeker.hours.count(),
            weights: *w,
        }
    }

    /// The cheap filters for up to 64 slots from `start`, one small column each, as a
    /// bit mask of the slots that pass. Branch-free, so that unpredictable filters cost
    /// no mispredictions and the loop can use vector instructions.
    #[inline(always)]
    fn passing(&self, index: &RankIndex, start: usize) -> u64 {
        let Some(sober_by) = self.sober_by else {
            return 0;
        };
        let end = (start + 64).min(index.len());
        let flags = &index.flags[start..end];
        let len = flags.len();
        let fellowships = &index.fellowships[start..end];
        let languages = &index.languages[start..end];
        let genders = &index.genders[start..end];
        let sober_since = &index.sober_since[start..end];
        let attributes = &index.attributes[start..end];
        let accepted_gender = self.accepts << GENDER_SHIFT;
        let mut mask = 0u64;
        for j in 0..len {
            let pass = (flags[j] & (ACTIVE | FREE_SLOT) == ACTIVE | FREE_SLOT)
                & (flags[j] & self.modes != 0)
                & (fellowships[j] & self.fellowships != 0)
                & (languages[j] & self.languages != 0)
                & (genders[j] & self.gender != 0)
                & (accepted_gender & genders[j] != 0)
                & (sober_since[j] <= sober_by)
                & (self.needs & !attributes[j] == 0);
            mask |= u64::from(pass) << j;
        }
        mask
    }

    /// Whether the sponsor's best possible score reaches `weakest`, given the hours they
    /// share with the seeker: the bound takes sobriety, preferences and distance at their
    /// best and costs two divisions. The margin absorbs rounding, so pruning never changes an answer.
    #[inline(always)]
    fn may_reach(&self, index: &RankIndex, slot: usize, shared_hours: u8, weakest: f64) -> bool {
        let row = &index.rows[slot];
        let shared = f64::from(shared_hours);
        let load = f64::from(row.load.min(row.capacity));
        let in_person = index.flags[slot] & self.in_person != 0 && !row.latitude.is_nan();
        let best = self.weights.sobriety
            + self.weights.availability * shared / self.seeker_hours_f64
            + self.weights.load * (1.0 - load / f64::from(row.capacity.max(1)))
            + self.preference_weight
            + if in_person { self.distance_weight } else { 0.0 };
        self.total_weight <= 0.0 || best / self.total_weight + 1e-9 >= weakest
    }

    /// A match on the rare-language bit alone needs the side table.
    fn language_ok(&self, index: &RankIndex, slot: usize) -> bool {
        let shared = index.languages[slot] & self.languages;
        if shared & !RARE_LANGUAGE != 0 {
            return true;
        }
        index
            .rare_languages
            .get(&index.ids[slot])
            .is_some_and(|theirs| shares_language(&self.rare, theirs))
    }
}
