#!/usr/bin/env bash
# Runs the official MCP conformance suite's server scenarios against a live mcp-oauth.
#
#   .ci/conformance.sh path/to/mcp-oauth [results-dir]
#
# Starts the binary on a free loopback port with a scratch SQLite database, gets a
# client_credentials token for the seeded claude_ai_client (every scope), and runs
# `conformance server` through npx. The suite has no option to send an Authorization
# header, so a tiny loopback-only node proxy in front of /mcp adds `Bearer <token>`
# (Host and Origin pass through untouched, so dns-rebinding-protection still tests ours).
# The suite needs node >= 22 (fs.globSync); npx brings a pinned node from the npm registry.
#
# Prints one line per scenario, the reason for each failure, and
#   MCP conformance scenarios: N of T passed (M failed, K skipped)
# (worded so CI never mistakes it for the test runner's closing line)
# counting scenarios (skipped = scenario reported neither a success nor a failure).
# Exits 0 whatever the scenarios say; non-zero when the server never became healthy,
# no token could be had, or the suite did not run. Loopback only.
# Optional: results-dir keeps each scenario's checks.json and the logs; MCP_OAUTH__* set by
# the caller (e.g. MCP_OAUTH__MCP__STATEFUL=true) reach the server, except bind, public URL
# and database; CONFORMANCE_TIMEOUT_SECS bounds the suite (default 540).
set -euo pipefail

SUITE=@modelcontextprotocol/conformance@0.1.16
NODE_PKG=${CONFORMANCE_NODE_PKG:-node@22.23.3}
SUITE_TIMEOUT=${CONFORMANCE_TIMEOUT_SECS:-540}
HEALTH_TIMEOUT=30

die() { echo "conformance: error: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: $0 path/to/mcp-oauth [results-dir]"
bin=$(realpath "$1") || die "no such binary: $1"
[ -x "$bin" ] || die "not executable: $bin"
results_out=${2:-}
for tool in curl node npx timeout; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

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
  if [ -n "$results_out" ] && [ -d "$scratch/results" ]; then
    mkdir -p "$results_out" && cp -r "$scratch/results/." "$results_out/" || true
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
    "$bin" serve
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
echo "conformance: mcp-oauth healthy at $base"

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
echo "conformance: running $SUITE server scenarios against $url (proxy -> $base/mcp)"
mkdir -p "$scratch/run"
suite_rc=0
(
  cd "$scratch/run"
  exec timeout --kill-after=10 "$SUITE_TIMEOUT" env npm_config_yes=true npm_config_update_notifier=false \
    npx -p "$NODE_PKG" -p "$SUITE" -- conformance server --url "$url" -o "$scratch/results"
) >"$scratch/suite.log" 2>&1 || suite_rc=$?
if [ "$suite_rc" -ge 124 ]; then
  tail -n 30 "$scratch/suite.log" >&2
  die "suite timed out or was killed (exit $suite_rc)"
fi
if ! grep -q '^=== SUMMARY ===' "$scratch/suite.log"; then
  tail -n 30 "$scratch/suite.log" >&2
  die "suite did not run (exit $suite_rc)"
fi

# --- report -------------------------------------------------------------------------------
node - "$scratch/results" <<'EOF'
const fs = require("fs"), path = require("path");
const dir = process.argv[2];
const rows = [];
for (const d of fs.readdirSync(dir).sort()) {
  const file = path.join(dir, d, "checks.json");
  if (!fs.existsSync(file)) continue;
  const checks = JSON.parse(fs.readFileSync(file, "utf8"));
  const name = d.replace(/^server-/, "").replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, "");
  const by = (s) => checks.filter((c) => c.status === s);
  rows.push({ name, ok: by("SUCCESS"), bad: by("FAILURE"), warn: by("WARNING") });
}
let passed = 0, failed = 0, skipped = 0, cp = 0, cf = 0, cw = 0;
for (const r of rows) {
  cp += r.ok.length; cf += r.bad.length; cw += r.warn.length;
  let verdict;
  if (r.bad.length) { verdict = "FAIL"; failed++; }
  else if (r.ok.length) { verdict = "PASS"; passed++; }
  else { verdict = "SKIP"; skipped++; }
  console.log(`  ${verdict} ${r.name}`);
  for (const c of [...r.bad, ...(verdict === "SKIP" ? r.warn : [])])
    console.log(`       ${c.id}: ${c.errorMessage || c.details?.message || c.status}`);
}
console.log(`conformance checks (not scenarios) - success ${cp}, failure ${cf}, warning ${cw}`);
console.log(`MCP conformance scenarios: ${passed} of ${passed + failed + skipped} passed (${failed} failed, ${skipped} skipped)`);
if (rows.length === 0) process.exit(3);
EOF
