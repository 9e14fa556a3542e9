#!/usr/bin/env bash
# Builds kube-apiserver, kubectl, etcd and helm from the Go module proxy and caches them under
# ~/.cache/berth/kube/<versions>/bin. Prints that bin directory. kubectl is built at the server's
# version because Debian's kubernetes-client (1.20) is far outside kubectl's +/-1 version skew.
#
# k8s.io/kubernetes is not meant to be a dependency: its go.mod points every k8s.io/* staging
# module at ./staging. A small wrapper module requires it and replaces each staging module by its
# published v0.x release of the same minor and patch.
set -euo pipefail

K8S_VERSION="${BERTH_K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${BERTH_ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${BERTH_HELM_VERSION:-v3.19.0}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"

CACHE="${BERTH_KUBE_CACHE:-$HOME/.cache/berth/kube}"
BIN="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION/bin"
mkdir -p "$BIN"
log() { echo "berth: $*" >&2; }

command -v go >/dev/null || { log "go is required to build kube-apiserver, etcd and helm"; exit 1; }
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

build_kube() {
  local dir="$CACHE/src/kubernetes-$K8S_VERSION"
  local gomod
  gomod="$(cd /tmp && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  local replaces
  replaces="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$STAGING_VERSION"'#p' "$gomod")"
  [[ -n "$replaces" ]] || { log "found no staging modules in $gomod"; exit 1; }
  mkdir -p "$dir"
  cat >"$dir/go.mod" <<MOD
module berth.dev/build/kubernetes

go 1.24

require k8s.io/kubernetes $K8S_VERSION

$replaces
MOD
  cat >"$dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  cd "$dir"
  log "resolving k8s.io/kubernetes $K8S_VERSION with staging modules at $STAGING_VERSION"
  go mod tidy >&2
  # The version the binaries report (clients such as helm parse it), as the release build stamps it.
  local minor="${K8S_VERSION#v1.}"
  minor="${minor%%.*}"
  local ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  if ! stamped "$BIN/kube-apiserver"; then
    log "building kube-apiserver (several minutes on a cold cache)"
    go build -ldflags "$ldflags" -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  fi
  if ! stamped "$BIN/kubectl"; then
    log "building kubectl"
    go build -ldflags "$ldflags" -o "$BIN/kubectl" k8s.io/kubernetes/cmd/kubectl
  fi
}

build_main() { # <name> <module> <version> <package> [ldflags]
  local name="$1" module="$2" version="$3" pkg="$4" ldflags="${5:-}"
  [[ -x "$BIN/$name" ]] && [[ -z "$ldflags" ]] && return 0
  stamped "$BIN/$name" "$version" && return 0
  local dir="$CACHE/src/$name-$version"
  mkdir -p "$dir"
  cat >"$dir/go.mod" <<MOD
module berth.dev/build/$name

go 1.24

require $module $version
MOD
  cat >"$dir/tools.go" <<GO
//go:build tools

package tools

import _ "$pkg"
GO
  log "building $name $version"
  (cd "$dir" && go mod tidy >&2 && go build -ldflags "$ldflags" -o "$BIN/$name" "$pkg")
}

# True when <binary> exists and reports K8S_VERSION.
stamped() { # <binary> [version]
  local args=(--version) version="${2:-$K8S_VERSION}"
  case "$(basename "$1")" in
    kubectl) args=(version --client) ;;
    helm) args=(version --short) ;;
  esac
  [[ -x "$1" ]] && [[ "$("$1" "${args[@]}" 2>/dev/null)" == *"$version"* ]]
}

if ! stamped "$BIN/kube-apiserver" || ! stamped "$BIN/kubectl"; then
  (build_kube)
fi
build_main etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
build_main helm helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
echo "$BIN"
