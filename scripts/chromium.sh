#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed for the dashboard tests and benchmark
# (driven by npm playwright-core). Idempotent: an installed browser is left alone.
#
#   bash scripts/chromium.sh      prints the browser's path on stdout
#
# As root, Debian's `chromium` package is installed with apt-get (after `apt-get update` when the
# package lists do not know it); otherwise the script prints the command to run and fails.
#
# Environment:
#   BERTH_CHROMIUM   path of a browser to use instead (e.g. a Chrome already on the machine)
set -euo pipefail

log() { echo "chromium: $*" >&2; }

find_browser() {
  local candidate
  for candidate in "${BERTH_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if path="$(find_browser)"; then
  echo "$path"
  exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  log "Chromium is not installed; run: sudo apt-get install -y chromium (or set BERTH_CHROMIUM)"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
  log "apt-get update ..."
  apt-get update -qq >&2
fi
log "apt-get install chromium ..."
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
path="$(find_browser)" || {
  log "apt-get installed chromium but no browser binary was found"
  exit 1
}
echo "$path"
