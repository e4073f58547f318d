-- Leases for Weir's fleet-wide limits (src/policy/limit/shared/sync.rs):
-- one call per batch of keys, atomic, on Redis's own clock so that the
-- nodes' clocks never matter.
--
-- KEYS[i]: one limit's key. ARGV: six values per key:
--   'r', interval_us, capacity_us, want, debt, refund  -- token bucket (GCRA)
--   'q', limit, ttl_s, want, debt, refund              -- a day's counter
-- debt: requests a node admitted ahead of a lease, always charged;
-- refund: leased tokens it did not use, given back.
-- Returns per key {granted, wait_us, level}: for a bucket, the time until
-- the next token when fewer than wanted were granted and the tokens left;
-- for a counter, the day's use so far.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {}
for i, key in ipairs(KEYS) do
  local a = (i - 1) * 6
  local want = tonumber(ARGV[a + 4])
  local debt = tonumber(ARGV[a + 5])
  local refund = tonumber(ARGV[a + 6])
  if ARGV[a + 1] == 'r' then
    local T = tonumber(ARGV[a + 2])
    local cap = tonumber(ARGV[a + 3])
    local tat = tonumber(redis.call('GET', key) or now) or now
    if tat < now then tat = now end
    tat = tat + (debt - refund) * T
    if tat < now then tat = now end
    local avail = math.floor((now + cap - tat) / T)
    if avail < 0 then avail = 0 end
    local g = math.min(want, avail)
    tat = tat + g * T
    -- %.0f: Lua's default formatting would round a 16-digit time.
    redis.call('SET', key, string.format('%.0f', tat), 'PX',
      string.format('%.0f', math.floor((tat - now) / 1000) + 1000))
    local wait = 0
    if g < want then
      wait = tat + T - cap - now
      if wait < 0 then wait = 0 end
    end
    local level = math.floor((now + cap - tat) / T)
    if level < 0 then level = 0 end
    out[i] = {g, wait, level}
  else
    local limit = tonumber(ARGV[a + 2])
    local used = (tonumber(redis.call('GET', key) or 0) or 0) + debt - refund
    if used < 0 then used = 0 end
    local g = limit - used
    if g > want then g = want end
    if g < 0 then g = 0 end
    used = used + g
    redis.call('SET', key, string.format('%.0f', used), 'EX', ARGV[a + 3])
    out[i] = {g, 0, used}
  end
end
return out
