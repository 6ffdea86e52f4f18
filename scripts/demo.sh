#!/usr/bin/env bash
# The main job end to end against a local AWS: starts a pinned moto server, then plans, applies,
# plans again (expecting no changes) and destroys the default stack.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
. scripts/moto-env.sh
provision=target/debug/provision
step() { printf '\n\033[1m$ provision %s\033[0m\n' "$*"; }
step plan;                         time "$provision" plan
step apply --auto-approve;         time "$provision" apply --auto-approve
step plan --detailed-exitcode;     "$provision" plan --detailed-exitcode
step output;                       "$provision" output
step destroy --auto-approve;       time "$provision" destroy --auto-approve
step plan --detailed-exitcode
set +e; "$provision" plan --detailed-exitcode >/dev/null; code=$?; set -e
[ "$code" = 2 ] && echo "Everything was destroyed: a new plan would create all 6 resources again."
