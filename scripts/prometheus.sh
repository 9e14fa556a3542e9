#!/usr/bin/env bash
# Makes sure Debian's Prometheus is installed: `prometheus` (the alert rules' and dashboard's
# integration test runs it) and `promtool` (`promtool check rules` and `promtool test rules` in
# the unit tests). Idempotent: does nothing when both are on PATH. As root it installs the
# `prometheus` package with apt-get; otherwise it prints the command to run and fails.
# The Debian package's own service is not used: tests start Prometheus on loopback themselves.
set -euo pipefail

log() { echo "prometheus.sh: $*" >&2; }

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  log "prometheus and promtool are missing; install them as root: apt-get install -y prometheus"
  exit 1
fi
log "installing prometheus (with promtool) with apt-get ..."

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends prometheus >&2; then
  log "apt-get install failed; running apt-get update and trying once more ..."
  apt-get update -q >&2 || true
  apt-get install -y -q --no-install-recommends prometheus >&2
fi
command -v promtool >/dev/null || { log "promtool is still missing after the install"; exit 1; }
