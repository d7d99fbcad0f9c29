-- wrk script for the flood scenario of bench/run.sh: wrong passwords for one
-- account, POSTed to /login as fast as wrk can send them, every one with the
-- same guest CSRF token (valid for hours). Counts the answers by status and
-- prints one JSON line.
--
--   wrk -t1 -c16 -d20s -s bench/flood.lua URL/login -- EMAIL CSRF_TOKEN COOKIE
--
-- Against Lith every answer after the first few is a 429 that costs no
-- password hash; the scenario measures what the flood does to signed-in page
-- views meanwhile.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function encode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  wrk.method = "POST"
  wrk.body = "email=" .. encode(args[1]) .. "&password=wrong-guess&csrf_token=" .. encode(args[2])
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = args[3]
  throttled = 0
  refused = 0
  other = 0
  first_other = ""
end

function response(status, headers, body)
  if status == 429 then
    throttled = throttled + 1
  elseif status == 422 then
    refused = refused + 1
  else
    other = other + 1
    if first_other == "" then first_other = "status " .. status end
  end
end

function done(summary, latency, requests)
  local t, r, o, first = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    t = t + (thread:get("throttled") or 0)
    r = r + (thread:get("refused") or 0)
    o = o + (thread:get("other") or 0)
    local bad = thread:get("first_other") or ""
    if first == "" and bad ~= "" then first = bad end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "requests_per_second": %.1f, "throttled_429": %d, "refused_422": %d, "other": %d, '
      .. '"first_other": "%s", "socket_errors": %d, "p99_us": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), t, r, o, first,
    e.connect + e.read + e.write + e.timeout, latency:percentile(99)))
end
