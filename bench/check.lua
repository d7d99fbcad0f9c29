-- wrk script for every GET scenario of bench/run.sh: checks each response
-- and prints one JSON line with the counts and the latency percentiles.
--
--   wrk -t2 -c32 -d10s -s bench/check.lua URL -- STATUS [BODY_MARK] [COOKIE]
--
-- STATUS is the only status accepted (200); BODY_MARK, if not empty, must
-- occur in every body (e.g. "Hello,"); COOKIE is sent as the Cookie header.
-- Each wrk thread has its own Lua state: the counters live in the threads and
-- done() adds them up.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected_status = tonumber(args[1] or "200")
  body_mark = args[2] or ""
  if args[3] and args[3] ~= "" then
    wrk.headers["Cookie"] = args[3]
  end
  responses = 0
  wrong_status = 0
  wrong_body = 0
  first_bad = ""
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= expected_status then
    wrong_status = wrong_status + 1
    if first_bad == "" then first_bad = "status " .. status end
  elseif body_mark ~= "" and (body == nil or not string.find(body, body_mark, 1, true)) then
    wrong_body = wrong_body + 1
    if first_bad == "" then first_bad = "body without mark (" .. #(body or "") .. " bytes)" end
  end
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local responses_seen, wrong_status_total, wrong_body_total, first = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    responses_seen = responses_seen + (thread:get("responses") or 0)
    wrong_status_total = wrong_status_total + (thread:get("wrong_status") or 0)
    wrong_body_total = wrong_body_total + (thread:get("wrong_body") or 0)
    local bad = thread:get("first_bad") or ""
    if first == "" and bad ~= "" then first = bad end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "requests_per_second": %.1f, "bytes": %d, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, '
      .. '"responses_checked": %d, "wrong_status": %d, "wrong_body": %d, "first_bad": %s, '
      .. '"wrk_errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    responses_seen, wrong_status_total, wrong_body_total, json_string(first),
    e.connect, e.read, e.write, e.status, e.timeout))
end
