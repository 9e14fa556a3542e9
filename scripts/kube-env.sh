#!/usr/bin/env bash
# A real Kubernetes control plane for tests, on loopback: etcd and kube-apiserver built from the
# Go module proxy (scripts/kube-build.sh, cached under ~/.cache), started with envtest-style flags
# (RBAC authorization, service-account signing keys, a client CA), plus an admin kubeconfig.
#
#   bash scripts/kube-env.sh up       build what is missing, start what is not running (idempotent)
#   bash scripts/kube-env.sh status   exit 0 when the apiserver answers /readyz
#   bash scripts/kube-env.sh down     stop etcd and kube-apiserver started here, remove their data
#   bash scripts/kube-env.sh stop-apiserver | start-apiserver   (outage tests)
#
# `up` writes <repo>/.cache/kube-env.json:
#   {"kubeconfig": ..., "server": ..., "bin": ..., "kubectl": ..., "helm": ...}
#
# Environment: BERTH_KUBE_APISERVER_PORT (default 16443), BERTH_KUBE_ETCD_PORT (default 12379),
# BERTH_KUBE_ENV_TIMEOUT seconds to wait for each component (default 90).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.cache/kube-env"
ENV_FILE="$ROOT/.cache/kube-env.json"
API_PORT="${BERTH_KUBE_APISERVER_PORT:-16443}"
ETCD_PORT="${BERTH_KUBE_ETCD_PORT:-12379}"
ETCD_PEER_PORT=$((ETCD_PORT + 1))
TIMEOUT="${BERTH_KUBE_ENV_TIMEOUT:-90}"
PKI="$STATE/pki"
KUBECONFIG_FILE="$STATE/kubeconfig"
SERVER="https://127.0.0.1:$API_PORT"

log() { echo "kube-env: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() { # <pidfile>
  if alive "$1"; then
    local pid
    pid="$(cat "$1")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# Keys and certificates: a CA that signs the serving certificate and the admin client certificate
# (group system:masters), and a service-account signing key pair.
pki() {
  [[ -f "$PKI/admin.crt" ]] && return 0
  command -v openssl >/dev/null || die "openssl is required (apt-get install -y openssl)"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=berth-test-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout serving.key -out serving.csr \
      -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >serving.ext
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out serving.crt \
      -days 3650 -extfile serving.ext 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
      -subj "/O=system:masters/CN=berth-admin" 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt \
      -days 3650 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

kubeconfig() {
  cat >"$KUBECONFIG_FILE" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: berth-test
    cluster:
      server: $SERVER
      certificate-authority: $PKI/ca.crt
users:
  - name: berth-admin
    user:
      client-certificate: $PKI/admin.crt
      client-key: $PKI/admin.key
contexts:
  - name: berth-test
    context:
      cluster: berth-test
      user: berth-admin
      namespace: default
current-context: berth-test
KC
}

wait_for() { # <what> <command...>
  local what="$1"
  shift
  for _ in $(seq 1 $((TIMEOUT * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "$what did not come up within ${TIMEOUT}s; last log lines:"
  tail -n 30 "$STATE/$what.log" >&2 || true
  return 1
}

# Fails with the holder named when another process (another checkout's control plane, say)
# listens on a port this one needs.
need_port() { # <port> <what>
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 0
  local holder=""
  command -v ss >/dev/null && holder="$(ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'users:.*' | head -1)"
  die "127.0.0.1:$1, needed for $2, is taken${holder:+ by $holder}. Stop it (another checkout: \
bash <checkout>/scripts/kube-env.sh down) or choose other ports with BERTH_KUBE_APISERVER_PORT \
and BERTH_KUBE_ETCD_PORT."
}

api_ready() {
  curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$SERVER/readyz"
}

start_etcd() {
  alive "$STATE/etcd.pid" && return 0
  need_port "$ETCD_PORT" etcd
  need_port "$ETCD_PEER_PORT" "etcd's peer URL"
  log "starting etcd on 127.0.0.1:$ETCD_PORT"
  mkdir -p "$STATE/etcd-data"
  nohup "$BIN/etcd" --data-dir "$STATE/etcd-data" --name berth-test \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "berth-test=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --log-level warn >"$STATE/etcd.log" 2>&1 9>&- &
  echo $! >"$STATE/etcd.pid"
  wait_for etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  if alive "$STATE/kube-apiserver.pid"; then
    # Running but not ready (e.g. etcd was just restarted): give it time before replacing it.
    (TIMEOUT=30 wait_for kube-apiserver api_ready) && return 0
    stop_pid "$STATE/kube-apiserver.pid"
  fi
  need_port "$API_PORT" kube-apiserver
  log "starting kube-apiserver on $SERVER"
  nohup "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --tls-cert-file "$PKI/serving.crt" --tls-private-key-file "$PKI/serving.key" \
    --client-ca-file "$PKI/ca.crt" \
    --authorization-mode RBAC \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/24 \
    --allow-privileged=true --enable-priority-and-fairness=false \
    --disable-admission-plugins ServiceAccount \
    --cert-dir "$STATE/cert" >"$STATE/kube-apiserver.log" 2>&1 9>&- &
  echo $! >"$STATE/kube-apiserver.pid"
  wait_for kube-apiserver api_ready
}

write_env() {
  local kubectl="$BIN/kubectl" helm="$BIN/helm"
  cat >"$ENV_FILE" <<JSON
{
  "kubeconfig": "$KUBECONFIG_FILE",
  "server": "$SERVER",
  "bin": "$BIN",
  "kubectl": "$kubectl",
  "helm": "$helm"
}
JSON
}

up() {
  mkdir -p "$STATE"
  # One `up` at a time: a second one (a test's kubeEnv() while scripts/test.sh's background
  # `up` still builds) waits here, then finds everything running.
  exec 9>"$STATE/up.lock"
  flock 9
  BIN="$(bash "$ROOT/scripts/kube-build.sh")"
  pki
  kubeconfig
  start_etcd
  start_apiserver
  write_env
  log "up: KUBECONFIG=$KUBECONFIG_FILE"
  cat "$ENV_FILE"
}

case "${1:-up}" in
  up) up ;;
  status) api_ready >/dev/null 2>&1 && [[ -f "$PKI/ca.crt" ]] ;;
  stop-apiserver) stop_pid "$STATE/kube-apiserver.pid" ;;
  start-apiserver)
    BIN="$(bash "$ROOT/scripts/kube-build.sh")"
    start_apiserver
    ;;
  down)
    stop_pid "$STATE/kube-apiserver.pid"
    stop_pid "$STATE/etcd.pid"
    rm -rf "$STATE/etcd-data" "$ENV_FILE"
    ;;
  *) die "usage: $0 up|status|down|stop-apiserver|start-apiserver" ;;
esac
