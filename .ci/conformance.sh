#!/usr/bin/env bash
# Gate: the official MCP conformance suite's server scenarios for one protocol revision,
# against a live server, compared with the committed baseline of expected failures.
#
#   .ci/conformance.sh BINARY_OR_COMMAND REVISION [results-dir]
#
# REVISION is 2025-11-25 or 2026-07-28: the suite runs exactly the scenarios that revision
# requires (`--requirements`, frozen at its release, including the ones it runs but does not
# score) and reads .ci/conformance-baseline-REVISION.yaml (`--expected-failures`).
# BINARY_OR_COMMAND is started as `BINARY_OR_COMMAND $CONFORMANCE_SERVER_ARGS` (unset: `serve`;
# set it empty for target/debug/examples/conformance_server, which takes none) with the same
# MCP_OAUTH__* environment as `mcp-oauth serve`: a free loopback port, a scratch SQLite
# database, rate limits off (the suite fires requests far faster than any client), metrics off,
# and MCP_OAUTH__MCP__STATEFUL=true for 2025-11-25 (sampling, elicitation and the session
# scenarios need a session) or false for 2026-07-28 (a stateless revision).
#
# The suite cannot send an Authorization header, so a loopback-only node proxy in front of the
# server adds `Bearer <token>` (a client_credentials token of the seeded claude_ai_client, every
# scope); Host and Origin pass through untouched, so dns-rebinding-protection tests ours.
#
# Prints one line per scenario with the reason for each failure or skip, then
#   MCP conformance REVISION: N of M server scenarios passed (F failed, S skipped; scored: …)
# Exits 0 when every failing or skipped scenario is in the baseline and no baseline entry is
# stale; 1 when the run does not match the baseline (an unexpected failure or skip, a stale
# entry, a scenario timeout or crash) or the suite timed out; 2 when the server, the token,
# the proxy or the suite could not be set up. The judging is .ci/conformance-gate.mjs, and
# the suite's own baseline verdict (its exit code) must agree. Loopback only.
# Optional: results-dir keeps each scenario's checks.json and the logs;
# CONFORMANCE_TIMEOUT_SECS bounds the whole suite run (default 300).
set -euo pipefail

SUITE=${CONFORMANCE_SUITE_PKG:-@modelcontextprotocol/conformance@0.2.0-alpha.12}
NODE_PKG=${CONFORMANCE_NODE_PKG:-node@22.23.3}
SUITE_TIMEOUT=${CONFORMANCE_TIMEOUT_SECS:-300}
HEALTH_TIMEOUT=30
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "conformance: error: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: $0 BINARY_OR_COMMAND REVISION [results-dir]"
bin=$(command -v "$1" || true)
[ -n "$bin" ] && [ -x "$bin" ] || die "not an executable: $1"
bin=$(realpath "$bin")
revision=$2
case "$revision" in
  2025-11-25) stateful=true ;;
  2026-07-28) stateful=false ;;
  *) die "REVISION must be 2025-11-25 or 2026-07-28, not $revision" ;;
esac
baseline="$here/conformance-baseline-$revision.yaml"
[ -f "$baseline" ] || die "no baseline file $baseline"
results_out=${3:-}
read -r -a server_args <<<"${CONFORMANCE_SERVER_ARGS-serve}"
for tool in curl node npx timeout; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
label="MCP conformance $revision"

