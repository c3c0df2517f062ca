-- wrk script for the load benchmarks: POSTs the file named by BODY_FILE with
-- the headers in HEADERS ("Name: value" pairs separated by "|").
local body_file = os.getenv("BODY_FILE")
local f = assert(io.open(body_file, "rb"), "cannot open BODY_FILE " .. tostring(body_file))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
for pair in string.gmatch(os.getenv("HEADERS") or "", "[^|]+") do
  local name, value = string.match(pair, "^%s*([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end
