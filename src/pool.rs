//! The sponsor pool held in memory for ranking and for candidate lists: the rank index
//! and each sponsor's alias, built from the database at start, updated by the requests
//! that change sponsors, and following the change log so that changes made through
//! other instances arrive within the follow interval.
//!
//! The database stays the source of truth: the index proposes, the database disposes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::ids::UserId;
use crate::domain::values::Fellowship;
use crate::matching::facts::{SponsorFacts, fellowships_of};
use crate::matching::hours::{ZoneCache, week_start};
use crate::matching::index::RankIndex;
use crate::matching::score::Query;
use crate::store::{Db, StoreError, matching};

pub struct SponsorPool {
    index: RwLock<RankIndex>,
    /// What candidate lists call each sponsor, kept beside the index so that showing a
    /// list reads no sponsor rows: under load each write empties SQLite's page caches,
    /// and ten random rows cost more than ranking a hundred thousand sponsors.
    aliases: RwLock<Aliases>,
    /// The week (168 hours from this hour) the index's UTC availability is for.
    week: Mutex<DateTime<Utc>>,
    /// The newest change-log entry applied.
    seen: AtomicI64,
    /// Held while the pool follows the log or is rebuilt: a follower that loaded facts
    /// earlier must not overwrite newer ones applied meanwhile and marked as applied.
    applied: tokio::sync::Mutex<Applied>,
}

impl SponsorPool {
    /// Builds the index from every sponsor in the database.
    pub async fn load(db: &Db) -> Result<Self, StoreError> {
        let week = week_start(Utc::now());
        let (index, aliases, seen, recent) = build(db, week).await?;
        let mut applied = Applied::default();
        applied.mark(&recent, Instant::now());
        Ok(Self {
            index: RwLock::new(index),
            aliases: RwLock::new(aliases),
            week: Mutex::new(week),
            seen: AtomicI64::new(seen),
            applied: tokio::sync::Mutex::new(applied),
        })
    }

    /// Rebuilds when the hour has moved on: availability in UTC is for the coming week,
    /// and daylight-saving changes move it.
    pub async fn refresh(&self, db: &Db) -> Result<bool, StoreError> {
        let week = week_start(Utc::now());
        if *lock(&self.week) == week {
            return Ok(false);
        }
        let mut applied = self.applied.lock().await;
        let (index, aliases, seen, recent) = build(db, week).await?;
        // Aliases first: every sponsor the index can rank has one (`pick_and_show`).
        *self.aliases.write().unwrap_or_else(|e| e.into_inner()) = aliases;
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = index;
        *lock(&self.week) = week;
        applied.mark(&recent, Instant::now());
        self.seen.fetch_max(seen, Ordering::SeqCst);
        Ok(true)
    }

    /// Applies changes logged since the last look (by any instance).
    pub async fn follow(&self, db: &Db) -> Result<usize, StoreError> {
        let mut applied = self.applied.lock().await;
        let since = self.seen.load(Ordering::SeqCst);
        let entries = db
            .run(move |conn| matching::changes_since(conn, since))
            .await?;
        let entries = applied.unapplied(entries, Instant::now());
        if entries.is_empty() {
            return Ok(0);
        }
        let newest = entries.iter().map(|(seq, _)| *seq).max().unwrap_or(since);
        let mut changed: Vec<UserId> = entries.iter().map(|(_, id)| *id).collect();
        changed.sort();
        changed.dedup();
        let count = changed.len();
        let mut zones = self.zones();
        let sponsors = db
            .run(move |conn| matching::sponsor_facts(conn, Some(&changed), &mut zones))
            .await?;
        // Aliases first: every sponsor the index can rank has one (`pick_and_show`).
        let (facts, aliases): (Vec<SponsorFacts>, Vec<String>) = sponsors.into_iter().unzip();
        {
            let mut known = self.aliases.write().unwrap_or_else(|e| e.into_inner());
            for (sponsor, alias) in facts.iter().zip(aliases) {
                known.set(sponsor.id, alias);
            }
        }
        for sponsor in &facts {
            self.upsert(sponsor);
        }
        applied.mark(&entries, Instant::now());
        self.seen.fetch_max(newest, Ordering::SeqCst);
        Ok(count)
    }

