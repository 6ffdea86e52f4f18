#!/usr/bin/env bash
# Benchmarks that print figures (no assertions) and write BENCHMARKS.md: plan/apply/destroy at
# real-AWS latency and API quotas (moto behind the project's proxy), a busy account, peak memory,
# a fleet from one for_each, and the data path (preview, send). Builds the release binary and the
# proxy first.
# Settings: BENCH_LATENCY_MS (50), BENCH_SIZES (1,10,40), BENCH_FOREIGN_ROLES (1000),
# BENCH_FOREIGN_FUNCTIONS (200), BENCH_FLEET (100).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Building the release binary and the proxy (a cold release build takes about 7 minutes on 2 cores)..." >&2
cargo build --release --bin provision --example aws-proxy
exec python3 scripts/bench.py
