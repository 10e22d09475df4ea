-- wrk script for tessera's identity benchmarks. MODE (env) picks the request:
--   login    POST /api/v1/auth/login, cycling over USERS pre-registered users bench-<i>@example.com
--   verify   GET  /api/v1/auth/verify-token   (Authorization: Bearer $ACCESS_TOKEN)
--   me       GET  /api/v1/users/me            (Authorization: Bearer $ACCESS_TOKEN)
--   refresh  POST /api/v1/auth/refresh, one refresh-token chain per in-flight request: tokens come
--            from TOKENS_FILE (one per line, split between threads); each response's new refreshToken
--            goes back into the thread's pool, so every token is presented exactly once.
-- done() prints one line "JSON {...}" with throughput, latency percentiles (ms) and error counts.
local mode     = os.getenv("MODE") or "verify"
local users    = tonumber(os.getenv("USERS") or "200")
local password = os.getenv("PASSWORD") or "bench password 12345 xyz"
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")

wrk.headers["Content-Type"] = "application/json"

if mode == "verify" or mode == "me" then
  wrk.method = "GET"
  wrk.path = (mode == "verify") and "/api/v1/auth/verify-token" or "/api/v1/users/me"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("ACCESS_TOKEN") or "missing")
end

local threads, next_id = {}, 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Per-thread counters (each wrk thread has its own Lua state; done() reads them with thread:get).
ok, s401, s503, s503_retry_after, other, broken, starved = 0, 0, 0, 0, 0, 0, 0

local pool, head, tail = {}, 1, 0   -- FIFO of unused refresh tokens (refresh mode)
local function push(t) tail = tail + 1; pool[tail] = t end
local function pop()
  if head > tail then return nil end
  local t = pool[head]; pool[head] = nil; head = head + 1
  return t
end

function init(args)
  if mode == "refresh" then
    local path = os.getenv("TOKENS_FILE")
    local f = assert(io.open(path, "r"), "TOKENS_FILE unreadable: " .. tostring(path))
    local i = 0
    for line in f:lines() do
      if line ~= "" then
        if i % nthreads == (tid or 0) then push(line) end
        i = i + 1
      end
    end
    f:close()
  end
end

local n = 0
if mode == "login" then
  function request()
    n = n + 1
    local i = ((tid or 0) * 7919 + n) % users + 1
    return wrk.format("POST", "/api/v1/auth/login", nil,
      string.format('{"email":"bench-%d@example.com","password":"%s"}', i, password))
  end
elseif mode == "refresh" then
  function request()
    local t = pop()
    if t == nil then   -- every chain of this thread is broken or in flight: send a request that fails
      starved = starved + 1
      t = "pool-empty"
    end
    return wrk.format("POST", "/api/v1/auth/refresh", nil, '{"refreshToken":"' .. t .. '"}')
  end
end

if mode == "login" or mode == "refresh" then
  function response(status, headers, body)
    if status >= 200 and status < 300 then
      ok = ok + 1
      if mode == "refresh" then
        local t = body:match('"refreshToken"%s*:%s*"([^"]+)"')
        if t then push(t) else broken = broken + 1 end
      end
    elseif status == 401 then
      s401 = s401 + 1
      if mode == "refresh" then broken = broken + 1 end
    elseif status == 503 then
      s503 = s503 + 1
      if headers["Retry-After"] or headers["retry-after"] then s503_retry_after = s503_retry_after + 1 end
      if mode == "refresh" then broken = broken + 1 end
    else
      other = other + 1
      if mode == "refresh" then broken = broken + 1 end
    end
  end
end

function done(s, lat, _)
  local sum = { ok = 0, s401 = 0, s503 = 0, s503_retry_after = 0, other = 0, broken = 0, starved = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(sum) do sum[k] = sum[k] + (tonumber(t:get(k)) or 0) end
  end
  local e = s.errors
  local secs = s.duration / 1e6
  io.write(string.format('JSON {"mode":"%s","requests":%d,"duration_s":%.3f,"rps":%.1f,' ..
    '"mean_ms":%.3f,"p50_ms":%.3f,"p75_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"non2xx":%d,"socket_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"lua_ok":%d,"status_401":%d,"status_503":%d,"status_503_with_retry_after":%d,"status_other":%d,' ..
    '"chains_broken":%d,"pool_starved":%d,"ok_rps":%.1f}\n',
    mode, s.requests, secs, s.requests / secs,
    lat.mean / 1e3, lat:percentile(50) / 1e3, lat:percentile(75) / 1e3, lat:percentile(90) / 1e3,
    lat:percentile(99) / 1e3, lat.max / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout,
    sum.ok, sum.s401, sum.s503, sum.s503_retry_after, sum.other, sum.broken, sum.starved,
    (s.requests - e.status) / secs))
end