scratch=$(mktemp -d)
server_pid=
proxy_pid=
cleanup() {
  local rc=$?
  for pid in $proxy_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $proxy_pid $server_pid; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "$results_out" ]; then
    mkdir -p "$results_out"
    [ -d "$scratch/results" ] && cp -r "$scratch/results/." "$results_out/" || true
    cp "$scratch"/*.log "$results_out/" 2>/dev/null || true
  fi
  rm -rf "$scratch"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
suite=(env npm_config_yes=true npm_config_update_notifier=false npm_config_loglevel=error
  npx -p "$NODE_PKG" -p "$SUITE" -- conformance)

# --- what the revision requires (also fetches the suite once) --------------------------------
(cd "$scratch" && timeout 180 "${suite[@]}" list --server --requirements "$revision") \
  >"$scratch/list.log" 2>&1 || { tail -n 20 "$scratch/list.log" >&2; die "conformance list failed"; }
scenarios=$(awk '/^Server scenarios/{on=1;next} on&&/^ *- /{print $2;next} on{exit}' "$scratch/list.log")
not_scored=$(awk '/never scored/{on=1} on&&/^ *- .*\[server\]$/{print $2}' "$scratch/list.log")
[ -n "$scenarios" ] || die "could not read the $revision scenario list: $(head -n 5 "$scratch/list.log")"
count=$(printf '%s\n' $scenarios $not_scored | wc -l)

# --- server -------------------------------------------------------------------------------
port=$(free_port)
base="http://127.0.0.1:$port"
# cwd is the scratch dir so no .env or config file from the checkout is picked up.
(
  cd "$scratch"
  exec env -u MCP_OAUTH_CONFIG -u DATABASE_URL \
    MCP_OAUTH__SERVER__BIND="127.0.0.1:$port" \
    MCP_OAUTH__SERVER__PUBLIC_URL="$base" \
    MCP_OAUTH__DATABASE__URL="sqlite://$scratch/db.sqlite" \
    MCP_OAUTH__BOOTSTRAP__ADMIN_PASSWORD=conformance-pass \
    MCP_OAUTH__SERVER__LOG_FORMAT=json \
    MCP_OAUTH__RATE_LIMITS__ENABLED=false \
    MCP_OAUTH__METRICS__ENABLED=false \
    MCP_OAUTH__MCP__STATEFUL="$stateful" \
    "$bin" "${server_args[@]}"
) >"$scratch/server.log" 2>&1 &
server_pid=$!

healthy=
deadline=$((SECONDS + HEALTH_TIMEOUT))
while [ $SECONDS -lt $deadline ]; do
  if curl -sf --max-time 2 "$base/healthz" >/dev/null 2>&1; then healthy=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$healthy" ]; then
  tail -n 30 "$scratch/server.log" >&2 || true
  die "server never became healthy at $base/healthz within ${HEALTH_TIMEOUT}s"
fi
echo "conformance: $(basename "$bin") ${server_args[*]} healthy at $base (stateful=$stateful)"

# --- token --------------------------------------------------------------------------------
token_json=$(curl -sf --max-time 10 -X POST "$base/oauth/token" \
  -d 'grant_type=client_credentials&client_id=claude_ai_client&client_secret=claude_secret_key_2024') \
  || die "token request failed"
token=$(printf '%s' "$token_json" | node -e '
  let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
    const t=JSON.parse(s);if(!t.access_token)process.exit(1);
    console.log(t.access_token);console.error("conformance: token scopes: "+t.scope)})') \
  || die "no access_token in token response"

# --- bearer-adding proxy (loopback only) -----------------------------------------------------
cat >"$scratch/proxy.mjs" <<'EOF'
import http from "node:http";
const upPort = Number(process.env.UP_PORT);
const auth = `Bearer ${process.env.BEARER}`;
const server = http.createServer((req, res) => {
  const headers = { ...req.headers, authorization: auth };
  const up = http.request(
    { host: "127.0.0.1", port: upPort, method: req.method, path: req.url, headers },
    (ur) => { res.writeHead(ur.statusCode, ur.rawHeaders); ur.pipe(res); },
  );
  up.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end(`proxy: ${e.message}`);
  });
  res.on("close", () => up.destroy());
  req.pipe(up);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
EOF
UP_PORT=$port BEARER=$token node "$scratch/proxy.mjs" >"$scratch/proxy.port" 2>"$scratch/proxy.log" &
proxy_pid=$!
for _ in $(seq 1 50); do [ -s "$scratch/proxy.port" ] && break; sleep 0.1; done
proxy_port=$(head -n1 "$scratch/proxy.port")
[ -n "$proxy_port" ] || die "bearer proxy did not start: $(cat "$scratch/proxy.log")"
url="http://127.0.0.1:$proxy_port/mcp"

# --- suite --------------------------------------------------------------------------------
echo "conformance: $SUITE, requirements $revision ($count server scenarios), against $url (proxy -> $base/mcp)"
mkdir -p "$scratch/run"
suite_rc=0
(
  cd "$scratch/run"
  exec timeout --kill-after=10 "$SUITE_TIMEOUT" "${suite[@]}" server --url "$url" \
    --requirements "$revision" --expected-failures "$baseline" -o "$scratch/results"
) >"$scratch/suite.log" 2>&1 || suite_rc=$?
if [ "$suite_rc" -ge 124 ]; then
  tail -n 30 "$scratch/suite.log" >&2
  echo "$label: the suite timed out after ${SUITE_TIMEOUT}s or was killed (exit $suite_rc)" >&2
  exit 1
fi
if ! grep -q '^=== SUMMARY ===' "$scratch/suite.log"; then
  tail -n 30 "$scratch/suite.log" >&2
  die "suite did not run (exit $suite_rc)"
fi
kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$scratch/server.log" >&2; echo "$label: the server died during the run" >&2; exit 1; }

# --- verdict ------------------------------------------------------------------------------
gate_rc=0
node "$here/conformance-gate.mjs" --results "$scratch/results" --prefix server \
  --baseline "$baseline" --key server --expect "$(echo $scenarios $not_scored)" \
  --not-scored "$(echo $not_scored)" --label "$label" --what "server scenarios" || gate_rc=$?
[ "$gate_rc" -le 1 ] || exit 2
# The suite's own verdict covers the scored scenarios only; it must agree with ours.
if [ "$suite_rc" -ne 0 ]; then
  echo "$label: the suite's own --expected-failures check failed (exit $suite_rc):"
  sed 's/\x1b\[[0-9;]*m//g' "$scratch/suite.log" | sed -n '/^Stale baseline\|^Unexpected failures/,$p' \
    | grep -v '^$' | sed 's/^/  suite: /'
  exit 1
fi
exit "$gate_rc"
