#!/usr/bin/env bash
# Builds the release archive of provision for one target, as the release workflow publishes it
# and as `cargo binstall provision` expects it ([package.metadata.binstall] in Cargo.toml):
#   target/dist/provision-<TARGET>.tar.gz   holding   provision-<TARGET>/provision (+ README, LICENSE)
#   target/dist/provision-<TARGET>.tar.gz.sha256
# then checks that the archive's layout is the one binstall's template names and that the binary
# runs. Usage: scripts/dist.sh [TARGET]   (default: this machine's target; the workflow passes
# each target it builds, with the matching toolchain installed).
set -euo pipefail
cd "$(dirname "$0")/.."
host="$(rustc -vV | sed -n 's/^host: //p')"
target="${1:-$host}"
name=provision
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
build_start=$SECONDS
if [ "$target" = "$host" ]; then
  cargo build --release --locked --bin "$name"
  binary="target/release/$name"
else
  cargo build --release --locked --bin "$name" --target "$target"
  binary="target/$target/release/$name"
fi
echo "release build of $name for $target: $((SECONDS - build_start)) s"
ext=""
case "$target" in *windows*) ext=".exe" ;; esac
dir="$name-$target"
out="target/dist"
rm -rf "$out/$dir" && mkdir -p "$out/$dir"
cp "$binary$ext" "$out/$dir/"
cp README.md LICENSE "$out/$dir/"
archive="$dir.tar.gz"
tar -C "$out" -czf "$out/$archive" "$dir"
(cd "$out" && sha256sum "$archive" > "$archive.sha256")

# The archive is what binstall's template names: pkg-url's file, bin-dir's path inside it.
pkg_url="$(sed -n 's/^pkg-url = "\(.*\)"/\1/p' Cargo.toml)"
bin_dir="$(sed -n 's/^bin-dir = "\(.*\)"/\1/p' Cargo.toml)"
render() { sed -e "s/{ name }/$name/g; s/{ target }/$target/g; s/{ version }/$version/g; s/{ bin }/$name/g; s/{ binary-ext }/$ext/g; s/{ archive-format }/tar.gz/g"; }
expected_file="$(printf '%s' "$pkg_url" | render | sed 's#.*/##')"
expected_bin="$(printf '%s' "$bin_dir" | render)"
[ "$expected_file" = "$archive" ] || { echo "binstall's pkg-url names $expected_file, the archive is $archive" >&2; exit 1; }
tar -tzf "$out/$archive" | grep -qx "$expected_bin" || { echo "the archive holds no $expected_bin (binstall's bin-dir)" >&2; exit 1; }
(cd "$out" && sha256sum -c --quiet "$archive.sha256")

# The binary in the archive runs, on its own (no Rust toolchain, no repository beside it).
check="$(mktemp -d)"
trap 'rm -rf "$check"' EXIT
tar -C "$check" -xzf "$out/$archive"
if [ "$target" = "$host" ]; then
  "$check/$expected_bin" --version | grep -qx "$name $version"
  (cd "$check" && printf '[stack]\nname = "dist-check"\n[bucket.data]\nname = "dist-check-bucket"\n' > stack.toml \
    && "$check/$expected_bin" validate >/dev/null)
  echo "$out/$archive: $("$check/$expected_bin" --version), $(du -h "$out/$archive" | cut -f1), runs (--version, validate)"
else
  echo "$out/$archive built (not run: $target is not this machine's target)"
fi
