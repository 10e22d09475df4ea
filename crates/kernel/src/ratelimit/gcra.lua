-- GCRA on Redis's clock, so the nodes' clocks do not matter.
-- KEYS[1]: the counter; ARGV[1]: microseconds between hits at the steady rate;
-- ARGV[2]: the burst (the rule's limit); ARGV[3]: how many hits the node asks for
-- at once (it spends them itself, see redis.rs).
-- Returns {hits granted (0: refused), remaining after them, microseconds until full
-- (granted) or until a retry may pass (refused)}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local available = math.floor((tolerance - (tat - now)) / interval)
if available < 1 then
  return {0, 0, tat + interval - tolerance - now}
end
local granted = math.min(available, tonumber(ARGV[3]))
local new_tat = tat + interval * granted
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {granted, available - granted, new_tat - now}
