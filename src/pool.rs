//! The sponsor pool held in memory for ranking: the rank index, built from the database
//! at start, updated by the requests that change sponsors, and following the change log
//! so that changes made through other instances arrive within the follow interval.
//!
//! The database stays the source of truth: the index proposes, the database disposes.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::matching::facts::SponsorFacts;
use crate::matching::hours::{ZoneCache, week_start};
use crate::matching::index::RankIndex;
use crate::matching::score::Query;
use crate::store::{Db, StoreError, matching};

pub struct SponsorPool {
    index: RwLock<RankIndex>,
    /// The week (168 hours from this hour) the index's UTC availability is for.
    week: Mutex<DateTime<Utc>>,
    /// The newest change-log entry applied.
    seen: AtomicI64,
}

impl SponsorPool {
    /// Builds the index from every sponsor in the database.
    pub async fn load(db: &Db) -> Result<Self, StoreError> {
        let week = week_start(Utc::now());
        let (index, seen) = build(db, week).await?;
        Ok(Self {
            index: RwLock::new(index),
            week: Mutex::new(week),
            seen: AtomicI64::new(seen),
        })
    }

    /// Rebuilds when the hour has moved on: availability in UTC is for the coming week,
    /// and daylight-saving changes move it.
    pub async fn refresh(&self, db: &Db) -> Result<bool, StoreError> {
        let week = week_start(Utc::now());
        if *lock(&self.week) == week {
            return Ok(false);
        }
        let (index, seen) = build(db, week).await?;
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = index;
        *lock(&self.week) = week;
        self.seen.fetch_max(seen, Ordering::SeqCst);
        Ok(true)
    }

    /// Applies changes logged since the last look (by any instance).
    pub async fn follow(&self, db: &Db) -> Result<usize, StoreError> {
        let since = self.seen.load(Ordering::SeqCst);
        let (changed, newest) = db
            .run(move |conn| matching::changes_since(conn, since))
            .await?;
        if changed.is_empty() {
            return Ok(0);
        }
        let count = changed.len();
        let mut zones = self.zones();
        let facts = db
            .run(move |conn| matching::sponsor_facts(conn, Some(&changed), &mut zones))
            .await?;
        for sponsor in facts {
            self.upsert(&sponsor);
        }
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

    /// Work over the index as it stands, holding off updates meanwhile.
    pub fn with_index<T>(&self, work: impl FnOnce(&RankIndex) -> T) -> T {
        work(&self.index.read().unwrap_or_else(|e| e.into_inner()))
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

    pub fn facts(&self, id: Uuid) -> Option<SponsorFacts> {
        self.index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .facts(id)
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

async fn build(db: &Db, week: DateTime<Utc>) -> Result<(RankIndex, i64), StoreError> {
    db.run(move |conn| {
        // The change log's position first: changes after it are followed, so none is lost.
        let seen = matching::latest_change(conn)?;
        let mut zones = ZoneCache::new(week);
        let facts = matching::sponsor_facts(conn, None, &mut zones)?;
        Ok((RankIndex::build(facts), seen))
    })
    .await
}
