#!/usr/bin/env bash
# Brings up the real services the integration tests run against, on loopback:
#   Docker Engine (dockerd), the test image berth-test/busybox:1, redis-server and nats-server.
#
#   bash scripts/test-env.sh up       start what is missing (idempotent), write the settings file
#   bash scripts/test-env.sh status   print what is up; exit 0 when everything is up, 1 otherwise
#   bash scripts/test-env.sh down     stop the services that this script started (never others)
#   bash scripts/test-env.sh docker   only the Docker engine and the test image (what `npm start` needs)
#
# As root, missing Debian packages are installed with apt-get; otherwise the script prints the
# apt-get command to run. A service that already answers is left alone.
#
# Environment:
#   DOCKER_HOST              Docker endpoint to use (default unix:///var/run/docker.sock)
#   BERTH_TEST_IMAGE         test image tag (default berth-test/busybox:1)
#   BERTH_TEST_REDIS_PORT    redis-server port on 127.0.0.1 (default 6399)
#   BERTH_TEST_NATS_PORT     nats-server port on 127.0.0.1 (default 4299)
#   BERTH_TEST_ENV_FILE      settings file (default <repo>/.cache/test-env.json)
#   BERTH_TEST_DOCKERD_ARGS  extra arguments for a dockerd started here
#   BERTH_TEST_ENV_TIMEOUT   seconds to wait for each service (default 60)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.cache/test-env"
ENV_FILE="${BERTH_TEST_ENV_FILE:-$ROOT/.cache/test-env.json}"
IMAGE="${BERTH_TEST_IMAGE:-berth-test/busybox:1}"
REDIS_PORT="${BERTH_TEST_REDIS_PORT:-6399}"
NATS_PORT="${BERTH_TEST_NATS_PORT:-4299}"
TIMEOUT="${BERTH_TEST_ENV_TIMEOUT:-60}"
DOCKER_ENDPOINT="${DOCKER_HOST:-unix:///var/run/docker.sock}"

DOCKERD_PID="$STATE/dockerd.pid"
DOCKERD_LOG="$STATE/dockerd.log"
REDIS_DIR="$STATE/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
NATS_DIR="$STATE/nats"
NATS_PID="$NATS_DIR/nats-server.pid"
NATS_LOG="$NATS_DIR/nats-server.log"
NATS_OUT="$NATS_DIR/nats-server.out"

# Applets the test image must provide (it gets a link for every applet busybox has).
APPLETS=(sh httpd nc wget sleep echo date cat ls env printf true false kill ps mkdir rm seq yes head
  tail grep hostname)

# dockerd and nats-server live in /usr/sbin, which a non-root PATH often lacks.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { echo "test-env: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
have() {
  local path
  path="$(command -v "$1" 2>/dev/null)" && [[ -x "$path" ]]
}

# Prints the last lines of a log file to stderr, for failures.
log_tail() {
  if [[ -f "$1" ]]; then
    log "last lines of $1:"
    tail -n 25 "$1" | sed 's/^/  | /' >&2
  fi
}

# Prints the pid in pidfile $1 when that process is alive and its command name is $2.
owned_pid() {
  local pid comm
  [[ -f "$1" ]] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n "$pid" ]] || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
  [[ "$comm" == "$2" ]] || return 1
  echo "$pid"
}

# Waits up to TIMEOUT seconds for probe $1 to succeed; gives up early when the daemon started
# here (pid $2, if set) has exited.
wait_until() {
  local probe="$1" pid="${2:-}" deadline=$((SECONDS + TIMEOUT))
  until "$probe"; do
    ((SECONDS < deadline)) || return 1
    [[ -z "$pid" || -e "/proc/$pid" ]] || return 1
    sleep 0.2
  done
}

# Pids of the daemons that this run of `up` started.
DOCKERD_STARTED=""
REDIS_STARTED=""
NATS_STARTED=""

# --- probes ---------------------------------------------------------------------------------

