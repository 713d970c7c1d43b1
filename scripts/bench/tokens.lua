-- wrk script: send a different bearer token on every request.
--   wrk -t THREADS ... URL -s tokens.lua -- TOKEN_FILE THREADS [wrap]
-- Each wrk thread takes its own slice of the file (no token is sent twice), and stops
-- when its slice is used up, so no request of the run can hit the verified-token cache.
-- With `wrap` it cycles through its slice instead: for /plain (which ignores the
-- header), a like-for-like baseline that does not run out of tokens.

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local file = args[1]
  local nthreads = tonumber(args[2])
  wrap = args[3] == "wrap"
  local n = 0
  tokens = {}
  for line in io.lines(file) do
    if line ~= "" then
      if n % nthreads == id then
        tokens[#tokens + 1] = line
      end
      n = n + 1
    end
  end
  next_index = 1
  path = wrk.path
end

function request()
  local t = tokens[next_index]
  if t == nil and wrap then
    next_index = 1
    t = tokens[1]
  elseif t == nil then
    -- Slice used up: stop this thread. wrk may still send this one request per
    -- connection (a repeat of the last token), a handful out of the whole run.
    wrk.thread:stop()
    t = tokens[#tokens]
  end
  next_index = next_index + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. t, ["Accept"] = "application/json" })
end
