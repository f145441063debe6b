-- wrk script for the query mixes (bench/mix.py): rotates through a file of query strings, one a line, each sent
-- under the path given. Arguments after `--`: FILE PATH [START]; START (a line number) lets successive runs of the
-- same mix begin at different places in it.
dofile(os.getenv("BENCH_REPORT_LUA") or "bench/report.lua")

local queries = {}
local position = 1

init = function(args)
  local file, path, start = args[1], args[2], tonumber(args[3] or "0")
  for line in io.lines(file) do
    if line ~= "" then
      queries[#queries + 1] = path .. "?" .. line
    end
  end
  if #queries == 0 then
    error("no queries in " .. file)
  end
  position = (start % #queries) + 1
end

request = function()
  local target = queries[position]
  position = position % #queries + 1
  return wrk.format("GET", target)
end