docker_ok() { have docker && DOCKER_HOST="$DOCKER_ENDPOINT" timeout 10 docker info >/dev/null 2>&1; }
image_ok() { docker_ok && DOCKER_HOST="$DOCKER_ENDPOINT" docker image inspect "$IMAGE" >/dev/null 2>&1; }
redis_ok() { have redis-cli && [[ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

# A NATS server greets every client with an INFO line.
# shellcheck disable=SC2016 # $1 expands in the inner bash
nats_ok() {
  local greeting
  greeting="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && head -c 4 <&3' _ "$NATS_PORT" 2>/dev/null)" || return 1
  [[ "$greeting" == INFO ]]
}

# shellcheck disable=SC2016 # $1 expands in the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# --- packages -------------------------------------------------------------------------------

# The static busybox from Debian's busybox-static; a dynamic one cannot run in an empty rootfs.
busybox_path() {
  local bb
  for bb in /bin/busybox /usr/bin/busybox; do
    if [[ -x "$bb" ]] && ! ldd "$bb" >/dev/null 2>&1; then
      echo "$bb"
      return 0
    fi
  done
  return 1
}

# Lists the Debian packages that `up` needs and that are not installed.
missing_packages() {
  local pkgs=()
  if ! docker_ok && { ! have dockerd || ! have docker; }; then pkgs+=(docker.io); fi
  if ! image_ok && ! busybox_path >/dev/null; then pkgs+=(busybox-static); fi
  # `docker` scope (npm start) needs only the engine and the image
  if [[ "${BERTH_TEST_ENV_SCOPE:-all}" == all ]]; then
    if ! redis_ok && { ! have redis-server || ! have redis-cli; }; then pkgs+=(redis-server); fi
    if ! nats_ok && ! have nats-server; then pkgs+=(nats-server); fi
    # promtool checks the /metrics format in the integration tests
    if ! have promtool; then pkgs+=(prometheus); fi
  fi
  echo "${pkgs[@]}"
}

install_packages() {
  local pkgs
  read -ra pkgs <<<"$(missing_packages)"
  ((${#pkgs[@]} > 0)) || return 0
  if ((EUID != 0)); then
    die "missing packages: ${pkgs[*]}; install them as root: apt-get install -y ${pkgs[*]}"
  fi
  log "installing ${pkgs[*]} with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "${pkgs[@]}" >&2; then
    log "apt-get install failed; running apt-get update and trying once more ..."
    apt-get update -q >&2 || true
    apt-get install -y -q "${pkgs[@]}" >&2 || die "apt-get install -y ${pkgs[*]} failed (see above)"
  fi
}

# --- docker ---------------------------------------------------------------------------------

# Starts dockerd in the background when Docker does not answer; wait_docker waits for it.
start_docker() {
  if docker_ok; then
    log "docker answers at $DOCKER_ENDPOINT; leaving it alone"
    return 0
  fi
  if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != unix:///var/run/docker.sock ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine, or unset DOCKER_HOST to use a local dockerd"
  fi
  if ((EUID != 0)); then
    die "docker does not answer at $DOCKER_ENDPOINT for user $(id -un); start dockerd as root" \
      "(sudo dockerd &), add the user to the docker group, or set DOCKER_HOST"
  fi
  if owned_pid "$DOCKERD_PID" dockerd >/dev/null || { have pgrep && pgrep -x dockerd >/dev/null; }; then
    log "dockerd is running but not answering yet; waiting for it ..."
    return 0
  fi
  local extra=()
  read -ra extra <<<"${BERTH_TEST_DOCKERD_ARGS:-}"
  log "starting dockerd (log $DOCKERD_LOG) ..."
  # fd 9 is the state lock: daemons must not inherit it.
  setsid dockerd --pidfile "$DOCKERD_PID" "${extra[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  DOCKERD_STARTED=$!
}

wait_docker() {
  if ! wait_until docker_ok "$DOCKERD_STARTED"; then
    log_tail "$DOCKERD_LOG"
    die "docker did not answer at $DOCKER_ENDPOINT (waited up to ${TIMEOUT}s; log $DOCKERD_LOG)"
  fi
  log "docker is up ($(DOCKER_HOST="$DOCKER_ENDPOINT" docker version --format '{{.Server.Version}}'))"
}

# --- test image -----------------------------------------------------------------------------

# Builds $IMAGE with `docker import` from a rootfs made of the static busybox and its applets.
build_image() {
  local bb work applet
  bb="$(busybox_path)" || die "no static busybox found; install busybox-static"
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" EXIT
  log "building $IMAGE from $bb with docker import ..."
  mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/root" "$work/rootfs/tmp" "$work/rootfs/usr"
  chmod 1777 "$work/rootfs/tmp"
  cp "$bb" "$work/rootfs/bin/busybox"
  for applet in $("$bb" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$work/rootfs/bin/$applet"
  done
  for applet in "${APPLETS[@]}"; do
    [[ -L "$work/rootfs/bin/$applet" ]] || die "$bb has no '$applet' applet"
  done
  ln -s bin "$work/rootfs/sbin"
  ln -s ../bin "$work/rootfs/usr/bin"
  ln -s ../bin "$work/rootfs/usr/sbin"
  echo "root:x:0:0:root:/root:/bin/sh" >"$work/rootfs/etc/passwd"
  echo "root:x:0:" >"$work/rootfs/etc/group"
  tar -C "$work/rootfs" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
  DOCKER_HOST="$DOCKER_ENDPOINT" docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' \
    "$work/rootfs.tar" "$IMAGE" >/dev/null
}

# Runs the image once and checks that every applet the tests use is there.
check_image() {
  local out
  out="$(DOCKER_HOST="$DOCKER_ENDPOINT" docker run --rm --label berth.dev/test=true "$IMAGE" \
    sh -c 'for a in "$@"; do [ -x "/bin/$a" ] || echo "missing applet: $a"; done; echo ok' _ "${APPLETS[@]}")"
  [[ "$out" == ok ]] || die "image $IMAGE failed its check: $out"
}

ensure_image() {
  if image_ok; then
    log "image $IMAGE is present"
    return 0
  fi
  build_image
  check_image
  log "image $IMAGE built and checked"
}

# --- redis ----------------------------------------------------------------------------------

start_redis() {
  if redis_ok; then
    log "redis answers on 127.0.0.1:$REDIS_PORT; leaving it alone"
    return 0
  fi
  port_open "$REDIS_PORT" && die "port 127.0.0.1:$REDIS_PORT is taken by something that is not redis; set BERTH_TEST_REDIS_PORT"
  mkdir -p "$REDIS_DIR"
  log "starting redis-server on 127.0.0.1:$REDIS_PORT (log $REDIS_LOG) ..."
  setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize no --dir "$REDIS_DIR" \
    --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --save '' --appendonly no </dev/null >/dev/null 2>&1 9>&- &
  REDIS_STARTED=$!
}

wait_redis() {
  if ! wait_until redis_ok "$REDIS_STARTED"; then
    log_tail "$REDIS_LOG"
    die "redis did not answer PING on 127.0.0.1:$REDIS_PORT (waited up to ${TIMEOUT}s; log $REDIS_LOG)"
  fi
  log "redis is up on 127.0.0.1:$REDIS_PORT"
}

# --- nats -----------------------------------------------------------------------------------

start_nats() {
  if nats_ok; then
    log "nats answers on 127.0.0.1:$NATS_PORT; leaving it alone"
    return 0
  fi
  port_open "$NATS_PORT" && die "port 127.0.0.1:$NATS_PORT is taken by something that is not nats; set BERTH_TEST_NATS_PORT"
  mkdir -p "$NATS_DIR"
  log "starting nats-server on 127.0.0.1:$NATS_PORT (log $NATS_LOG) ..."
  setsid nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$NATS_DIR" -P "$NATS_PID" -l "$NATS_LOG" \
    </dev/null >>"$NATS_OUT" 2>&1 9>&- &
  NATS_STARTED=$!
}

wait_nats() {
  if ! wait_until nats_ok "$NATS_STARTED"; then
    log_tail "$NATS_OUT"
    log_tail "$NATS_LOG"
    die "nats did not answer on 127.0.0.1:$NATS_PORT (waited up to ${TIMEOUT}s; log $NATS_LOG)"
  fi
  log "nats is up on 127.0.0.1:$NATS_PORT"
}

# --- stopping -------------------------------------------------------------------------------

wait_for_exit() {
  local deadline=$((SECONDS + TIMEOUT))
  while [[ -e "/proc/$1" ]]; do
    ((SECONDS < deadline)) || die "$2 (pid $1) did not stop within ${TIMEOUT}s"
    sleep 0.2
  done
}

# Stops the process in pidfile $1 named $2, if this script started it.
stop_owned() {
  local pid
  if ! pid="$(owned_pid "$1" "$2")"; then
    log "$2 was not started by this script; leaving it alone"
    return 0
  fi
  log "stopping $2 (pid $pid) ..."
  kill "$pid"
  wait_for_exit "$pid" "$2"
  rm -f "$1"
}

# --- commands -------------------------------------------------------------------------------

json_escape() {
  local s="${1//\\/\\\\}"
  printf '%s' "${s//\"/\\\"}"
}

write_env_file() {
  local tmp="$ENV_FILE.tmp.$$"
  mkdir -p "$(dirname "$ENV_FILE")"
  cat >"$tmp" <<JSON
{
  "dockerHost": "$(json_escape "$DOCKER_ENDPOINT")",
  "image": "$(json_escape "$IMAGE")",
  "redisUrl": "redis://127.0.0.1:$REDIS_PORT",
  "natsUrl": "nats://127.0.0.1:$NATS_PORT"
}
JSON
  mv "$tmp" "$ENV_FILE"
  log "settings written to $ENV_FILE"
  cat "$ENV_FILE"
}

# Every file-mode daemon the tests start holds inotify instances, and so does every dockerd (a
# private one with many containers holds over a hundred); Debian's default of 128 per user runs out.
raise_inotify_limit() {
  local now
  now="$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 0)"
  if [ "$now" -lt 1024 ] && [ "$(id -u)" = 0 ]; then
    sysctl -q -w fs.inotify.max_user_instances=1024 || log "could not raise fs.inotify.max_user_instances ($now)"
  fi
}

cmd_up() {
  install_packages
  raise_inotify_limit
  start_docker
  start_redis
  start_nats
  wait_redis
  wait_nats
  wait_docker
  ensure_image
  write_env_file
}

cmd_down() {
  stop_owned "$NATS_PID" nats-server
  stop_owned "$REDIS_PID" redis-server
  stop_owned "$DOCKERD_PID" dockerd
}

# Prints one status line: name, up/down, where, and who started it; fails when down.
status_line() {
  local name="$1" probe="$2" where="$3" pidfile="${4:-}" comm="${5:-}" state=down who="" pid
  "$probe" && state=up
  if [[ -n "$pidfile" ]] && pid="$(owned_pid "$pidfile" "$comm")"; then
    who=" (started by test-env, pid $pid)"
  fi
  printf '%-7s %-5s %s%s\n' "$name" "$state" "$where" "$who"
  [[ "$state" == up ]]
}

cmd_status() {
  local down=0
  status_line docker docker_ok "$DOCKER_ENDPOINT" "$DOCKERD_PID" dockerd || down=1
  status_line image image_ok "$IMAGE" || down=1
  status_line redis redis_ok "redis://127.0.0.1:$REDIS_PORT" "$REDIS_PID" redis-server || down=1
  status_line nats nats_ok "nats://127.0.0.1:$NATS_PORT" "$NATS_PID" nats-server || down=1
  return "$down"
}

# Serializes concurrent up/down runs from the same checkout.
lock_state() {
  mkdir -p "$STATE"
  if have flock; then
    exec 9>"$STATE/lock"
    flock -w 600 9 || die "another test-env run holds $STATE/lock"
  fi
}

case "${1:-}" in
  up)
    lock_state
    cmd_up
    ;;
  down)
    lock_state
    cmd_down
    ;;
  docker)
    lock_state
    BERTH_TEST_ENV_SCOPE=docker install_packages
    start_docker
    wait_docker
    ensure_image
    ;;
  status) cmd_status ;;
  *)
    echo "usage: bash scripts/test-env.sh up|down|status|docker" >&2
    exit 2
    ;;
esac
