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
  # pip's resolver warns about packages of the system it does not install into: its output is
  # kept in a log, shown only when the install fails.
  if ! python3 -m pip install --quiet --disable-pip-version-check --target "$dir/pkgs" "moto[server]==$MOTO_VERSION" \
      >"$dir/pip.log" 2>&1; then
    cat "$dir/pip.log" >&2
    echo "installing moto $MOTO_VERSION failed (above: pip's output)" >&2
    exit 1
  fi
  cat > "$wrapper" <<WRAP
#!/bin/sh
PYTHONPATH="$dir/pkgs\${PYTHONPATH:+:\$PYTHONPATH}" exec python3 -m moto.server "\$@"
WRAP
  chmod +x "$wrapper"
  echo "$MOTO_VERSION" > "$dir/version"
fi
echo "$wrapper"
