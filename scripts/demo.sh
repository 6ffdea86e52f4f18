#!/usr/bin/env bash
# The main job end to end against a local AWS: starts a pinned moto server, then validates, plans,
# applies, plans again (expecting no changes), previews where the sample's records land, sends
# them, verifies their delivery, and destroys the default stack.toml (refused while the bucket
# holds data, then with force_destroy).
# PROVISION=/path/to/provision runs the demo with that binary (a prebuilt one, from cargo binstall or
# a release archive) instead of building this checkout: no compiling, the demo in about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m'; plain=$'\033[0m'; else bold=""; plain=""; fi
say() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }
if [ -n "${PROVISION:-}" ]; then
    provision="$(realpath "$(command -v "$PROVISION")")" || { echo "PROVISION=$PROVISION: no such program" >&2; exit 2; }
    say "Using $provision ($("$provision" --version))"
else
    say "Building provision (the first build compiles the AWS SDK: a few minutes)..."
    cargo build
    provision="$PWD/target/debug/provision"
fi
say "Starting a local AWS (moto, installed into target/moto on first use)..."
. scripts/moto-env.sh
# The demo runs a copy of the default stack.toml (destroy's step below edits it). moto refuses
# object reads under the TLS-only bucket policy: moto-env.sh sets PROVISION_VAR_require_tls=false.
demo="$PWD/target/demo"
mkdir -p "$demo/examples/lambda"
cp stack.toml "$demo/stack.toml"
# The function's code beside the copy: provision packages nothing from outside the stack's project.
rm -rf "$demo/examples/lambda/metadata_extractor"
cp -R examples/lambda/metadata_extractor "$demo/examples/lambda/"
cd "$demo"
step() { say "\$ provision $*"; "$provision" "$@"; }
step validate
step plan
step apply --auto-approve
step plan --detailed-exitcode
step output
step preview --count 200
step send --count 2000
step verify
say "\$ provision destroy --auto-approve   (the bucket now holds data: refused, nothing deleted)"
"$provision" destroy --auto-approve || true
say "Setting force_destroy = true on the bucket (see its comment in stack.toml) to let destroy empty it:"
sed -i 's/^force_destroy = false.*/force_destroy = true/' stack.toml
step destroy --auto-approve
say "\$ provision plan --detailed-exitcode"
set +e; "$provision" plan --detailed-exitcode >/dev/null; code=$?; set -e
[ "$code" = 2 ] && echo "Everything was destroyed: a new plan would create all 6 resources again."