    /// Follows the change log now, after a write through this instance. The write has
    /// landed either way, so a failure is logged, and the background follower retries.
    pub async fn catch_up(&self, db: &Db) {
        if let Err(error) = self.follow(db).await {
            tracing::warn!(%error, "updating the rank index after a write failed");
        }
    }

    /// Time-zone conversions for the pool's week, for facts that must compare with it.
    pub fn zones(&self) -> ZoneCache {
        ZoneCache::new(self.week())
    }

    /// The week the pool's UTC hours are for.
    pub fn week(&self) -> DateTime<Utc> {
        *lock(&self.week)
    }

    pub fn upsert(&self, sponsor: &SponsorFacts) {
        self.index
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .upsert(sponsor);
    }

    pub fn top_k(&self, query: &Query, k: usize) -> Vec<(Uuid, f64)> {
        self.index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .top_k(query, k)
    }

    /// The ids of the best `k`, best first: what a proposal checks against the database.
    pub fn ranked_ids(&self, query: &Query, k: usize) -> Vec<Uuid> {
        self.top_k(query, k).into_iter().map(|(id, _)| id).collect()
    }

    /// These sponsors as matching sees them, with what a candidate list shows of them,
    /// in the order given; sponsors not in the pool are left out.
    pub fn shown(&self, ids: &[Uuid]) -> Vec<(SponsorFacts, SponsorSummary)> {
        self.pick_and_show(|_| ((), ids.to_vec())).1
    }

    /// `pick` over the index, and what is shown of the sponsors it picked, from one read:
    /// a sponsor who changes meanwhile cannot be picked under their old facts and then
    /// explained or counted under new ones. Every sponsor the index holds is shown: the
    /// pool writes a sponsor's alias before the sponsor enters the index.
    pub fn pick_and_show<T>(
        &self,
        pick: impl FnOnce(&RankIndex) -> (T, Vec<Uuid>),
    ) -> (T, Vec<(SponsorFacts, SponsorSummary)>) {
        let index = self.index.read().unwrap_or_else(|e| e.into_inner());
        let aliases = self.aliases.read().unwrap_or_else(|e| e.into_inner());
        let (picked, ids) = pick(&index);
        let shown = ids
            .iter()
            .filter_map(|id| {
                let facts = index.facts(*id)?;
                let summary = SponsorSummary {
                    sponsor_id: UserId::from(*id),
                    alias: aliases.get(*id)?.to_owned(),
                    fellowships: fellowships_of(facts.fellowships),
                    languages: facts
                        .languages
                        .iter()
                        .map(|l| l.as_str().to_owned())
                        .collect(),
                };
                Some((facts, summary))
            })
            .collect();
        (picked, shown)
    }

    pub fn len(&self) -> usize {
        self.index.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a pool is built from: the index, the aliases, the change log's newest sequence
/// number, and the entries the follower could still read that the index reflects.
type Built = (RankIndex, Aliases, i64, Vec<(i64, UserId)>);

async fn build(db: &Db, week: DateTime<Utc>) -> Result<Built, StoreError> {
    db.run(move |conn| {
        // The change log's position first: changes after it are followed, so none is
        // lost; those read now are in the facts read next.
        let latest = matching::latest_change(conn)?;
        let recent = matching::changes_since(conn, latest)?;
        let seen = recent.iter().map(|(seq, _)| *seq).fold(latest, i64::max);
        let mut zones = ZoneCache::new(week);
        let (facts, aliases): (Vec<SponsorFacts>, Vec<(Uuid, String)>) =
            matching::sponsor_facts(conn, None, &mut zones)?
                .into_iter()
                .map(|(facts, alias)| {
                    let id = facts.id;
                    (facts, (id, alias))
                })
                .unzip();
        Ok((
            RankIndex::build(facts),
            Aliases::build(aliases),
            seen,
            recent,
        ))
    })
    .await
}

/// What a candidate list may show of a sponsor before any agreement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SponsorSummary {
    pub sponsor_id: UserId,
    pub alias: String,
    pub fellowships: Vec<Fellowship>,
    pub languages: Vec<String>,
}

/// Aliases by sponsor id, sorted: 32 bytes a sponsor and the text, where a hash map
/// would take twice that.
#[derive(Debug, Default)]
struct Aliases(Vec<(Uuid, Box<str>)>);

impl Aliases {
    fn build(mut list: Vec<(Uuid, String)>) -> Self {
        list.sort_by_key(|(id, _)| *id);
        Self(
            list.into_iter()
                .map(|(id, alias)| (id, alias.into_boxed_str()))
                .collect(),
        )
    }

