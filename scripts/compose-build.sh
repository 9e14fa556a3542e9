#!/usr/bin/env bash
# Builds Docker Compose v2 (the peer of the converge benchmarks and the reference for the compose
# loader) from the Go module proxy and caches it as ~/.cache/berth/compose/<version>/docker-compose.
# Prints the binary's path. It installs it as a Docker CLI plugin too (~/.docker/cli-plugins), so
# `docker compose` works.
#
# The module needs a newer Go than Debian's (GOTOOLCHAIN fetches it through the module proxy), and
# `go install pkg@version` refuses its go.mod's exclude lines, so the module is downloaded and
# built inside its own directory.
set -euo pipefail

VERSION="${BERTH_COMPOSE_VERSION:-v2.40.3}"
TOOLCHAIN="${BERTH_COMPOSE_GOTOOLCHAIN:-go1.27.3}"
CACHE="${BERTH_COMPOSE_CACHE:-$HOME/.cache/berth/compose}"
OUT="$CACHE/$VERSION/docker-compose"
log() { echo "berth: $*" >&2; }

install_plugin() {
  mkdir -p "$HOME/.docker/cli-plugins"
  ln -sf "$OUT" "$HOME/.docker/cli-plugins/docker-compose"
}

if [[ -x "$OUT" ]] && "$OUT" version >/dev/null 2>&1; then
  install_plugin
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { log "go is required to build Docker Compose"; exit 1; }
export GOTOOLCHAIN="$TOOLCHAIN"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
log "building Docker Compose $VERSION with $TOOLCHAIN (a few minutes on a cold cache)"
dir="$(cd /tmp && go mod download -json "github.com/docker/compose/v2@$VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
[[ -n "$dir" && -d "$dir" ]] || { log "go mod download of github.com/docker/compose/v2@$VERSION failed"; exit 1; }
mkdir -p "$(dirname "$OUT")"
# The module cache is read-only; build from it into our cache, stamping the version as its Makefile does.
(cd "$dir" && go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" -o "$OUT.tmp" ./cmd)
mv "$OUT.tmp" "$OUT"
install_plugin
"$OUT" version >&2
echo "$OUT"
