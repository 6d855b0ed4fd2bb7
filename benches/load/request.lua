-- One wrk script for every scenario, configured by environment variables:
--   BENCH_METHOD (POST), BENCH_BODY, BENCH_HEADERS ("Name: value|Name: value"),
--   BENCH_TOKENS_FILE + BENCH_BODY_TEMPLATE: cycle through tokens, "{TOKEN}" in the template,
--   BENCH_DELAY_MS: pause after each response (a paced probe instead of a closed loop).
-- done() prints one JSON line that bench.py reads.

local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local tokens = {}
local next_token = 1
local template = os.getenv("BENCH_BODY_TEMPLATE")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

function init(args)
  wrk.method = os.getenv("BENCH_METHOD") or "POST"
  wrk.body = os.getenv("BENCH_BODY")
  for pair in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
    local name, value = string.match(pair, "^%s*([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  local file = os.getenv("BENCH_TOKENS_FILE")
  if file then
    for line in io.lines(file) do
      if #line > 0 then table.insert(tokens, line) end
    end
    -- Threads start at different places so they do not revoke the same tokens in step.
    next_token = ((id or 1) - 1) * 997 % math.max(#tokens, 1) + 1
  end
end

function request()
  if #tokens > 0 then
    local body = string.gsub(template, "{TOKEN}", tokens[next_token])
    next_token = next_token % #tokens + 1
    return wrk.format(nil, nil, nil, body)
  end
  return wrk.request()
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"errors":%d,"status_errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, e.status))
end
