#!/usr/bin/env bash
# Runs tests/runtime-probe's handlers through `provision preview --require-sandbox` under every
# Python 3 and Node.js this machine has (pyenv's versions, /usr/bin/python3.*, the node on PATH
# and each `bin` directory named in NODE_DIRS, colon-separated), and prints what each check
# answered: every one must be "ok" under the system call allow list (src/sandbox/syscalls.rs).
#   PROVISION=target/release/provision NODE_DIRS=/opt/node18/bin:/opt/node22/bin scripts/sandbox-runtimes.sh
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
provision="$(realpath "${PROVISION:-target/debug/provision}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

# One project per language: the default stack with the probe as its handler.
project() {
  local dir="$work/$1" runtime="$2" file="$3"
  mkdir -p "$dir/examples/lambda/metadata_extractor"
  sed "s/runtime = \"python3.12\"/runtime = \"$runtime\"/" "$repo/stack.toml" > "$dir/stack.toml"
  cp "$repo/tests/runtime-probe/$1/$file" "$dir/examples/lambda/metadata_extractor/$file"
  echo '{"a": 1}' > "$dir/one.jsonl"
}
project python python3.12 index.py
project node nodejs20.x index.mjs

run() {
  local language="$1" label="$2"; shift 2
  local out
  out="$(cd "$work/$language" && env "$@" "$provision" --require-sandbox preview --records one.jsonl --json 2>&1)"
  local checks
  checks="$(printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin)["records"][0]["partition_keys"]; c=json.loads(r["checks"]); bad={k:v for k,v in c.items() if v!="ok"}; print(r["version"], "ok:", len(c)-len(bad), "failed:", json.dumps(bad) if bad else 0)' 2>/dev/null)"
  if [ -z "$checks" ] || [[ "$checks" != *"failed: 0" ]]; then
    failed=1
    printf '%-34s FAILED %s\n' "$label" "${checks:-$(printf '%s' "$out" | tail -3)}"
  else
    printf '%-34s %s\n' "$label" "$checks"
  fi
}

for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(9|[1-9][0-9])'); do
  run python "python $version (pyenv)" PYENV_VERSION="$version"
done
for python in /usr/bin/python3.[0-9]*; do
  [[ "$python" =~ python3\.[0-9]+$ ]] || continue
  mkdir -p "$work/bin-$(basename "$python")" && ln -sf "$python" "$work/bin-$(basename "$python")/python3"
  run python "$python" PATH="$work/bin-$(basename "$python"):/usr/bin:/bin"
done
command -v node >/dev/null && run node "node $(node --version) ($(command -v node))"
IFS=: read -ra dirs <<< "${NODE_DIRS:-}"
for dir in "${dirs[@]}"; do
  [ -x "$dir/node" ] && run node "node $("$dir/node" --version) ($dir)" PATH="$dir:$PATH"
done
exit "$failed"
