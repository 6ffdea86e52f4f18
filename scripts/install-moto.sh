#!/usr/bin/env bash
# Installs the pinned moto server into target/moto (no root, no venv needed) and prints the path
# of a `moto_server` wrapper. Reuses an existing install.
set -euo pipefail
MOTO_VERSION="5.2.1"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/moto"
wrapper="$dir/moto_server"
if [ ! -x "$wrapper" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$MOTO_VERSION" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  python3 -m pip install --quiet --disable-pip-version-check --target "$dir/pkgs" "moto[server]==$MOTO_VERSION" >&2
  cat > "$wrapper" <<WRAP
#!/bin/sh
PYTHONPATH="$dir/pkgs\${PYTHONPATH:+:\$PYTHONPATH}" exec python3 -m moto.server "\$@"
WRAP
  chmod +x "$wrapper"
  echo "$MOTO_VERSION" > "$dir/version"
fi
echo "$wrapper"
