//! A brief memory of resolved credentials, so that a busy caller's requests do not each
//! take a trip to the database to learn who is calling.
//!
//! Revoking a credential through this instance (logout, disabling a user, revoking a
//! key) forgets everything at once; another instance sharing the database notices
//! within the time to live. Entries carry the generation they were looked up in, so a
//! lookup that raced a revocation is never remembered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Principal;

/// Past this many entries, expired ones are dropped; if none are, all are.
const MAX_ENTRIES: usize = 10_000;

pub struct PrincipalCache {
    time_to_live: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: u64,
    entries: HashMap<String, (Principal, Instant)>,
}

/// When a lookup started, for [`PrincipalCache::remember`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

impl PrincipalCache {
    /// A zero time to live turns the cache off.
    pub fn new(time_to_live: Duration) -> Self {
        Self {
            time_to_live,
            state: Mutex::default(),
        }
    }

    /// The principal behind `credential_hash` if it was resolved within the time to
    /// live, with the generation to hand to [`Self::remember`] otherwise.
    pub fn recall(&self, credential_hash: &str, now: Instant) -> Result<Principal, Generation> {
        let state = self.lock();
        match state.entries.get(credential_hash) {
            Some((principal, until)) if now < *until => Ok(*principal),
            _ => Err(Generation(state.generation)),
        }
    }

    /// Keeps a principal looked up from the database, unless something was revoked
    /// since the lookup began.
    pub fn remember(
        &self,
        credential_hash: String,
        principal: Principal,
        looked_up_in: Generation,
        now: Instant,
    ) {
        if self.time_to_live.is_zero() {
            return;
        }
        let mut state = self.lock();
        if state.generation != looked_up_in.0 {
            return;
        }
        if state.entries.len() >= MAX_ENTRIES {
            state.entries.retain(|_, (_, until)| now < *until);
            if state.entries.len() >= MAX_ENTRIES {
                state.entries.clear();
            }
        }
        let until = now + self.time_to_live;
        state.entries.insert(credential_hash, (principal, until));
    }

    /// Called after a credential was revoked or a user disabled.
    pub fn forget_all(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is valid after any panic (each change is one assignment), so a
        // poisoned lock is used as it is.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::domain::ids::{ProgramId, UserId};

    fn admin() -> Principal {
        Principal::User {
            id: UserId::new(),
            program_id: ProgramId::new(),
            role: Role::ProgramAdmin,
        }
    }

    fn cache() -> PrincipalCache {
        PrincipalCache::new(Duration::from_secs(1))
    }

    #[test]
    fn remembers_until_the_time_to_live_has_passed() {
        let cache = cache();
        let start = Instant::now();
        let principal = admin();
        let generation = cache.recall("h", start).unwrap_err();
        cache.remember("h".into(), principal, generation, start);
        assert_eq!(
            cache.recall("h", start + Duration::from_millis(999)),
            Ok(principal)
        );
        assert!(cache.recall("h", start + Duration::from_secs(1)).is_err());
        assert!(cache.recall("other", start).is_err());
    }

    #[test]
    fn forgetting_drops_entries_and_lookups_that_raced_it() {
        let cache = cache();
        let now = Instant::now();
        let generation = cache.recall("h", now).unwrap_err();
        cache.remember("h".into(), admin(), generation, now);
        cache.forget_all();
        assert!(cache.recall("h", now).is_err());
        // A lookup that began before the revocation and finished after it.
        cache.remember("h".into(), admin(), generation, now);
        assert!(cache.recall("h", now).is_err());
    }

    #[test]
    fn a_zero_time_to_live_remembers_nothing() {
        let cache = PrincipalCache::new(Duration::ZERO);
        let now = Instant::now();
        let generation = cache.recall("h", now).unwrap_err();
        cache.remember("h".into(), admin(), generation, now);
        assert!(cache.recall("h", now).is_err());
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = cache();
        let now = Instant::now();
        for n in 0..MAX_ENTRIES {
            let generation = cache.recall("", now).unwrap_err();
            cache.remember(n.to_string(), admin(), generation, now);
        }
        let later = now + Duration::from_secs(2);
        let generation = cache.recall("new", later).unwrap_err();
        cache.remember("new".into(), admin(), generation, later);
        assert!(cache.recall("new", later).is_ok());
        assert_eq!(cache.lock().entries.len(), 1);
    }
}
