//! How often one peer's refusals of one rule are written to the access log: the first few in
//! each window one by one, the rest counted and written as one entry when the next window
//! opens. A member that floods a node with refused calls cannot fill its access log, and no
//! refusal goes unrecorded. Sans-IO: the caller passes the time.

use std::collections::HashMap;
use std::sync::Mutex;

use doorbraak_model::{Oin, Timestamp};

/// Refusals of one rule by one peer written one by one per window.
pub const PER_WINDOW: u32 = 10;
/// The window, in seconds.
pub const WINDOW_SECS: i64 = 60;
/// Most (peer, rule) pairs tracked; beyond, windows that are over are forgotten first.
const MAX_KEYS: usize = 10_000;

/// What to do with one refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Write it, noting how many of the same were counted but not written in the window before.
    Log { unlogged_before: u64 },
    /// Count it; it is written as part of the next entry.
    Count,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Timestamp,
    logged: u32,
    counted: u64,
}

/// The per-(peer, rule) windows.
#[derive(Debug, Default)]
pub struct Throttle {
    windows: Mutex<HashMap<(Oin, String), Window>>,
}

impl Throttle {
    pub fn decide(&self, peer: &Oin, rule: &str, now: Timestamp) -> Decision {
        let Ok(mut windows) = self.windows.lock() else {
            // a poisoned lock never silences the log
            return Decision::Log { unlogged_before: 0 };
        };
        if windows.len() >= MAX_KEYS {
            windows.retain(|_, w| !over(w, now));
        }
        let key = (peer.clone(), rule.chars().take(80).collect::<String>());
        let w = windows.entry(key).or_insert(Window {
            start: now,
            logged: 0,
            counted: 0,
        });
        if over(w, now) {
            let unlogged_before = w.counted;
            *w = Window {
                start: now,
                logged: 1,
                counted: 0,
            };
            return Decision::Log { unlogged_before };
        }
        if w.logged < PER_WINDOW {
            w.logged += 1;
            Decision::Log { unlogged_before: 0 }
        } else {
            w.counted += 1;
            Decision::Count
        }
    }
}

fn over(w: &Window, now: Timestamp) -> bool {
    now.as_second() - w.start.as_second() >= WINDOW_SECS
}

/// The rule a federation status names in its details, or its gRPC code (a status without a
/// rule); never read from the sentence.
pub fn rule_of(status: &tonic::Status) -> String {
    doorbraak_federation::refusal::rule_in(status)
        .unwrap_or_else(|| format!("grpc.{:?}", status.code()).to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap_or_else(|e| panic!("{e}"))
    }

    fn oin(s: &str) -> Oin {
        Oin::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_flood_is_written_a_few_times_and_counted_for_the_rest() {
        let th = Throttle::default();
        let gi = oin("00000001000000000030");
        let logged = (0..1000)
            .filter(|_| {
                matches!(
                    th.decide(&gi, "access.not_a_party", t(0)),
                    Decision::Log { .. }
                )
            })
            .count();
        assert_eq!(logged, PER_WINDOW as usize);
        // the next window's first entry carries the count of what was not written
        assert_eq!(
            th.decide(&gi, "access.not_a_party", t(WINDOW_SECS)),
            Decision::Log {
                unlogged_before: 1000 - u64::from(PER_WINDOW)
            }
        );
    }

    #[test]
    fn another_rule_or_another_peer_is_written_on_its_own() {
        let th = Throttle::default();
        let gi = oin("00000001000000000030");
        let vt = oin("00000001000000000020");
        for _ in 0..PER_WINDOW {
            th.decide(&gi, "access.not_a_party", t(0));
        }
        assert_eq!(th.decide(&gi, "access.not_a_party", t(1)), Decision::Count);
        assert_eq!(
            th.decide(&gi, "privacy.no_bsn", t(1)),
            Decision::Log { unlogged_before: 0 }
        );
        assert_eq!(
            th.decide(&vt, "access.not_a_party", t(1)),
            Decision::Log { unlogged_before: 0 }
        );
    }

    #[test]
    fn the_rule_is_read_from_the_status() {
        let refusal = doorbraak_federation::refusal::Refusal::from(
            &doorbraak_model::RuleViolation::NotAParty,
        );
        assert_eq!(rule_of(&refusal.to_status()), "access.not_a_party");
        // a sentence that looks like a rule is no rule
        assert_eq!(
            rule_of(&tonic::Status::permission_denied("access.not_a_party: no")),
            "grpc.permissiondenied"
        );
        assert_eq!(
            rule_of(&tonic::Status::invalid_argument(
                "command: expected value at line 1"
            )),
            "grpc.invalidargument"
        );
    }
}
