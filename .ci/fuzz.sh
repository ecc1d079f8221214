#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (nightly toolchain, cargo-fuzz): every target of
# crates/doorbraak-fuzz/fuzz runs for FUZZ_SECONDS (default 20) from its committed seed corpus;
# a crash, a panic, a timeout or an out-of-memory fails the run and leaves the input in
# crates/doorbraak-fuzz/fuzz/artifacts/TARGET/ (replay: cargo +nightly fuzz run TARGET FILE).
# New inputs go to a scratch directory, never into the committed corpus. Release build with
# debug assertions and overflow checks; no address sanitizer (the code is safe Rust: a panic
# is the finding; the C in SQLite and ring is not what these targets reach).
set -euo pipefail
cd "$(dirname "$0")/../crates/doorbraak-fuzz/fuzz"
secs="${FUZZ_SECONDS:-20}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "the nightly toolchain is needed for cargo fuzz (rustup toolchain install nightly)" >&2
  exit 1
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
cargo +nightly fuzz build --sanitizer none
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  if ! cargo +nightly fuzz run --sanitizer none "$target" "$scratch/$target" "corpus/$target" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target FAILED (input in crates/doorbraak-fuzz/fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  echo "fuzz: $target ${runs:-?} inputs in ${secs} s, ${cov:-cov: ?}, no crash"
done
