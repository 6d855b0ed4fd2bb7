#!/usr/bin/env bash
# CI's Docker step: a real Docker Engine builds the image from a clean clone and runs it.
#   1. Docker Engine (and docker-compose 1.29) from Debian's packages when absent; start dockerd.
#   2. Base images: pulled, or stand-ins built from Debian packages (.ci/docker-standins.sh).
#   3. `docker build` of a clean clone of HEAD (layer cache kept by the daemon between runs).
#   4. The image against the CI Postgres (host network, a port other than 5000, --env-file
#      .env.example): health, a client-credentials token, a protected MCP call, metrics,
#      non-root, `docker stop` exiting 0 after the drain.
#   5. The image on SQLite in a named volume: the same checks, then the container is replaced
#      and the new one still has the data (a registered client, the first token, the admin).
#   6. docker-compose.yml: `config` with Compose v1 (and v2 when present), then the stack from
#      `cp .env.example .env`: up, token and MCP call, `run --rm mcp-oauth clients list`,
#      `down` and `up` keep the data.
# Needs the CI Postgres on 127.0.0.1:5432 (trust auth for postgres), as .ci/run starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
t0=$SECONDS
phase() { printf -- '--- docker: %s (at %d s)\n' "$*" $((SECONDS - t0)); }
fail() { echo "docker smoke: FAILED: $*" >&2; exit 1; }

phase "engine"
if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >/dev/null
fi
# A docker CLI that builds with BuildKit (the Dockerfile's secret mount): one with the buildx
# plugin, or Debian's 20.10 CLI, which has BuildKit built in. (`docker version` exits 1 while
# the daemon is still down, after printing the client's version: its status is not the test.)
DOCKER=
for cli in docker /usr/bin/docker; do
  command -v "$cli" >/dev/null || continue
  if "$cli" buildx version >/dev/null 2>&1 \
    || { "$cli" version -f '{{.Client.Version}}' 2>/dev/null || true; } | grep -q '^20\.'; then
    DOCKER=$cli
    break
  fi
done
[ -n "$DOCKER" ] || fail "no docker CLI with BuildKit (install docker-buildx or use Debian's docker.io)"
export DOCKER DOCKER_BUILDKIT=1
if ! "$DOCKER" info >/dev/null 2>&1; then
  # No systemd on the CI machines: the daemon runs in the background and outlives this step
  # (its images and build cache persist under /var/lib/docker between runs).
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
  "$DOCKER" info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log; fail "dockerd did not start"; }
fi
echo "client $("$DOCKER" version -f '{{.Client.Version}}'), engine $("$DOCKER" version -f '{{.Server.Version}}'), $(docker-compose version --short 2>/dev/null | sed 's/^/compose v1 /')"

phase "base images"
bash .ci/docker-standins.sh debian:bookworm-slim rust:1.95-slim-bookworm
# Postgres is needed only by the compose phase: its stand-in (mostly downloads) builds meanwhile.
bash .ci/docker-standins.sh postgres:16 >"${TMPDIR:-/tmp}/docker-standin-postgres.$$.log" 2>&1 &
postgres_standin=$!

# Everything this run creates is named after it and removed at the end (images stay: cache).
run_id=mcpoauth-smoke-$$
scratch=$(mktemp -d)
cleanup() {
  set +e
  if [ -d "$scratch/ctx" ]; then
    (cd "$scratch/ctx" && docker-compose -p "$run_id" down -v --remove-orphans >/dev/null 2>&1)
  fi
  "$DOCKER" rm -f "$run_id-pg" "$run_id-sqlite" "$run_id-sqlite2" >/dev/null 2>&1
  "$DOCKER" volume rm "$run_id-data" >/dev/null 2>&1
  psql -h 127.0.0.1 -U postgres -qtA -d postgres -c "DROP DATABASE IF EXISTS ${run_id//-/_} WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$scratch"
}
trap cleanup EXIT

phase "image build (clean clone of HEAD)"
git clone --quiet --no-local "$repo" "$scratch/ctx"
git -C "$scratch/ctx" checkout --quiet "$(git rev-parse HEAD)"
build_args=()
# Behind a TLS-intercepting egress the build stage needs the host's CA bundle for crates.io:
# a BuildKit secret, mounted for the download only, in no layer of any stage.
ca=/etc/ssl/certs/ca-certificates.crt
[ -s "$ca" ] && build_args+=(--secret "id=cacert,src=$ca")
build_start=$SECONDS
"$DOCKER" build --progress=plain "${build_args[@]}" -t mcp-oauth:local "$scratch/ctx" >"$scratch/build.log" 2>&1 \
  || { tail -60 "$scratch/build.log"; fail "docker build"; }