    fn get(&self, id: Uuid) -> Option<&str> {
        let at = self.0.binary_search_by_key(&id, |(id, _)| *id).ok()?;
        Some(&self.0[at].1)
    }

    /// Ids are time-ordered, so a new sponsor almost always lands at the end.
    fn set(&mut self, id: Uuid, alias: String) {
        match self.0.binary_search_by_key(&id, |(id, _)| *id) {
            Ok(at) => self.0[at].1 = alias.into_boxed_str(),
            Err(at) => self.0.insert(at, (id, alias.into_boxed_str())),
        }
    }
}

/// Change-log entries applied, remembered while the log's window may return them again,
/// so that each change loads its sponsor once rather than on every look for seconds.
#[derive(Debug, Default)]
struct Applied(HashMap<i64, Instant>);

impl Applied {
    /// Twice the window: instances' clocks differ a little.
    const REMEMBER: Duration =
        Duration::from_secs(2 * matching::CHANGE_WINDOW.num_seconds() as u64);

    /// The entries not applied yet; forgets those past remembering.
    fn unapplied(&mut self, entries: Vec<(i64, UserId)>, now: Instant) -> Vec<(i64, UserId)> {
        self.0
            .retain(|_, at| now.saturating_duration_since(*at) < Self::REMEMBER);
        entries
            .into_iter()
            .filter(|(seq, _)| !self.0.contains_key(seq))
            .collect()
    }

    fn mark(&mut self, entries: &[(i64, UserId)], now: Instant) {
        self.0.extend(entries.iter().map(|(seq, _)| (*seq, now)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(seqs: &[i64]) -> Vec<(i64, UserId)> {
        seqs.iter()
            .map(|s| (*s, UserId::from(Uuid::from_u128(*s as u128))))
            .collect()
    }

    #[test]
    fn aliases_are_found_by_id_after_any_order_of_sets() {
        let id = Uuid::from_u128;
        let mut aliases = Aliases::build(vec![(id(3), "C".into()), (id(1), "A".into())]);
        aliases.set(id(2), "B".into());
        aliases.set(id(4), "D".into());
        aliases.set(id(1), "A2".into());
        let found: Vec<Option<&str>> = (0..6).map(|n| aliases.get(id(n))).collect();
        assert_eq!(
            found,
            [None, Some("A2"), Some("B"), Some("C"), Some("D"), None]
        );
    }

    #[test]
    fn an_entry_is_applied_once_while_remembered_and_again_after() {
        let start = Instant::now();
        let mut applied = Applied::default();
        applied.mark(&entries(&[1, 2]), start);
        let fresh = applied.unapplied(entries(&[1, 2, 3]), start + Duration::from_secs(1));
        assert_eq!(fresh, entries(&[3]));
        applied.mark(&fresh, start + Duration::from_secs(1));
        assert!(
            applied
                .unapplied(entries(&[1, 3]), start + Duration::from_secs(2))
                .is_empty()
        );
        let later = start + Applied::REMEMBER + Duration::from_secs(2);
        assert_eq!(applied.unapplied(entries(&[1, 3]), later), entries(&[1, 3]));
        assert!(
            applied.0.is_empty(),
            "entries past remembering are forgotten"
        );
    }
}
