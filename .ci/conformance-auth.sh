#!/usr/bin/env bash
# Gate: the official MCP conformance suite's authorization-server scenarios against a live
# mcp-oauth, with its browser step driven by headless Chromium.
#
#   .ci/conformance-auth.sh path/to/mcp-oauth [results-dir]
#
# Starts `mcp-oauth serve` on a free loopback port with a scratch SQLite database (rate limits
# and metrics off) and runs `conformance authorization --url <issuer>` twice, each run doing
# authorization-server-metadata-endpoint and then authorization-code-grant (which reads the
# metadata the first scenario fetched, so they run together):
#   public        a client registered by dynamic client registration (POST /oauth/register,
#                 token_endpoint_auth_method none, PKCE only);
#   confidential  a client with a secret, like the seeded mcp_test_client, made with
#                 `mcp-oauth clients add` against the same database.
# Both register http://127.0.0.1:<port>/callback, the suite's own callback listener. The suite
# prints the authorization URL and waits for a person; .ci/conformance-browser.mjs is that
# person (chromedriver + headless Chromium: log in as admin with the bootstrap password,
# approve the consent page).
#
# Each run is judged by .ci/conformance-gate.mjs against .ci/conformance-baseline-authorization.yaml
# (one list per client kind; `conformance authorization` has no --expected-failures of its own).
# Prints `MCP conformance authorization (public client): N of 2 …` per run. Exits 0 when both
# runs match the baseline, 1 when one does not (an unexpected failure, a stale entry, a browser
# step that did not reach the callback, a timeout), 2 when the setup failed. Loopback only.
# Needs node, npx, curl, timeout, /usr/bin/chromium and /usr/bin/chromedriver (Debian's
# chromium and chromium-driver packages; .ci/run installs them).
set -euo pipefail

SUITE=${CONFORMANCE_SUITE_PKG:-@modelcontextprotocol/conformance@0.2.0-alpha.12}
NODE_PKG=${CONFORMANCE_NODE_PKG:-node@22.23.3}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
HEALTH_TIMEOUT=30
LEG_TIMEOUT=180   # one suite run; its own wait for the callback is 5 minutes
ADMIN_PASSWORD=conformance-admin-pass
here=$(cd "$(dirname "$0")" && pwd)
baseline="$here/conformance-baseline-authorization.yaml"

