#!/usr/bin/env bash
# Load benchmark entry point (not run in CI). Builds release, then runs one mode:
#   benches/load/run.sh [load] [--engines sqlite,postgres] [--seconds 10] …   the main table + peers
#   benches/load/run.sh scale [--engines sqlite,postgres] [--tokens 1000000]   1M vs 10k rows
#   benches/load/run.sh soak [--minutes 10]                                    mixed load, RSS trend
#   benches/load/run.sh gateway [--seconds 10] [--repeat 3]                     forwarded vs built-in calls
# Needs wrk (apt-get install wrk), python3, taskset; Postgres at BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres) for the postgres engine; python3-venv
# and npm for the peers. Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=load
case "${1:-}" in load|scale|soak|gateway) mode=$1; shift ;; esac
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
if [ "$mode" = gateway ]; then
  cargo build --release --bin mcp-oauth   # no examples: they rebuild the dev-dependencies
  (cd tests/upstreams && npm ci --no-audit --no-fund --silent)
else
  cargo build --release --bin mcp-oauth --example bench_hello --example bench_flow
fi
exec python3 "benches/load/$([ "$mode" = load ] && echo bench || echo "$mode").py" "$@"
