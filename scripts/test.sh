#!/usr/bin/env bash
# The test command: installs the pinned moto, then runs the Lambda's Python tests and every Rust
# test: unit tests (including the core against the in-memory fake provider), doc tests, snapshot
# tests, property tests, and integration tests of the real binary against moto servers.
set -euo pipefail
cd "$(dirname "$0")/.."
export MOTO_SERVER="$(scripts/install-moto.sh)"
python3 -m unittest discover -s examples/lambda/tests
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast "$@"
  cargo test --doc "$@"
else
  cargo test --no-fail-fast "$@"
fi
