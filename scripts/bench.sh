#!/usr/bin/env bash
# Benchmarks that print figures (no assertions) and write BENCHMARKS.md: plan/apply/destroy at
# real-AWS latency and API quotas (moto behind the project's proxy), a busy account, peak memory,
# a fleet from one for_each, and the data path (preview, send). Builds the release binary and the
# proxy first.
# Settings: BENCH_LATENCY_MS (50), BENCH_SIZES (1,10,40), BENCH_FOREIGN_ROLES (1000),
# BENCH_FOREIGN_FUNCTIONS (200), BENCH_FLEET (100).
# --first-run measures a new user's first run instead (a fresh clone: the demo, cargo install; about
# 11 minutes) and adds it to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --first-run ]; then exec python3 scripts/bench.py --first-run; fi
echo "Building the release binary and the proxy (a cold release build takes about 11 minutes on 2 cores)..." >&2
cargo build --release --bin provision --example aws-proxy
exec python3 scripts/bench.py
