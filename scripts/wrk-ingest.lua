-- wrk script: the generic webhook's messages, each with a fresh id, from CUSTOMERS customers (default
-- 5,000) that return; RUN (default: the time) keeps ids fresh across runs. Unsigned: it posts to an
-- adapter with `open: true` (wrk cannot sign), so it measures the same path as `switchboard bench`
-- minus the HMAC check. Usage (scripts/bench.sh does this):
--   RUN=$RANDOM wrk -t1 -c64 -d10s -s scripts/wrk-ingest.lua http://127.0.0.1:PORT/hooks/bench-open
local counter = 0
local customers = tonumber(os.getenv("CUSTOMERS") or "5000")
local run = os.getenv("RUN") or tostring(os.time())
local path = nil

init = function(args)
  path = wrk.path
end

request = function()
  counter = counter + 1
  local customer = counter % customers
  local body = string.format(
    '{"id":"wrk-%s-%d","from":"wrk-%s-%d@example.com","name":"Wrk Customer %d","text":"wrk message %d from run %s"}',
    run, counter, run, customer, customer, counter, run)
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end
