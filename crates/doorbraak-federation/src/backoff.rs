//! Exponential backoff with jitter, as a validated type.

use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackoffError {
    #[error("backoff base must be positive")]
    ZeroBase,
    #[error("backoff cap must be at least the base")]
    CapBelowBase,
    #[error("jitter must be between 0 and 1")]
    Jitter,
}

/// `delay(n) = min(cap, base · 2ⁿ) · (1 − jitter · r)`, r uniform in [0, 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    jitter: f64,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration, jitter: f64) -> Result<Self, BackoffError> {
        if base.is_zero() {
            return Err(BackoffError::ZeroBase);
        }
        if cap < base {
            return Err(BackoffError::CapBelowBase);
        }
        if !(0.0..=1.0).contains(&jitter) {
            return Err(BackoffError::Jitter);
        }
        Ok(Self { base, cap, jitter })
    }

    /// Without jitter, for waits that are kept in the database and shown (a mail that is tried
    /// again, a member asked again): `min(cap, base · 2ⁿ)`. Checked at compile time where it is
    /// a constant (`base` > 0, `cap` ≥ `base`).
    pub const fn exact(base: Duration, cap: Duration) -> Self {
        assert!(!base.is_zero(), "backoff base must be positive");
        assert!(
            cap.as_nanos() >= base.as_nanos(),
            "backoff cap must be at least the base"
        );
        Self {
            base,
            cap,
            jitter: 0.0,
        }
    }

    pub fn cap(&self) -> Duration {
        self.cap
    }

    /// The delay after `failures` failures counted in the database (0 or fewer: the base).
    pub fn after_failures(&self, failures: i64) -> Duration {
        let n = u32::try_from(failures.saturating_sub(1).clamp(0, 63)).unwrap_or(0);
        self.delay_with(n, 0.0)
    }

    /// The delay before attempt `attempt + 1`, given a random number `r` in [0, 1).
    pub fn delay_with(&self, attempt: u32, r: f64) -> Duration {
        let exp = self
            .base
            .checked_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(self.cap)
            .min(self.cap);
        exp.mul_f64(1.0 - self.jitter * r.clamp(0.0, 1.0))
    }

    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, rand::random::<f64>())
    }
}

impl Default for Backoff {
    /// 500 ms doubling to a 5-minute cap, with up to 50 % jitter.
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(300),
            jitter: 0.5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_to_the_cap() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 0.0).unwrap();
        assert_eq!(b.delay(0), Duration::from_secs(1));
        assert_eq!(b.delay(3), Duration::from_secs(8));
        assert_eq!(b.delay(10), Duration::from_secs(60));
        assert_eq!(b.delay(200), Duration::from_secs(60));
    }

    #[test]
    fn jitter_only_shortens() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 0.5).unwrap();
        assert_eq!(b.delay_with(2, 0.0), Duration::from_secs(4));
        assert_eq!(
            b.delay_with(2, 0.999_999),
            Duration::from_secs(4).mul_f64(1.0 - 0.5 * 0.999_999)
        );
        for _ in 0..100 {
            let d = b.delay(2);
            assert!(
                d > Duration::from_secs(2) - Duration::from_millis(1)
                    && d <= Duration::from_secs(4)
            );
        }
    }

    #[test]
    fn invalid_settings_are_refused() {
        assert_eq!(
            Backoff::new(Duration::ZERO, Duration::from_secs(1), 0.1),
            Err(BackoffError::ZeroBase)
        );
        assert_eq!(
            Backoff::new(Duration::from_secs(2), Duration::from_secs(1), 0.1),
            Err(BackoffError::CapBelowBase)
        );
        assert_eq!(
            Backoff::new(Duration::from_secs(1), Duration::from_secs(1), 1.5),
            Err(BackoffError::Jitter)
        );
    }
}
