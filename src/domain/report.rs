//! Program reports: aggregates over a date range, with small counts withheld so that no
//! one can be recognised in them. Pure: the store reads the facts, the caller passes the
//! clock.
//!
//! Suppression: every count from 1 to k - 1 (k the minimum cell size) is withheld.
//! Where counts add up to a shown total, a single withheld count could be recovered by
//! subtraction, so the next smallest count of its group is withheld too (complementary
//! suppression). Funnel stages are nested sets rather than parts of a sum: a stage is
//! withheld when it differs from a shown stage containing it by 1 to k - 1, since that
//! difference counts people too. Zero is shown: it describes nobody.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{FieldError, FieldErrors};
use super::lifecycle::{Action, Reason, ReasonCategory};
use super::values::{Attribute, date_schema};

/// The smallest count a report shows, besides zero: counts from 1 to one less are
/// withheld. CMS publishes no cell under 11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u64")]
pub struct MinimumCellSize(u64);

impl MinimumCellSize {
    /// 1 would withhold nothing; beyond 1,000 nothing but zero would be shown.
    pub fn parse(k: u64) -> Result<Self, String> {
        if (2..=1000).contains(&k) {
            Ok(Self(k))
        } else {
            Err(format!(
                "the minimum cell size must be 2 to 1000 (it is {k})"
            ))
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for MinimumCellSize {
    type Error = String;

    fn try_from(k: u64) -> Result<Self, String> {
        Self::parse(k)
    }
}

/// The days a report covers, both included, in UTC: at most [`Self::MAX_DAYS`], not
/// starting in the future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl ReportRange {
    /// A missing `from` is this many days before `to`, `to` included.
    pub const DEFAULT_DAYS: u64 = 90;
    /// Three years.
    pub const MAX_DAYS: i64 = 1096;

    /// `from` and `to` as `YYYY-MM-DD`; `to` defaults to today, `from` to the 90 days
    /// ending with `to`.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let from = errors.take("from", from.map(parse_date).transpose());
        let to = errors.take("to", to.map(parse_date).transpose());
        let (Some(from), Some(to)) = (from, to) else {
            return Err(errors);
        };
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to - Days::new(Self::DEFAULT_DAYS - 1));
        if from > today {
            errors.push(FieldError::new(
                "from",
                "in_future",
                "must not be after today",
            ));
        } else if from > to {
            errors.push(FieldError::new(
                "to",
                "before_from",
                "must not be before from",
            ));
        } else if (to - from).num_days() + 1 > Self::MAX_DAYS {
            errors.push(FieldError::new(
                "from",
                "range_too_long",
                format!("a report covers at most {} days", Self::MAX_DAYS),
            ));
        }
        if errors.is_empty() {
            Ok(Self { from, to })
        } else {
            Err(errors)
        }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The schema of `from` as [`ReportRange::parse`] takes it when alone: a date of
    /// the [`ReportRange::MAX_DAYS`] ending today. Given with `to`, it must also not be
    /// after `to`, nor more than that many days before it, which a parameter's schema
    /// cannot say.
    pub fn from_schema(today: NaiveDate) -> utoipa::openapi::schema::Object {
        let first = today - Days::new(Self::MAX_DAYS as u64 - 1);
        date_schema(first, today)
            .description(Some(format!(
                "First day, YYYY-MM-DD (UTC), not after today; default {} days before `to`. \
                 At most {} days before `to`, and not after it.",
                Self::DEFAULT_DAYS - 1,
                Self::MAX_DAYS - 1
            )))
            .build()
    }

    /// The schema of `to` as [`ReportRange::parse`] takes it when alone: any date up to
    /// the last whose default `from` is not after today.
    pub fn to_schema(today: NaiveDate) -> utoipa::openapi::schema::Object {
        let last = today + Days::new(Self::DEFAULT_DAYS - 1);
        date_schema(FIRST_DAY, last)
            .description(Some(
                "Last day, included, YYYY-MM-DD (UTC); default today. Not before `from`."
                    .to_owned(),
            ))
            .build()
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    pub fn start(&self) -> NaiveDateTime {
        self.from.and_time(NaiveTime::MIN)
    }

    /// The first instant after the range.
    pub fn end(&self) -> NaiveDateTime {
        (self.to + Days::new(1)).and_time(NaiveTime::MIN)
    }

    /// Facts up to here count: the range's end, or `now` if sooner.
    pub fn as_of(&self, now: NaiveDateTime) -> NaiveDateTime {
        self.end().min(now)
    }
}

/// The first day a report's range may name.
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");

/// A day from 1970 to 9999, so that a day after it is a day too.
fn parse_date(text: &str) -> Result<NaiveDate, FieldError> {
    let date = crate::domain::values::strict_date(text)
        .ok_or_else(|| FieldError::new("", "invalid_date", "must be a date as YYYY-MM-DD"))?;
    if (FIRST_DAY.year()..=9999).contains(&date.year()) {
        Ok(date)
    } else {
        Err(FieldError::new(
            "",
            "out_of_range",
            "must be a day from 1970 to 9999",
        ))
    }
}

/// One step of a match's history, as a report needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFact {
    pub action: Action,
    pub reason: Option<Reason>,
    pub at: NaiveDateTime,
}

/// A match: when it was requested and what happened to it since.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchFact {
    pub created_at: NaiveDateTime,
    pub steps: Vec<StepFact>,
}