die() { echo "conformance-auth: error: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: $0 path/to/mcp-oauth [results-dir]"
bin=$(realpath "$1") || die "no such binary: $1"
[ -x "$bin" ] || die "not executable: $bin"
results_out=${2:-}
for tool in curl node npx timeout "$CHROMEDRIVER"; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
[ -f "$baseline" ] || die "no baseline file $baseline"

scratch=$(mktemp -d)
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "$results_out" ]; then
    mkdir -p "$results_out"
    cp -r "$scratch"/results-* "$scratch"/*.log "$results_out/" 2>/dev/null || true
  fi
  rm -rf "$scratch"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(typeof v!=="string")process.exit(1);console.log(v)})' "$1"; }
suite=(env npm_config_yes=true npm_config_update_notifier=false npm_config_loglevel=error
  npx -p "$NODE_PKG" -p "$SUITE" -- conformance)

# --- the scenario list (also fetches the suite once) ------------------------------------------
(cd "$scratch" && timeout 180 "${suite[@]}" list --authorization) >"$scratch/list.log" 2>&1 \
  || { tail -n 20 "$scratch/list.log" >&2; die "conformance list failed"; }
scenarios=$(awk '/^Authorization server scenarios/{on=1;next} on&&/^ *- /{print $2;next} on{exit}' "$scratch/list.log")
[ -n "$scenarios" ] || die "could not read the authorization scenario list"

# --- server -------------------------------------------------------------------------------
port=$(free_port)
base="http://127.0.0.1:$port"
db="sqlite://$scratch/db.sqlite"
(
  cd "$scratch"
  exec env -u MCP_OAUTH_CONFIG -u DATABASE_URL \
    MCP_OAUTH__SERVER__BIND="127.0.0.1:$port" \
    MCP_OAUTH__SERVER__PUBLIC_URL="$base" \
    MCP_OAUTH__DATABASE__URL="$db" \
    MCP_OAUTH__BOOTSTRAP__ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    MCP_OAUTH__SERVER__LOG_FORMAT=json \
    MCP_OAUTH__RATE_LIMITS__ENABLED=false \
    MCP_OAUTH__METRICS__ENABLED=false \
    "$bin" serve
) >"$scratch/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
healthy=
deadline=$((SECONDS + HEALTH_TIMEOUT))
while [ $SECONDS -lt $deadline ]; do
  if curl -sf --max-time 2 "$base/healthz" >/dev/null 2>&1; then healthy=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$healthy" ] || { tail -n 30 "$scratch/server.log" >&2; die "server never became healthy at $base/healthz"; }
authorize=$(curl -sf --max-time 5 "$base/.well-known/oauth-authorization-server" | json_field authorization_endpoint) \
  || die "no authorization_endpoint in $base/.well-known/oauth-authorization-server"
echo "conformance-auth: mcp-oauth healthy at $base"

# --- chromedriver (loopback) ----------------------------------------------------------------
wd_port=$(free_port)
"$CHROMEDRIVER" --port="$wd_port" --allowed-ips=127.0.0.1 >"$scratch/chromedriver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
  curl -sf --max-time 1 "http://127.0.0.1:$wd_port/status" 2>/dev/null | grep -q '"ready": *true' && break
  sleep 0.2
done
curl -sf --max-time 1 "http://127.0.0.1:$wd_port/status" | grep -q '"ready": *true' \
  || die "chromedriver did not become ready: $(tail -n 5 "$scratch/chromedriver.log")"

# --- one suite run: start it, drive the browser when it prints the URL, judge the results ----
verdict=0
run_leg() {
  local leg=$1 client_id=$2 secret=$3 cb_port=$4
  local log="$scratch/suite-$leg.log" results="$scratch/results-$leg" label="MCP conformance authorization ($leg client)"
  local extra=()
  [ -n "$secret" ] && extra=(--client-secret "$secret")
  echo "conformance-auth: $leg client $client_id, callback http://127.0.0.1:$cb_port/callback"
  (cd "$scratch" && exec timeout --kill-after=10 "$LEG_TIMEOUT" "${suite[@]}" authorization --url "$base" \
    --client-id "$client_id" "${extra[@]}" --port "$cb_port" -o "$results") >"$log" 2>&1 &
  local suite_pid=$!
  pids+=("$suite_pid")
  local auth_url=
  for _ in $(seq 1 600); do   # up to 2 minutes: npx may have to fetch the suite
    auth_url=$(awk -v p="$authorize?" 'index($0, p) == 1 {print; exit}' "$log")
    [ -n "$auth_url" ] && break
    kill -0 "$suite_pid" 2>/dev/null || break
    sleep 0.2
  done
  local browser_ok=0
  if [ -z "$auth_url" ]; then
    echo "$label: the suite printed no authorization URL; its output:"
    sed 's/^/  suite: /' "$log" | tail -n 20
  elif WEBDRIVER="http://127.0.0.1:$wd_port" LOGIN_USER=admin LOGIN_PASSWORD="$ADMIN_PASSWORD" \
      timeout 90 node "$here/conformance-browser.mjs" "$auth_url" "http://127.0.0.1:$cb_port/callback"; then
    browser_ok=1
  else
    echo "$label: the browser step did not reach the callback"
  fi
  # Without a callback the suite would wait out its 5 minutes; stop it (timeout signals its group).
  [ "$browser_ok" = 1 ] || kill "$suite_pid" 2>/dev/null || true
  local suite_rc=0
  wait "$suite_pid" || suite_rc=$?
  if [ "$suite_rc" -ge 124 ] && [ "$browser_ok" = 1 ]; then
    echo "$label: the suite timed out (exit $suite_rc)"
  fi
  sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n '/^=== SUMMARY ===/,$p' | grep -v '^$' | sed 's/^/  suite: /' || true
  local gate_rc=0
  node "$here/conformance-gate.mjs" --results "$results" --prefix authorization-server \
    --baseline "$baseline" --key "$leg" --expect "$(echo $scenarios)" \
    --label "$label" --what "authorization-server scenarios" || gate_rc=$?
  [ "$gate_rc" -le 1 ] || exit 2
  if [ "$gate_rc" -ne 0 ] || [ "$browser_ok" != 1 ] || [ "$suite_rc" -ge 124 ]; then verdict=1; fi
}

# (a) public client, registered by dynamic client registration.
cb_a=$(free_port)
public_id=$(curl -sf --max-time 10 -X POST "$base/oauth/register" -H 'content-type: application/json' \
  -d "{\"client_name\":\"Conformance public client\",\"redirect_uris\":[\"http://127.0.0.1:$cb_a/callback\"],\"token_endpoint_auth_method\":\"none\",\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"response_types\":[\"code\"]}" \
  | json_field client_id) || die "dynamic client registration failed"
run_leg public "$public_id" "" "$cb_a"

# (b) confidential client (client_secret_post/basic), made with the CLI like an operator would.
cb_b=$(free_port)
added=$(cd "$scratch" && env -u MCP_OAUTH_CONFIG -u DATABASE_URL "$bin" --database-url "$db" clients add \
  --id conformance_confidential --name "Conformance confidential client" \
  --redirect-uri "http://127.0.0.1:$cb_b/callback" --scope "mcp:tools mcp:resources system:read") \
  || die "mcp-oauth clients add failed"
secret=$(printf '%s\n' "$added" | sed -n 's/^client_secret: //p')
[ -n "$secret" ] || die "clients add printed no client_secret"
run_leg confidential conformance_confidential "$secret" "$cb_b"

exit "$verdict"
