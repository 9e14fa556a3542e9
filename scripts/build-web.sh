#!/usr/bin/env bash
# Builds the dashboard into web/dist (served by the daemon at /): compiles the TypeScript modules
# of web/src with tsc (plain ES modules, no bundler, no runtime dependency) into web/dist/assets
# and copies web/static. The new build replaces the old one in one rename.
#
#   bash scripts/build-web.sh           build
#   bash scripts/build-web.sh --if-stale build only when a source is newer than the build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${1:-}" == "--if-stale" && -f web/dist/index.html ]]; then
  if [[ -z "$(find web/src web/static web/tsconfig.json -newer web/dist/index.html -print -quit)" ]]; then
    exit 0
  fi
fi

echo "berth: building the dashboard (web/dist) ..." >&2
tmp="web/dist.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
node_modules/.bin/tsc -p web/tsconfig.json --outDir "$tmp/assets"
cp web/static/style.css "$tmp/assets/"
cp web/static/index.html "$tmp/"
old="web/dist.old.$$"
if [[ -d web/dist ]]; then mv web/dist "$old"; fi
mv "$tmp" web/dist
rm -rf "$old"
