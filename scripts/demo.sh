#!/usr/bin/env bash
# The main job end to end against a local AWS: starts a pinned moto server, then validates, plans,
# applies, plans again (expecting no changes), previews and sends the sample's records, verifies
# their delivery, and destroys the default stack.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m'; plain=$'\033[0m'; else bold=""; plain=""; fi
say() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }
say "Building provision (the first build compiles the AWS SDK: a few minutes)..."
cargo build
say "Starting a local AWS (moto, installed into target/moto on first use)..."
. scripts/moto-env.sh
provision=target/debug/provision
step() { say "\$ provision $*"; }
step validate;                     "$provision" validate
step plan;                         "$provision" plan
step apply --auto-approve;         "$provision" apply --auto-approve
step plan --detailed-exitcode;     "$provision" plan --detailed-exitcode
step output;                       "$provision" output
step destroy --auto-approve;       "$provision" destroy --auto-approve
step plan --detailed-exitcode
set +e; "$provision" plan --detailed-exitcode >/dev/null; code=$?; set -e
[ "$code" = 2 ] && echo "Everything was destroyed: a new plan would create all 6 resources again."
