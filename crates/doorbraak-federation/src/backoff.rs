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

    pub fn cap(&self) -> Duration {
        self.cap
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
