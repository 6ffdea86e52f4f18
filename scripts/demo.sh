#!/usr/bin/env bash
# The main job end to end against a local AWS: starts a pinned moto server, then plans, applies,
# plans again (expecting no changes) and destroys the default stack.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
moto="$(scripts/install-moto.sh)"
cargo build --quiet
log="$(mktemp)"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$moto" -H 127.0.0.1 -p 0 2>"$log" &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  endpoint="$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -n 1 || true)"
  [ -n "$endpoint" ] && python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/data.json')" "$endpoint" 2>/dev/null && break
  sleep 0.1
done
[ -n "${endpoint:-}" ] || { echo "moto did not start:"; cat "$log"; exit 1; }
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
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