/// What a program's report is made from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportFacts {
    /// The program's matches requested in the range or with a step in it.
    pub matches: Vec<MatchFact>,
    /// Slots held now by each of the program's sponsors.
    pub sponsor_loads: Vec<u32>,
    /// The needs of each seeker of the program waiting now.
    pub waiting_needs: Vec<Vec<Attribute>>,
}

/// A count as published: shown, or withheld (`count` null) because it is small or
/// would let a small one be worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Count {
    pub count: Option<u64>,
    pub suppressed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgramReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Steps after this instant are not counted: the end of `to`, or the moment the
    /// report was made if that is sooner.
    pub as_of: DateTime<Utc>,
    /// Counts from 1 to one less than this are withheld.
    pub minimum_cell_size: u64,
    pub funnel: Funnel,
    pub time_to_match: TimeToMatch,
    /// Sponsors' and seekers' declines and case managers' vetoes in the range.
    pub declines: Reasons,
    /// Sponsorships ended (not completed) in the range.
    pub ends: Reasons,
    /// The program's sponsors now, by the slots they hold.
    pub sponsor_load: SponsorLoad,
    /// The program's seekers without a match under way now, by need.
    pub waiting_seekers: WaitingSeekers,
}

/// What became of the requests made in the range, as of `as_of`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funnel {
    pub requests: Count,
    /// Approved or vetoed by a case manager.
    pub reviewed: Count,
    pub sponsor_accepted: Count,
    /// Both sides said yes.
    pub agreed: Count,
    pub introduced: Count,
    pub active_at_30_days: Retention,
    pub active_at_90_days: Retention,
}

/// Introduced pairings still going (or completed) some days after the introduction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Retention {
    /// Introduced long enough before `as_of` to tell: the denominator.
    pub introduced_long_enough: Count,
    /// Of those, not ended by that day.
    pub still_going: Count,
}

