#!/usr/bin/env bash
# The test command: installs the pinned moto, then runs the Lambda's Python tests and every Rust
# test (unit, snapshot and integration tests of the real binary against moto servers).
set -euo pipefail
cd "$(dirname "$0")/.."
export MOTO_SERVER="$(scripts/install-moto.sh)"
python3 -m unittest discover -s examples/lambda/tests
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast "$@"
else
  cargo test --no-fail-fast "$@"
fi
