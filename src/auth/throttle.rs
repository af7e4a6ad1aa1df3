//! Login throttling: failed attempts counted per account and per client address in a
//! sliding window; past the limit, logins are refused until the oldest failure ages out.
//! Kept in memory: each instance throttles on its own, which bounds guessing to
//! instances x limit per window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginThrottle {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub fn from_settings(auth: &crate::config::AuthSettings) -> Self {
        Self::new(
            Duration::from_secs(auth.login_window_seconds),
            auth.login_failures_per_account,
            auth.login_failures_per_address,
        )
    }

    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        Self {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [(String, bool); 2] {
        [
            (format!("account:{account}"), true),
            (format!("address:{address}"), false),
        ]
    }

    /// `Err(wait)` when either key is over its limit.
    pub fn check(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, is_account) in Self::keys(account, address) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_address
            };
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window - now.duration_since(*oldest));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    pub fn record_failure(&self, account: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget idle keys now and then so the map cannot grow without bound.
        if failures.len() > 100_000 {
            let window = self.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        for (key, _) in Self::keys(account, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    pub fn record_success(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&format!("account:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_and_recovers_after_window() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 3, 10);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(throttle.check("a@x.org", "1.2.3.4", start).is_ok());
            throttle.record_failure("a@x.org", "1.2.3.4", start);
        }
        let wait = throttle.check("a@x.org", "5.6.7.8", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(throttle.check("b@x.org", "1.2.3.4", start).is_ok());
        assert!(
            throttle
                .check("a@x.org", "1.2.3.4", start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn address_limit_spans_accounts() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 100, 2);
        let now = Instant::now();
        throttle.record_failure("a@x.org", "9.9.9.9", now);
        throttle.record_failure("b@x.org", "9.9.9.9", now);
        assert!(throttle.check("c@x.org", "9.9.9.9", now).is_err());
    }

    #[test]
    fn success_clears_the_account() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 1, 10);
        let now = Instant::now();
        throttle.record_failure("a@x.org", "1.1.1.1", now);
        throttle.record_success("a@x.org");
        assert!(throttle.check("a@x.org", "2.2.2.2", now).is_ok());
    }
}