# Which steps the layer cache answered, and the slow ones.
awk '/^#[0-9]+ \[/ && !($1 in name) { name[$1] = substr($0, index($0, "[")) }
     /^#[0-9]+ CACHED/ { print "  cached: " substr(name[$1], 1, 70) }
     /^#[0-9]+ DONE/ && $3 + 0 >= 5 { print "  " $3 ": " substr(name[$1], 1, 70) }' "$scratch/build.log"
echo "image built in $((SECONDS - build_start)) s; size $("$DOCKER" image inspect -f '{{.Size}}' mcp-oauth:local | awk '{printf "%.0f MB", $1/1e6}')"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_healthy() {
  local container=$1 status=
  for _ in $(seq 1 90); do
    status=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$container" 2>/dev/null || echo gone)
    [ "$status" = healthy ] && return 0
    [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" = true ] || break
    sleep 1
  done
  "$DOCKER" logs --tail 40 "$container" >&2 || true
  fail "$container is not healthy (health: $status)"
}

# A client-credentials token for the documented test client.
token() {
  curl -fsS "$1/oauth/token" \
    -d grant_type=client_credentials -d client_id=mcp_test_client \
    -d client_secret=test_secret_key_2024 -d scope=mcp:tools \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# The protected MCP endpoint: refused without a token, the echo tool answers with one.
mcp_echo() {
  local base=$1 bearer=$2 message=$3 status body
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/mcp" \
    -H 'Content-Type: application/json' -d '{}')
  [ "$status" = 401 ] || fail "/mcp without a token answered $status, not 401"
  body=$(curl -fsS "$base/mcp" -H "Authorization: Bearer $bearer" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'"$message"'"}}}')
  grep -q "$message" <<<"$body" || fail "the echo tool did not answer: $body"
}

check_service() {
  local container=$1 base=$2 metrics=$3 uid
  wait_healthy "$container"
  [ "$(curl -fsS -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] || fail "$base/healthz"
  access=$(token "$base")
  mcp_echo "$base" "$access" "hello from $container"
  # Captured first: `grep -q` on a pipe would cut off the writer (and pipefail report that).
  scraped=$(curl -fsS "$metrics/metrics")
  grep -q '^# TYPE ' <<<"$scraped" || fail "no Prometheus metrics at $metrics/metrics"
  uid=$("$DOCKER" exec "$container" id -u)
  [ "$uid" = 10001 ] || fail "$container runs as uid $uid, not 10001"
  echo "$container: healthy, token, protected MCP call, metrics, uid $uid"
}

# `docker stop` with a grace longer than the drain: exits 0, and so does the service.
stop_cleanly() {
  local container=$1 started=$SECONDS code
  "$DOCKER" stop -t 30 "$container" >/dev/null || fail "docker stop $container"
  code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$container")
  [ "$code" = 0 ] || { "$DOCKER" logs --tail 20 "$container" >&2; fail "$container exited $code after docker stop"; }
  echo "$container: docker stop exit 0, service exit 0, in $((SECONDS - started)) s"
}

phase "image against the CI Postgres (host network)"
db=${run_id//-/_}
psql -h 127.0.0.1 -U postgres -qtA -d postgres -c "CREATE DATABASE $db"
port=$(free_port)
mport=$(free_port)
"$DOCKER" run -d --name "$run_id-pg" --network host --env-file .env.example \
  -e "MCP_OAUTH__DATABASE__URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" \
  -e "MCP_OAUTH__SERVER__BIND=127.0.0.1:$port" -e "MCP_OAUTH__SERVER__PUBLIC_URL=http://127.0.0.1:$port" \
  -e "MCP_OAUTH__METRICS__BIND=127.0.0.1:$mport" mcp-oauth:local >/dev/null
check_service "$run_id-pg" "http://127.0.0.1:$port" "http://127.0.0.1:$mport"
stop_cleanly "$run_id-pg"

phase "image on SQLite in a named volume, container replaced"
"$DOCKER" volume create "$run_id-data" >/dev/null
port=$(free_port)
mport=$(free_port)
sqlite_run() {
  "$DOCKER" run -d --name "$1" --env-file .env.example \
    -e MCP_OAUTH__SERVER__BIND=0.0.0.0:5000 -e MCP_OAUTH__METRICS__BIND=0.0.0.0:9464 \
    -e "MCP_OAUTH__SERVER__PUBLIC_URL=http://127.0.0.1:$port" \
    -p "127.0.0.1:$port:5000" -p "127.0.0.1:$mport:9464" \
    -v "$run_id-data:/var/lib/mcp-oauth/data" mcp-oauth:local >/dev/null
}
sqlite_run "$run_id-sqlite"
base=http://127.0.0.1:$port
check_service "$run_id-sqlite" "$base" "http://127.0.0.1:$mport"
first_token=$access
grep -q "created user 'admin'" <<<"$("$DOCKER" logs "$run_id-sqlite" 2>&1)" \
  || fail "no admin password printed on first start"
registered=$(curl -fsS "$base/oauth/register" -H 'Content-Type: application/json' \
  -d '{"client_name":"smoke","redirect_uris":["http://127.0.0.1:9/cb"]}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["client_id"])')
stop_cleanly "$run_id-sqlite"
"$DOCKER" rm "$run_id-sqlite" >/dev/null
sqlite_run "$run_id-sqlite2"
check_service "$run_id-sqlite2" "$base" "http://127.0.0.1:$mport"
mcp_echo "$base" "$first_token" "the first container's token"
if grep -q "created user 'admin'" <<<"$("$DOCKER" logs "$run_id-sqlite2" 2>&1)"; then
  fail "the replacement container created a new admin: the data did not survive"
fi
grep -q "^$registered" <<<"$("$DOCKER" exec "$run_id-sqlite2" mcp-oauth clients list)" \
  || fail "the registered client $registered is gone after the container was replaced"
"$DOCKER" exec "$run_id-sqlite2" ls -ln /var/lib/mcp-oauth/data
echo "data survived the container replacement (client $registered, first token, admin)"
stop_cleanly "$run_id-sqlite2"

phase "docker-compose.yml"
wait "$postgres_standin" || { cat "${TMPDIR:-/tmp}/docker-standin-postgres.$$.log"; fail "postgres stand-in"; }
cat "${TMPDIR:-/tmp}/docker-standin-postgres.$$.log"
rm -f "${TMPDIR:-/tmp}/docker-standin-postgres.$$.log"
cd "$scratch/ctx"
docker-compose config -q && echo "compose v1 ($(docker-compose version --short)): parses without a .env"
if "$DOCKER" compose version >/dev/null 2>&1; then
  "$DOCKER" compose config -q && echo "compose v2: parses without a .env"
fi
# With a .env, the service gets that file (a marker line proves it), then the plain copy.
{ cat .env.example; echo "MCP_OAUTH__SERVER__LOG_FILTER=smoke-marker"; } >.env
grep -q 'smoke-marker' <<<"$(docker-compose config)" || fail "compose did not hand .env to the service"
cp .env.example .env
docker-compose config -q && echo "compose v1: parses with .env from .env.example, hands it to the service"
# The stack exactly as a user starts it, on free host ports (the shell's values beat .env's).
port=$(free_port)
mport=$(free_port)
export MCP_OAUTH_PUBLISH=127.0.0.1:$port MCP_OAUTH_METRICS_PUBLISH=127.0.0.1:$mport
export MCP_OAUTH__SERVER__PUBLIC_URL=http://127.0.0.1:$port
compose=(docker-compose -p "$run_id")
"${compose[@]}" up -d 2>&1 | tail -3
service=$("${compose[@]}" ps -q mcp-oauth)
base=http://127.0.0.1:$port
check_service "$service" "$base" "http://127.0.0.1:$mport"
"${compose[@]}" run --rm -T mcp-oauth clients list >"$scratch/clients" 2>/dev/null
cat "$scratch/clients"
grep -q '^claude_ai_client' "$scratch/clients" && grep -q '^mcp_test_client' "$scratch/clients" \
  || fail "docker-compose run --rm mcp-oauth clients list did not list the two clients"
registered=$(curl -fsS "$base/oauth/register" -H 'Content-Type: application/json' \
  -d '{"client_name":"smoke","redirect_uris":["http://127.0.0.1:9/cb"]}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["client_id"])')
"${compose[@]}" down 2>&1 | tail -1
"${compose[@]}" up -d 2>&1 | tail -1
service=$("${compose[@]}" ps -q mcp-oauth)
check_service "$service" "$base" "http://127.0.0.1:$mport"
grep -q "^$registered" <<<"$("${compose[@]}" run --rm -T mcp-oauth clients list 2>/dev/null)" \
  || fail "client $registered is gone after docker-compose down && up"
echo "compose: down && up kept the data (client $registered)"
stop_started=$SECONDS
"${compose[@]}" stop 2>&1 | tail -1
[ "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$service")" = 0 ] || fail "the compose service did not exit 0 on stop"
echo "compose: stop in $((SECONDS - stop_started)) s, service exit 0"
cd "$repo"

phase "passed"
