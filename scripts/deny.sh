#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (deny.toml): licenses, bans (no legacy hyper/rustls),
# sources, and RustSec advisories. Installs the pinned cargo-deny into target/tools on first use.
# The advisory database is fetched from GitHub: where GitHub cannot be reached, that check is
# skipped with a warning (the others still run); a reachable database with a finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
DENY_VERSION="0.20.2"
tools="$PWD/target/tools"
deny="$tools/bin/cargo-deny"
if [ ! -x "$deny" ] || ! "$deny" --version | grep -q "$DENY_VERSION"; then
  echo "Installing cargo-deny $DENY_VERSION into target/tools (a few minutes, once)..." >&2
  cargo install --quiet --locked --root "$tools" "cargo-deny@$DENY_VERSION"
fi
"$deny" check --hide-inclusion-graph licenses bans sources
if "$deny" fetch db >/dev/null 2>&1; then
  "$deny" check --hide-inclusion-graph advisories
else
  echo "warning: the RustSec advisory database could not be fetched (no route to GitHub?): advisories not checked" >&2
fi
