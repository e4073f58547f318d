-- Spread requests over a route table (scenario 3). init() reads 'HOST PATH'
-- lines from the file named by the first script argument (after `--`) and
-- pre-formats one request per line; request() walks them in order, so every
-- route is hit equally and host and prefix routes alternate.
-- `request` must be defined when the script loads (wrk decides then whether
-- requests are dynamic), so it is a global here and not set in init().
local reqs, n, i = {}, 0, 0

init = function(args)
  for line in io.lines(args[1]) do
    local host, path = line:match("^(%S+)%s+(%S+)")
    if host then
      n = n + 1
      reqs[n] = wrk.format("GET", path, { Host = host })
    end
  end
  if n == 0 then error("no 'HOST PATH' lines in " .. tostring(args[1])) end
end

request = function()
  i = i % n + 1
  return reqs[i]
end
