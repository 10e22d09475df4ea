-- GCRA on Redis's clock, so the nodes' clocks do not matter.
-- KEYS[1]: the counter; ARGV[1]: microseconds between hits at the steady rate;
-- ARGV[2]: the burst (the rule's limit).
-- Returns {allowed (1/0), remaining, microseconds until full (allowed) or until a retry may pass}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local new_tat = tat + interval
if new_tat - now > tolerance then
  return {0, 0, new_tat - tolerance - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((tolerance - (new_tat - now)) / interval), new_tat - now}
