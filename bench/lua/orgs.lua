-- wrk script for the organizations benchmark (bench/run, scenario "orgs"). MODE (env) picks the load:
--   check   POST /api/v1/authz/check as the service user (Authorization: Bearer $ACCESS_TOKEN). Each request
--           asks about another (organization, subject, permission): triples "orgId subjectId teamId" come
--           from CHECKS_FILE (written by the seeder, one per membership plus strangers), permissions from
--           the catalogue below; one request in four names the team as the resource, one in eight leaves
--           the subject out (asks about the caller). POOL (20000) distinct bodies are prebuilt per thread
--           in a pseudo-random walk, so the load never repeats one key.
--   apikey  GET $PATH_ONE (an organization) with X-API-Key: $API_KEY.
--   paths   GET each line of PATHS_FILE in turn (Authorization: Bearer $ACCESS_TOKEN): audit-log queries.
-- With COUNT=1, response() also counts `"allowed":true` / false answers (used in the warm-up only, so the
-- measured run carries no per-response Lua work). done() prints one "JSON {...}" line.
local mode     = os.getenv("MODE") or "check"
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
local count    = os.getenv("COUNT") == "1"
local pool_max = tonumber(os.getenv("POOL") or "20000")

local PERMISSIONS = {
  "members:read", "members:invite", "members:manage", "teams:read", "teams:create", "teams:manage",
  "org:update", "org:delete", "audit:read", "audit:export", "api_keys:manage", "roles:manage",
}

wrk.headers["Content-Type"] = "application/json"
if mode == "apikey" then
  wrk.method = "GET"
  wrk.path = os.getenv("PATH_ONE") or "/api/v1/orgs/missing"
  wrk.headers["X-API-Key"] = os.getenv("API_KEY") or "missing"
else
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("ACCESS_TOKEN") or "missing")
end

local threads, next_id = {}, 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

ok, s401, s403, s404, s429, s503, other, allowed, denied, pool_n = 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

local function lines(path)
  local f = assert(io.open(path, "r"), "unreadable: " .. tostring(path))
  local out = {}
  for line in f:lines() do
    if line ~= "" then out[#out + 1] = line end
  end
  f:close()
  assert(#out > 0, "empty: " .. path)
  return out
end

local pool, n = {}, 0

function init(args)
  local t = tid or 0
  if mode == "check" then
    local triples = lines(os.getenv("CHECKS_FILE"))
    local size = math.min(pool_max, #triples * 4)
    local x = 20261125 + t * 7919   -- Park-Miller (exact in doubles): the same walk on every run
    local function rnd(m)
      x = (x * 16807) % 2147483647
      return x % m
    end
    for i = 1, size do
      local org, subject, team = triples[rnd(#triples) + 1]:match("(%S+) (%S+) (%S+)")
      local perm = PERMISSIONS[rnd(#PERMISSIONS) + 1]
      local body
      if i % 8 == 0 then
        body = string.format('{"orgId":"%s","permission":"%s"}', org, perm)
      elseif i % 4 == 0 then
        body = string.format('{"subject":"%s","orgId":"%s","permission":"%s","resource":{"type":"team","id":"%s"}}',
          subject, org, perm, team)
      else
        body = string.format('{"subject":"%s","orgId":"%s","permission":"%s"}', subject, org, perm)
      end
      pool[i] = wrk.format("POST", "/api/v1/authz/check", nil, body)
    end
  elseif mode == "paths" then
    local paths = lines(os.getenv("PATHS_FILE"))
    for i, p in ipairs(paths) do pool[i] = wrk.format("GET", p) end
    n = t   -- threads start at different paths
  end
  pool_n = #pool
end

if mode ~= "apikey" then
  function request()
    n = n + 1
    return pool[(n % #pool) + 1]
  end
end

if count then
  function response(status, headers, body)
    if status >= 200 and status < 300 then
      ok = ok + 1
      if body:find('"allowed":true', 1, true) then allowed = allowed + 1
      elseif body:find('"allowed":false', 1, true) then denied = denied + 1 end
    elseif status == 401 then s401 = s401 + 1
    elseif status == 403 then s403 = s403 + 1
    elseif status == 404 then s404 = s404 + 1
    elseif status == 429 then s429 = s429 + 1
    elseif status == 503 then s503 = s503 + 1
    else other = other + 1 end
  end
end

function done(s, lat, _)
  local sum = { ok = 0, s401 = 0, s403 = 0, s404 = 0, s429 = 0, s503 = 0, other = 0, allowed = 0, denied = 0,
    pool_n = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(sum) do sum[k] = sum[k] + (tonumber(t:get(k)) or 0) end
  end
  local e = s.errors
  local secs = s.duration / 1e6
  io.write(string.format('JSON {"mode":"%s","requests":%d,"duration_s":%.3f,"rps":%.1f,' ..
    '"mean_ms":%.3f,"p50_ms":%.3f,"p75_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"non2xx":%d,"socket_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"counted":%s,"lua_ok":%d,"status_401":%d,"status_403":%d,"status_404":%d,"status_429":%d,"status_503":%d,' ..
    '"status_other":%d,"allowed":%d,"denied":%d,"pool":%d,"ok_rps":%.1f}\n',
    mode, s.requests, secs, s.requests / secs,
    lat.mean / 1e3, lat:percentile(50) / 1e3, lat:percentile(75) / 1e3, lat:percentile(90) / 1e3,
    lat:percentile(99) / 1e3, lat.max / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout,
    tostring(count), sum.ok, sum.s401, sum.s403, sum.s404, sum.s429, sum.s503, sum.other, sum.allowed, sum.denied,
    sum.pool_n, (s.requests - e.status) / secs))
end