/// From request to both sides' yes, over the matches agreed in the range. Withheld when
/// fewer than the minimum cell size go into it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeToMatch {
    pub matches: Count,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub suppressed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reasons {
    pub total: Count,
    /// Fit, safety and service, in that order.
    pub by_category: Vec<CategoryCount>,
    /// Every reason, in the order of its category.
    pub by_reason: Vec<ReasonCount>,
    pub no_reason_given: Count,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryCount {
    pub category: ReasonCategory,
    #[serde(flatten)]
    pub count: Count,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonCount {
    pub reason: Reason,
    pub category: ReasonCategory,
    #[serde(flatten)]
    pub count: Count,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SponsorLoad {
    pub sponsors: Count,
    /// Sponsors holding 0, 1, 2, 3, 4, and 5 or more slots (accepted requests and
    /// pairings under way).
    pub by_sponsees: Vec<LoadCount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoadCount {
    /// `0` to `4`, or `5+`.
    pub sponsees: String,
    #[serde(flatten)]
    pub count: Count,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitingSeekers {
    pub seekers: Count,
    /// A seeker with several needs counts under each.
    pub by_need: Vec<NeedCount>,
    pub no_stated_need: Count,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedCount {
    pub need: Attribute,
    #[serde(flatten)]
    pub count: Count,
}

/// The report on `facts` for `range`, as of `now` (or the range's end if sooner).
pub fn build(
    facts: &ReportFacts,
    range: ReportRange,
    now: NaiveDateTime,
    k: MinimumCellSize,
) -> ProgramReport {
    let as_of = range.as_of(now);
    let window = |at: NaiveDateTime| range.start() <= at && at < as_of;
    let steps = || {
        facts
            .matches
            .iter()
            .flat_map(|m| m.steps.iter().map(move |step| (m, step)))
            .filter(|(_, step)| window(step.at))
    };
    let declines = steps()
        .filter(|(_, s)| {
            matches!(
                s.action,
                Action::SponsorDecline | Action::SeekerDecline | Action::Veto
            )
        })
        .map(|(_, s)| s.reason);
    let ends = steps()
        .filter(|(_, s)| s.action == Action::End)
        .map(|(_, s)| s.reason);
    let hours_to_agree: Vec<f64> = steps()
        .filter(|(_, s)| s.action == Action::SeekerAccept)
        .map(|(m, s)| (s.at - m.created_at).num_seconds() as f64 / 3600.0)
        .collect();
    ProgramReport {
        from: range.from,
        to: range.to,
        as_of: as_of.and_utc(),
        minimum_cell_size: k.get(),
        funnel: funnel(&facts.matches, range.start(), as_of, k),
        time_to_match: time_to_match(hours_to_agree, k),
        declines: reasons(declines, k),
        ends: reasons(ends, k),
        sponsor_load: sponsor_load(&facts.sponsor_loads, k),
        waiting_seekers: waiting_seekers(&facts.waiting_needs, k),
    }
}

/// A count before publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tally {
    value: u64,
    hidden: bool,
}

impl Tally {
    /// Withheld when from 1 to k - 1.
    fn new(value: u64, k: MinimumCellSize) -> Self {
        Self {
            value,
            hidden: (1..k.get()).contains(&value),
        }
    }

    fn count(self) -> Count {
        Count {
            count: (!self.hidden).then_some(self.value),
            suppressed: self.hidden,
        }
    }
}

/// A count and the counts it is the sum of (or, for overlapping parts such as needs, at
/// most the sum of: protected as if it were the sum, which only withholds more).
#[derive(Debug, Clone)]
struct Node {
    tally: Tally,
    parts: Vec<Node>,
}

impl Node {
    fn leaf(value: u64, k: MinimumCellSize) -> Self {
        Self {
            tally: Tally::new(value, k),
            parts: Vec::new(),
        }
    }

    fn sum(parts: Vec<Node>, k: MinimumCellSize) -> Self {
        let value = parts.iter().map(|p| p.tally.value).sum();
        Self {
            tally: Tally::new(value, k),
            parts,
        }
    }

    /// Complementary suppression, from the top down, so that no withheld count follows
    /// from the shown ones: under a shown count, none or at least two parts are
    /// withheld; under a withheld one, at least one part is (else adding up the parts
    /// would give it). The extra part withheld is the smallest one not zero.
    fn protect(&mut self) {
        let withheld = self.parts.iter().filter(|p| p.tally.hidden).count();
        let short = if self.tally.hidden {
            withheld == 0
        } else {
            withheld == 1
        };
        if short
            && let Some(next) = self
                .parts
                .iter_mut()
                .filter(|p| !p.tally.hidden && p.tally.value > 0)
                .min_by_key(|p| p.tally.value)
        {
            next.tally.hidden = true;
        }
        for part in &mut self.parts {
            part.protect();
        }
    }
}

/// Nested counts: `within[i]` names the earlier counts whose sets contain set `i`. A
/// count is withheld when it differs by 1 to k - 1 from a shown count containing it,
/// directly or through others; so any two shown counts of one chain differ by 0 or at
/// least k, and a withheld one lies between shown ones at least k apart (or equal, and
/// then it would have been shown).
fn protect_nested(tallies: &mut [Tally], within: &[&[usize]], k: MinimumCellSize) {
    let mut containing: Vec<Vec<usize>> = Vec::with_capacity(tallies.len());
    for (at, direct) in within.iter().enumerate() {
        let mut all: Vec<usize> = direct.to_vec();
        for &outer in *direct {
            all.extend_from_slice(&containing[outer]);
        }
        all.sort_unstable();
        all.dedup();
        let value = tallies[at].value;
        if all.iter().any(|&outer| {
            let outer = tallies[outer];
            !outer.hidden && (1..k.get()).contains(&outer.value.abs_diff(value))
        }) {
            tallies[at].hidden = true;
        }
        containing.push(all);
    }
}

fn funnel(
    matches: &[MatchFact],
    start: NaiveDateTime,
    as_of: NaiveDateTime,
    k: MinimumCellSize,
) -> Funnel {
    // The stages, in an order where a set comes before the sets within it.
    const REQUESTS: usize = 0;
    const REVIEWED: usize = 1;
    const ACCEPTED: usize = 2;
    const AGREED: usize = 3;
    const INTRODUCED: usize = 4;
    const LONG_ENOUGH_30: usize = 5;
    const GOING_30: usize = 6;
    const LONG_ENOUGH_90: usize = 7;
    const GOING_90: usize = 8;
    let mut values = [0u64; 9];
    for m in matches
        .iter()
        .filter(|m| start <= m.created_at && m.created_at < as_of)
    {
        let first = |actions: &[Action]| {
            m.steps
                .iter()
                .filter(|s| s.at < as_of && actions.contains(&s.action))
                .map(|s| s.at)
                .min()
        };
        let mut reached = |stage: usize, yes: bool| values[stage] += u64::from(yes);
        reached(REQUESTS, true);
        reached(REVIEWED, first(&[Action::Approve, Action::Veto]).is_some());
        reached(ACCEPTED, first(&[Action::SponsorAccept]).is_some());
        reached(AGREED, first(&[Action::SeekerAccept]).is_some());
        let Some(introduced) = first(&[Action::Introduce]) else {
            continue;
        };
        reached(INTRODUCED, true);
        let ended = first(&[Action::End]);
        for (long_enough, going, days) in [
            (LONG_ENOUGH_30, GOING_30, 30),
            (LONG_ENOUGH_90, GOING_90, 90),
        ] {
            let day = introduced + TimeDelta::days(days);
            if day <= as_of {
                reached(long_enough, true);
                reached(going, ended.is_none_or(|end| end > day));
            }
        }
    }
    let mut tallies = values.map(|value| Tally::new(value, k));
    let within: [&[usize]; 9] = [
        &[],
        &[REQUESTS],
        &[REQUESTS],
        &[ACCEPTED],
        &[AGREED],
        &[INTRODUCED],
        &[LONG_ENOUGH_30],
        &[LONG_ENOUGH_30],
        &[GOING_30, LONG_ENOUGH_90],
    ];
    protect_nested(&mut tallies, &within, k);
    let count = |stage: usize| tallies[stage].count();
    Funnel {
        requests: count(REQUESTS),
        reviewed: count(REVIEWED),
        sponsor_accepted: count(ACCEPTED),
        agreed: count(AGREED),
        introduced: count(INTRODUCED),
        active_at_30_days: Retention {
            introduced_long_enough: count(LONG_ENOUGH_30),
            still_going: count(GOING_30),
        },
        active_at_90_days: Retention {
            introduced_long_enough: count(LONG_ENOUGH_90),
            still_going: count(GOING_90),
        },
    }
}

fn time_to_match(mut hours: Vec<f64>, k: MinimumCellSize) -> TimeToMatch {
    let matches = Tally::new(hours.len() as u64, k);
    let shown = hours.len() as u64 >= k.get();
    hours.sort_by(f64::total_cmp);
    let stat = |p: f64| shown.then(|| round_tenth(percentile(&hours, p)));
    TimeToMatch {
        matches: matches.count(),
        median_hours: stat(0.5),
        p90_hours: stat(0.9),
        suppressed: matches.hidden,
    }
}

/// The `p` percentile of sorted, non-empty values, interpolated between neighbours as a
/// spreadsheet's PERCENTILE.INC does (so the median of an even count is the mean of the
/// middle two).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    sorted[below] + (sorted[above] - sorted[below]) * (rank - below as f64)
}

fn round_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

const CATEGORIES: [ReasonCategory; 3] = [
    ReasonCategory::Fit,
    ReasonCategory::Safety,
    ReasonCategory::Service,
];

fn reasons(given: impl Iterator<Item = Option<Reason>>, k: MinimumCellSize) -> Reasons {
    let given: Vec<Option<Reason>> = given.collect();
    let times = |reason: Option<Reason>| given.iter().filter(|g| **g == reason).count() as u64;
    let per_reason: Vec<u64> = Reason::ALL
        .iter()
        .map(|&reason| times(Some(reason)))
        .collect();
    let none = times(None);
    let of = |category: ReasonCategory| {
        Reason::ALL
            .iter()
            .zip(per_reason.iter().copied())
            .filter(move |(reason, _)| reason.category() == category)
    };
    let mut parts: Vec<Node> = CATEGORIES
        .iter()
        .map(|&c| Node::sum(of(c).map(|(_, n)| Node::leaf(n, k)).collect(), k))
        .collect();
    parts.push(Node::leaf(none, k));
    let mut total = Node::sum(parts, k);
    total.protect();
    let mut by_reason = Vec::new();
    for (&category, node) in CATEGORIES.iter().zip(&total.parts) {
        for ((&reason, _), part) in of(category).zip(&node.parts) {
            by_reason.push(ReasonCount {
                reason,
                category,
                count: part.tally.count(),
            });
        }
    }
    Reasons {
        total: total.tally.count(),
        by_category: CATEGORIES
            .iter()
            .zip(&total.parts)
            .map(|(&category, node)| CategoryCount {
                category,
                count: node.tally.count(),
            })
            .collect(),
        by_reason,
        no_reason_given: total.parts[CATEGORIES.len()].tally.count(),
    }
}

/// Load buckets: 0 to 4 slots, then 5 or more.
const LOAD_BUCKETS: usize = 6;

fn sponsor_load(loads: &[u32], k: MinimumCellSize) -> SponsorLoad {
    let mut buckets = [0u64; LOAD_BUCKETS];
    for &load in loads {
        buckets[(load as usize).min(LOAD_BUCKETS - 1)] += 1;
    }
    let mut sponsors = Node::sum(buckets.iter().map(|&n| Node::leaf(n, k)).collect(), k);
    sponsors.protect();
    SponsorLoad {
        sponsors: sponsors.tally.count(),
        by_sponsees: sponsors
            .parts
            .iter()
            .enumerate()
            .map(|(load, part)| LoadCount {
                sponsees: if load == LOAD_BUCKETS - 1 {
                    format!("{load}+")
                } else {
                    load.to_string()
                },
                count: part.tally.count(),
            })
            .collect(),
    }
}

fn waiting_seekers(needs: &[Vec<Attribute>], k: MinimumCellSize) -> WaitingSeekers {
    let with = |need: Attribute| needs.iter().filter(|n| n.contains(&need)).count() as u64;
    let none = needs.iter().filter(|n| n.is_empty()).count() as u64;
    let mut parts = vec![Node::leaf(none, k)];
    parts.extend(Attribute::ALL.iter().map(|&need| Node::leaf(with(need), k)));
    let mut seekers = Node {
        tally: Tally::new(needs.len() as u64, k),
        parts,
    };
    seekers.protect();
    WaitingSeekers {
        seekers: seekers.tally.count(),
        by_need: Attribute::ALL
            .iter()
            .zip(&seekers.parts[1..])
            .map(|(&need, part)| NeedCount {
                need,
                count: part.tally.count(),
            })
            .collect(),
        no_stated_need: seekers.parts[0].tally.count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(u64::from(d))
    }

    fn at(d: u32, hour: u32) -> NaiveDateTime {
        day(d).and_hms_opt(hour, 0, 0).unwrap()
    }

    fn k(value: u64) -> MinimumCellSize {
        MinimumCellSize::parse(value).unwrap()
    }

    fn step(action: Action, at: NaiveDateTime) -> StepFact {
        StepFact {
            action,
            reason: None,
            at,
        }
    }

    fn range(from: u32, to: u32) -> ReportRange {
        ReportRange::parse(
            Some(&day(from).to_string()),
            Some(&day(to).to_string()),
            day(1000),
        )
        .unwrap()
    }

    /// A match requested on `d`, taken through `actions` a day apart each.
    fn requested(d: u32, actions: &[Action]) -> MatchFact {
        MatchFact {
            created_at: at(d, 9),
            steps: actions
                .iter()
                .zip(1..)
                .map(|(&action, later)| step(action, at(d + later, 9)))
                .collect(),
        }
    }

    const INTRODUCED: [Action; 4] = [
        Action::Submit,
        Action::SponsorAccept,
        Action::SeekerAccept,
        Action::Introduce,
    ];

    fn shown(count: Count) -> Option<u64> {
        assert_eq!(count.suppressed, count.count.is_none());
        count.count
    }

    #[test]
    fn a_range_defaults_to_the_last_90_days_and_names_the_wrong_field() {
        let today = day(400);
        let default = ReportRange::parse(None, None, today).unwrap();
        assert_eq!((default.from(), default.to()), (day(311), today));
        let ending = ReportRange::parse(None, Some("2026-01-31"), today).unwrap();
        assert_eq!(ending.from(), NaiveDate::from_ymd_opt(2025, 11, 3).unwrap());
        let fields = |from: Option<&str>, to: Option<&str>| {
            ReportRange::parse(from, to, today)
                .unwrap_err()
                .into_vec()
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>()
        };
        let pair = |field: &str, code: &str| (field.to_owned(), code.to_owned());
        assert_eq!(
            fields(Some("2026-03-01"), Some("2026-02-01")),
            [pair("to", "before_from")]
        );
        assert_eq!(
            fields(Some("2022-01-01"), Some("2026-01-01")),
            [pair("from", "range_too_long")]
        );
        assert_eq!(
            fields(Some("1 March"), Some("2026-02-30")),
            [pair("from", "invalid_date"), pair("to", "invalid_date")]
        );
        assert_eq!(
            fields(Some("1969-12-31"), None),
            [pair("from", "out_of_range")]
        );
        assert_eq!(
            fields(Some("2027-03-01"), None),
            [pair("from", "in_future")]
        );
        let longest = ReportRange::parse(Some("2023-01-01"), Some("2025-12-31"), today);
        assert!(longest.is_ok(), "1,095 days is allowed");
    }

    #[test]
    fn the_minimum_cell_size_is_2_to_1000() {
        assert!(MinimumCellSize::parse(1).is_err());
        assert!(MinimumCellSize::parse(1001).is_err());
        assert_eq!(k(11).get(), 11);
    }

    #[test]
    fn the_funnel_follows_the_requests_of_the_range_to_their_outcome() {
        let mut matches = Vec::new();
        // Before the range: not a request of it, but its agreement on day 11 is.
        matches.push(requested(8, &INTRODUCED[..3]));
        for d in 10..12 {
            matches.push(requested(d, &[Action::Submit, Action::SponsorDecline]));
        }
        for d in 10..13 {
            matches.push(requested(d, &INTRODUCED));
        }
        // Introduced on days 14 and 15, ended on day 30: not going at 30 days.
        for d in 10..12 {
            let mut ended = requested(d, &INTRODUCED);
            ended.steps.push(step(Action::End, at(30, 9)));
            matches.push(ended);
        }
        // Requested on day 148: the sponsor's yes on day 150 is after the range.
        matches.push(requested(148, &INTRODUCED));
        let report = build(
            &ReportFacts {
                matches,
                ..ReportFacts::default()
            },
            range(10, 149),
            at(500, 0),
            k(2),
        );
        let funnel = &report.funnel;
        assert_eq!(shown(funnel.requests), Some(8));
        assert_eq!(shown(funnel.reviewed), Some(0));
        assert_eq!(shown(funnel.sponsor_accepted), Some(5));
        assert_eq!(shown(funnel.agreed), Some(5));
        assert_eq!(shown(funnel.introduced), Some(5));
        let thirty = &funnel.active_at_30_days;
        assert_eq!(shown(thirty.introduced_long_enough), Some(5));
        assert_eq!(shown(thirty.still_going), Some(3));
        // Introduced on days 14 to 16, so 90 days on is before the range's end.
        let ninety = &funnel.active_at_90_days;
        assert_eq!(shown(ninety.introduced_long_enough), Some(5));
        assert_eq!(shown(ninety.still_going), Some(3));
        // Agreed in the range: five of its requests and the one from before it.
        assert_eq!(shown(report.time_to_match.matches), Some(6));
        assert_eq!(report.as_of, at(150, 0).and_utc());
    }

    #[test]
    fn retention_counts_only_introductions_old_enough_to_tell() {
        let matches: Vec<MatchFact> = (0..4).map(|d| requested(d, &INTRODUCED)).collect();
        // Introduced on days 4 to 7; the report ends on day 40 (as of day 41).
        let report = build(
            &ReportFacts {
                matches,
                ..ReportFacts::default()
            },
            range(0, 40),
            at(500, 0),
            k(2),
        );
        let thirty = &report.funnel.active_at_30_days;
        assert_eq!(shown(thirty.introduced_long_enough), Some(4));
        assert_eq!(shown(thirty.still_going), Some(4));
        let ninety = &report.funnel.active_at_90_days;
        assert_eq!(shown(ninety.introduced_long_enough), Some(0));
        assert_eq!(shown(ninety.still_going), Some(0));
    }

    #[test]
    fn small_counts_and_small_differences_from_a_containing_stage_are_withheld() {
        // 12 requests, 11 accepted by the sponsor: the one not accepted would show.
        let mut matches: Vec<MatchFact> = (0..11)
            .map(|d| requested(d, &[Action::Submit, Action::SponsorAccept]))
            .collect();
        matches.push(requested(3, &[Action::Submit]));
        let report = build(
            &ReportFacts {
                matches,
                ..ReportFacts::default()
            },
            range(0, 60),
            at(500, 0),
            k(11),
        );
        assert_eq!(shown(report.funnel.requests), Some(12));
        assert_eq!(shown(report.funnel.sponsor_accepted), None);
        assert_eq!(shown(report.funnel.agreed), Some(0));
    }

    #[test]
    fn time_to_match_gives_the_median_and_p90_in_hours_or_nothing_below_k() {
        // Agreed 24, 48, ..., 240 hours after the request.
        let matches: Vec<MatchFact> = (1..=10)
            .map(|n| MatchFact {
                created_at: at(5, 0),
                steps: vec![step(Action::SeekerAccept, at(5 + n, 0))],
            })
            .collect();
        let facts = ReportFacts {
            matches,
            ..ReportFacts::default()
        };
        let report = build(&facts, range(0, 30), at(500, 0), k(10));
        let time = &report.time_to_match;
        assert_eq!(shown(time.matches), Some(10));
        assert_eq!(time.median_hours, Some(132.0));
        assert_eq!(time.p90_hours, Some(218.4));
        assert!(!time.suppressed);
        let small = build(&facts, range(0, 30), at(500, 0), k(11)).time_to_match;
        assert_eq!((small.median_hours, small.p90_hours), (None, None));
        assert!(small.suppressed && small.matches.suppressed);
    }

    #[test]
    fn percentiles_interpolate_as_a_spreadsheet_does() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(percentile(&[7.0], 0.9), 7.0);
        let tens: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((percentile(&tens, 0.9) - 9.1).abs() < 1e-12);
    }

    #[test]
    fn reasons_count_by_reason_and_category_with_the_next_smallest_withheld() {
        let mut given = vec![Some(Reason::ScheduleConflict); 4];
        given.extend([Some(Reason::NotAGoodFit); 5]);
        given.extend([Some(Reason::Harassment); 3]);
        given.extend([None; 12]);
        let reasons = reasons(given.into_iter(), k(4));
        assert_eq!(shown(reasons.total), Some(24));
        let category = |c: ReasonCategory| {
            let found = reasons.by_category.iter().find(|x| x.category == c);
            shown(found.unwrap().count)
        };
        // Safety (3) is withheld; fit (9) goes with it, as the next smallest not zero,
        // else 24 - 9 - 0 - 12 would give it away.
        assert_eq!(category(ReasonCategory::Safety), None);
        assert_eq!(category(ReasonCategory::Fit), None);
        assert_eq!(category(ReasonCategory::Service), Some(0));
        assert_eq!(shown(reasons.no_reason_given), Some(12));
        let reason = |r: Reason| {
            let found = reasons.by_reason.iter().find(|x| x.reason == r);
            shown(found.unwrap().count)
        };
        // Fit withheld with both its reasons shown would be 4 + 5: the smaller goes.
        assert_eq!(reason(Reason::ScheduleConflict), None);
        assert_eq!(reason(Reason::NotAGoodFit), Some(5));
        assert_eq!(reason(Reason::Harassment), None);
        assert_eq!(reason(Reason::Other), Some(0));
        assert_eq!(reasons.by_reason.len(), Reason::ALL.len());
    }

    #[test]
    fn sponsors_are_grouped_by_slots_held_and_waiting_seekers_by_need() {
        let mut loads = vec![0; 12];
        loads.extend([1; 3]);
        loads.extend([2; 11]);
        loads.extend([7; 2]);
        let mut needs = vec![vec![Attribute::SupportsMat]; 12];
        needs.extend(vec![vec![Attribute::SupportsMat, Attribute::Veteran]; 2]);
        needs.extend(vec![vec![]; 11]);
        let report = build(
            &ReportFacts {
                matches: Vec::new(),
                sponsor_loads: loads,
                waiting_needs: needs,
            },
            range(0, 10),
            at(500, 0),
            k(11),
        );
        let load = &report.sponsor_load;
        assert_eq!(shown(load.sponsors), Some(28));
        let by: Vec<(&str, Option<u64>)> = load
            .by_sponsees
            .iter()
            .map(|b| (b.sponsees.as_str(), shown(b.count)))
            .collect();
        assert_eq!(
            by,
            [
                ("0", Some(12)),
                ("1", None),
                ("2", Some(11)),
                ("3", Some(0)),
                ("4", Some(0)),
                ("5+", None)
            ]
        );
        let waiting = &report.waiting_seekers;
        assert_eq!(shown(waiting.seekers), Some(25));
        let need = |n: Attribute| {
            let found = waiting.by_need.iter().find(|x| x.need == n);
            shown(found.unwrap().count)
        };
        assert_eq!(need(Attribute::SupportsMat), Some(14));
        // The veterans (2) are withheld, and the next smallest (11 without needs) with
        // them.
        assert_eq!(need(Attribute::Veteran), None);
        assert_eq!(shown(waiting.no_stated_need), None);
        assert_eq!(waiting.by_need.len(), Attribute::ALL.len());
    }

    /// The rank of a matrix, by Gaussian elimination (entries are small integers).
    fn rank(mut rows: Vec<Vec<f64>>) -> usize {
        let columns = rows.first().map_or(0, Vec::len);
        let mut rank = 0;
        for column in 0..columns {
            let Some(pivot) = (rank..rows.len()).find(|&r| rows[r][column].abs() > 1e-9) else {
                continue;
            };
            rows.swap(rank, pivot);
            let pivot_row = rows[rank].clone();
            for (r, row) in rows.iter_mut().enumerate() {
                if r != rank && row[column].abs() > 1e-9 {
                    let factor = row[column] / pivot_row[column];
                    for (cell, pivot_cell) in row.iter_mut().zip(&pivot_row) {
                        *cell -= factor * pivot_cell;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    /// Withheld cells that the shown ones and `sums` (a cell equals the sum of others)
    /// pin down: a cell is pinned when the equations' rank over the withheld cells
    /// drops by one without its column.
    fn recoverable(hidden: &[bool], sums: &[(usize, Vec<usize>)]) -> Vec<usize> {
        let unknown: Vec<usize> = (0..hidden.len()).filter(|&i| hidden[i]).collect();
        let rows = |skip: Option<usize>| -> Vec<Vec<f64>> {
            sums.iter()
                .map(|(total, parts)| {
                    unknown
                        .iter()
                        .filter(|&&cell| Some(cell) != skip)
                        .map(|&cell| {
                            let mut coefficient = 0.0;
                            if cell == *total {
                                coefficient += 1.0;
                            }
                            if parts.contains(&cell) {
                                coefficient -= 1.0;
                            }
                            coefficient
                        })
                        .collect()
                })
                .collect()
        };
        let full = rank(rows(None));
        unknown
            .iter()
            .copied()
            .filter(|&cell| rank(rows(Some(cell))) + 1 == full)
            .collect()
    }

    /// A tree's cells in order, with each sum it states.
    fn flatten(node: &Node, cells: &mut Vec<Tally>, sums: &mut Vec<(usize, Vec<usize>)>) -> usize {
        let me = cells.len();
        cells.push(node.tally);
        let parts: Vec<usize> = node
            .parts
            .iter()
            .map(|part| flatten(part, cells, sums))
            .collect();
        if !parts.is_empty() {
            sums.push((me, parts));
        }
        me
    }

    fn tree() -> impl Strategy<Value = Vec<Vec<u64>>> {
        // Up to 5 groups of up to 5 leaves, counts skewed small.
        prop::collection::vec(
            prop::collection::vec(prop_oneof![Just(0u64), 0u64..8, 0u64..40], 0..5),
            1..5,
        )
    }

    fn every_count(value: &serde_json::Value, found: &mut Vec<(Option<u64>, bool)>) {
        match value {
            serde_json::Value::Object(fields) => {
                if let (Some(count), Some(serde_json::Value::Bool(suppressed))) =
                    (fields.get("count"), fields.get("suppressed"))
                {
                    found.push((count.as_u64(), *suppressed));
                }
                fields.values().for_each(|v| every_count(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| every_count(v, found)),
            _ => {}
        }
    }

    /// Random histories along the lifecycle's paths: requests over 125 days, each step
    /// up to 4 days after the last, an end up to 100 days after the introduction.
    fn facts() -> impl Strategy<Value = ReportFacts> {
        let history = (
            0u32..3000,
            0usize..7,
            prop::collection::vec(1u32..100, 6),
            0usize..14,
        );
        (
            prop::collection::vec(history, 0..150),
            prop::collection::vec(0u32..8, 0..40),
            prop::collection::vec(prop::collection::vec(0usize..8, 0..3), 0..40),
        )
            .prop_map(|(histories, sponsor_loads, needs)| ReportFacts {
                matches: histories
                    .into_iter()
                    .map(|(hour, path, gaps, reason)| {
                        let created_at = at(0, 0) + TimeDelta::hours(i64::from(hour));
                        let reason = Reason::ALL.get(reason).copied();
                        let actions: &[Action] = match path {
                            0 => &[Action::Submit],
                            1 => &[Action::Submit, Action::SponsorDecline],
                            2 => &[Action::Submit, Action::Veto],
                            3 => &[Action::Submit, Action::SponsorAccept, Action::SeekerDecline],
                            4 => &INTRODUCED,
                            5 => &[
                                Action::Submit,
                                Action::SponsorAccept,
                                Action::SeekerAccept,
                                Action::Introduce,
                                Action::End,
                            ],
                            _ => &[Action::Submit, Action::Approve, Action::SponsorAccept],
                        };
                        let mut when = created_at;
                        let steps = actions
                            .iter()
                            .zip(&gaps)
                            .map(|(&action, &gap)| {
                                let days = if action == Action::End { 24 } else { 1 };
                                when += TimeDelta::hours(i64::from(gap) * days);
                                StepFact {
                                    action,
                                    reason: reason.filter(|_| {
                                        matches!(
                                            action,
                                            Action::SponsorDecline
                                                | Action::SeekerDecline
                                                | Action::Veto
                                                | Action::End
                                        )
                                    }),
                                    at: when,
                                }
                            })
                            .collect();
                        MatchFact { created_at, steps }
                    })
                    .collect(),
                sponsor_loads,
                waiting_needs: needs
                    .into_iter()
                    .map(|n| n.into_iter().map(|i| Attribute::ALL[i]).collect())
                    .collect(),
            })
    }

    proptest! {
        #[test]
        fn no_withheld_count_of_a_tree_follows_from_the_shown_ones(
            groups in tree(),
            size in 2u64..12,
        ) {
            let size = k(size);
            let mut root = Node::sum(
                groups
                    .iter()
                    .map(|leaves| Node::sum(leaves.iter().map(|&n| Node::leaf(n, size)).collect(), size))
                    .collect(),
                size,
            );
            root.protect();
            let (mut cells, mut sums) = (Vec::new(), Vec::new());
            flatten(&root, &mut cells, &mut sums);
            let hidden: Vec<bool> = cells.iter().map(|c| c.hidden).collect();
            prop_assert_eq!(recoverable(&hidden, &sums), Vec::<usize>::new());
            for cell in cells {
                prop_assert!(cell.hidden || cell.value == 0 || cell.value >= size.get());
            }
        }

        #[test]
        fn no_withheld_reason_follows_from_the_shown_ones(
            given in prop::collection::vec(prop::option::of(0usize..13), 0..80),
            size in 2u64..12,
        ) {
            let reasons = reasons(given.into_iter().map(|g| g.map(|i| Reason::ALL[i])), k(size));
            // Cells: total, the categories, no reason given, then each reason.
            let mut hidden = vec![reasons.total.suppressed];
            hidden.extend(reasons.by_category.iter().map(|c| c.count.suppressed));
            hidden.push(reasons.no_reason_given.suppressed);
            let first_reason = hidden.len();
            hidden.extend(reasons.by_reason.iter().map(|r| r.count.suppressed));
            let mut sums = vec![(0, (1..=CATEGORIES.len() + 1).collect::<Vec<_>>())];
            for (at, &category) in CATEGORIES.iter().enumerate() {
                let parts = reasons
                    .by_reason
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.category == category)
                    .map(|(i, _)| first_reason + i)
                    .collect();
                sums.push((1 + at, parts));
            }
            prop_assert_eq!(recoverable(&hidden, &sums), Vec::<usize>::new());
        }

        #[test]
        fn every_shown_count_is_zero_or_at_least_k_and_nested_stages_differ_by_as_much(
            facts in facts(),
            size in 2u64..12,
            from in 0u32..100,
            days in 0u32..300,
        ) {
            let report = build(&facts, range(from, from + days), at(300, 0), k(size));
            let mut counts = Vec::new();
            every_count(&serde_json::to_value(&report).unwrap(), &mut counts);
            prop_assert!(counts.len() > 50);
            for (count, suppressed) in counts {
                match count {
                    Some(n) => prop_assert!(!suppressed && (n == 0 || n >= size)),
                    None => prop_assert!(suppressed),
                }
            }
            let f = &report.funnel;
            let (thirty, ninety) = (&f.active_at_30_days, &f.active_at_90_days);
            let chains = [
                vec![f.requests, f.reviewed],
                vec![f.requests, f.sponsor_accepted, f.agreed, f.introduced,
                     thirty.introduced_long_enough, thirty.still_going, ninety.still_going],
                vec![thirty.introduced_long_enough, ninety.introduced_long_enough,
                     ninety.still_going],
            ];
            for chain in chains {
                let shown: Vec<u64> = chain.iter().filter_map(|c| c.count).collect();
                for pair in shown.windows(2) {
                    prop_assert!(pair[0] >= pair[1]);
                    let gap = pair[0] - pair[1];
                    prop_assert!(gap == 0 || gap >= size, "{shown:?}");
                }
            }
            let time = &report.time_to_match;
            prop_assert_eq!(time.median_hours.is_some(), time.matches.count.unwrap_or(0) >= size);
        }
    }
}
