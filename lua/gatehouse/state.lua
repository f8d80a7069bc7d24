-- Gatehouse's dynamic state: what changes without a reload (the endpoints of every backend, and the TLS
-- certificate of every host), kept in one lua_shared_dict that every worker reads.
--
-- The controller writes it over the private status socket (POST /gatehouse/state) and reads it back
-- (GET /gatehouse/state, /gatehouse/backends, /gatehouse/certificates). Keys: "b:<backend>" holds a
-- backend's endpoints as "addr:port addr:port ..."; "h:<host>" names a host's certificate ("" for the
-- default server's own), "h:" the one of unknown hosts; "c:<certificate>" holds a certificate chain and
-- key (PEM); "k:<policy>", "a:<policy>" and "l:<policy>" hold a location's canary (backend and traffic
-- policy), session affinity (cookie settings) and balancing (mode, hash key), as JSON; "p" counts those
-- policy keys (absent: not known), so that while there are none the balancer reads no policy variable;
-- "id" is the controller's name for the whole state; "v" is bumped on every change, so a worker notices a
-- new state with one cheap read per request. A freshly started NGINX loads
-- the state the controller last wrote to disk (init_by_lua), so no worker ever proxies to nothing.
--
-- Input is the controller's only: the socket lives in a private folder, and every value is checked here
-- again (names are tokens, hosts are DNS names, endpoints are IP addresses with ports, certificates parse
-- as PEM) before it is stored.
local cjson = require("cjson.safe")
local ngx_ssl = require("ngx.ssl")

local _M = {}

local dict = ngx.shared.gatehouse_state

local TABLES = {
  backends = "b:",
  hosts = "h:",
  certificates = "c:",
  canaries = "k:",
  affinities = "a:",
  balancing = "l:",
}

-- The tables of a location's policies, counted in "p".
local POLICY = { ["k:"] = true, ["a:"] = true, ["l:"] = true }

local NAME = "^[A-Za-z0-9_.-]+$"
-- A host ("" for unknown hosts), as translate validated it: lowercase DNS name, maybe one "*." label.
local HOST = "^[a-z0-9*]?[a-z0-9.-]*$"
local MAX_PEM = 1024 * 1024
local IPV4 = "^%d+%.%d+%.%d+%.%d+:%d+$"
local IPV6 = "^%[[%x:.]+%]:%d+$"

local function valid_endpoints(list)
  if type(list) ~= "table" then
    return nil
  end
  local out = {}
  for i, e in ipairs(list) do
    if type(e) ~= "string" or not (e:match(IPV4) or e:match(IPV6)) then
      return nil
    end
    out[i] = e
  end
  return table.concat(out, " ")
end

local function valid_certificate_name(name)
  if type(name) == "string" and (name == "" or name:match(NAME)) then
    return name
  end
  return nil
end

-- A chain and key OpenSSL can parse: checked once here, so a handshake only meets usable ones.
local function valid_pem(pem)
  if type(pem) ~= "string" or #pem > MAX_PEM then
    return nil
  end
  if ngx_ssl.parse_pem_cert(pem) == nil or ngx_ssl.parse_pem_priv_key(pem) == nil then
    return nil
  end
  return pem
end

-- A canary's policy, as the canary annotations allow it (ingress-nginx's character sets), stored as JSON.
local MAX_WEIGHT = 1000000
local CANARY_TEXT = {
  header = "^[%w][%w_%-]*$",
  value = "^[%w/%-%._~:]+$",
  pattern = "^[%w/%-%._~:%^%$%[%]%(%){}%*%+%?|&=\\]+$",
  cookie = "^[%w_%.%-]+$",
}

local function whole(n, min, max)
  return type(n) == "number" and n == math.floor(n) and n >= min and n <= max
end

-- Copies the text fields of `from` that are set into `to`, each at most 256 characters matching its
-- pattern; false when one does not.
local function copy_text(from, to, patterns)
  for field, pattern in pairs(patterns) do
    local v = from[field]
    if v ~= nil then
      if type(v) ~= "string" or #v > 256 or not v:match(pattern) then
        return false
      end
      to[field] = v
    end
  end
  return true
end

local function valid_canary(c)
  if type(c) ~= "table" or type(c.backend) ~= "string" or not c.backend:match(NAME) then
    return nil
  end
  if not whole(c.weight, 0, MAX_WEIGHT) or not whole(c.total, 1, MAX_WEIGHT) then
    return nil
  end
  local out = { backend = c.backend, weight = c.weight, total = c.total }
  if not copy_text(c, out, CANARY_TEXT) then
    return nil
  end
  if c.legacy ~= nil then
    if c.legacy ~= true then
      return nil
    end
    out.legacy = true
  end
  return cjson.encode(out)
end

-- A session affinity's cookie settings, as the affinity annotations allow them.
local AFFINITY_TEXT = {
  name = "^[%w_%.~%-]+$",
  path = "^/[%w%._~!%*%+,=:@%(%)/%-]*$",
  domain = "^%.?[%w][%w%.%-]*$",
}
local SAMESITE = { None = true, Lax = true, Strict = true }
local MAX_SECONDS = 2147483647

local function valid_affinity(a)
  if type(a) ~= "table" or (a.mode ~= "balanced" and a.mode ~= "persistent") then
    return nil
  end
  if type(a.name) ~= "string" or type(a.path) ~= "string" then
    return nil
  end
  local out = { mode = a.mode }
  if not copy_text(a, out, AFFINITY_TEXT) then
    return nil
  end
  for _, field in ipairs({ "max_age", "expires" }) do
    if a[field] ~= nil then
      if not whole(a[field], 0, MAX_SECONDS) then
        return nil
      end
      out[field] = a[field]
    end
  end
  if a.samesite ~= nil then
    if not SAMESITE[a.samesite] then
      return nil
    end
    out.samesite = a.samesite
  end
  for _, field in ipairs({ "conditional", "secure", "change" }) do
    if a[field] ~= nil then
      if type(a[field]) ~= "boolean" then
        return nil
      end
      out[field] = a[field]
    end
  end
  return cjson.encode(out)
end

-- How a location picks its pod: a mode, and a hash key of NGINX variable names and literal text.
local function valid_balancing(b)
  if type(b) ~= "table" then
    return nil
  end
  local out = {}
  if b.mode ~= nil then
    if b.mode ~= "round_robin" and b.mode ~= "ewma" then
      return nil
    end
    out.mode = b.mode
  end
  if b.hash ~= nil then
    if type(b.hash) ~= "table" or #b.hash == 0 or #b.hash > 64 then
      return nil
    end
    local parts = {}
    for i, p in ipairs(b.hash) do
      if type(p) ~= "table" then
        return nil
      elseif type(p.v) == "string" and #p.v <= 64 and p.v:match("^[a-z][a-z0-9_]*$") then
        parts[i] = { v = p.v }
      elseif type(p.t) == "string" and #p.t <= 256 and p.t:match("^[%w_%.:/%-]+$") then
        parts[i] = { t = p.t }
      else
        return nil
      end
    end
    out.hash = parts
  end
  if b.subset ~= nil then
    if not whole(b.subset, 1, 1000) then
      return nil
    end
    out.subset = b.subset
  end
  return cjson.encode(out)
end

local VALIDATE = {
  backends = valid_endpoints,
  hosts = valid_certificate_name,
  certificates = valid_pem,
  canaries = valid_canary,
  affinities = valid_affinity,
  balancing = valid_balancing,
}
local KEY = {
  backends = NAME,
  hosts = HOST,
  certificates = NAME,
  canaries = NAME,
  affinities = NAME,
  balancing = NAME,
}

-- Applies one change: { id = "...", base = "..." or nil, set = { backends = { name = {...} } },
-- delete = { backends = { name, ... } } }. Without a base, the set replaces the whole state. Returns the
-- HTTP status and a message.
function _M.apply(change)
  if type(change) ~= "table" or type(change.id) ~= "string" or not change.id:match(NAME) then
    return 400, "a change needs an id"
  end
  local replace = change.base == nil or change.base == cjson.null
  if not replace and change.base ~= dict:get("id") then
    return 409, "the state is not the one this change was made against"
  end
  local writes = {}
  for tbl, prefix in pairs(TABLES) do
    local set = (change.set or {})[tbl] or {}
    if type(set) ~= "table" then
      return 400, "set." .. tbl .. " must be an object"
    end
    for name, value in pairs(set) do
      local stored = type(name) == "string" and name:match(KEY[tbl]) and VALIDATE[tbl](value)
      if not stored then
        return 400, "invalid " .. tbl .. " entry"
      end
      writes[prefix .. name] = stored
    end
  end
  -- Everything is checked before anything is written.
  local deletes = {}
  if replace then
    for _, key in ipairs(dict:get_keys(0)) do
      if key ~= "id" and key ~= "v" and key ~= "p" and writes[key] == nil then
        deletes[#deletes + 1] = key
      end
    end
  else
    for tbl, prefix in pairs(TABLES) do
      for _, name in ipairs((change.delete or {})[tbl] or {}) do
        if type(name) == "string" then
          deletes[#deletes + 1] = prefix .. name
        end
      end
    end
  end
  -- A whole state counts its policies afresh; a change keeps the count, when there is one (a state loaded
  -- by older code has none until the next whole state: the balancer then reads the policy variable).
  local policies = replace and 0 or dict:get("p")
  for key, value in pairs(writes) do
    if policies and POLICY[key:sub(1, 2)] and (replace or dict:get(key) == nil) then
      policies = policies + 1
    end
    local ok, err = dict:safe_set(key, value)
    if not ok then
      dict:delete("p")
      return 507, "the state does not fit in lua_shared_dict gatehouse_state: " .. tostring(err)
    end
  end
  for _, key in ipairs(deletes) do
    if policies and not replace and POLICY[key:sub(1, 2)] and dict:get(key) ~= nil then
      policies = policies - 1
    end
    dict:delete(key)
  end
  dict:set("p", policies)
  dict:set("id", change.id)
  dict:incr("v", 1, 0)
  return 200, change.id
end

-- init_by_lua: a fresh NGINX (not a reload: the dict survives those) starts from the state on disk.
function _M.load_file(path)
  if dict:get("id") ~= nil then
    return
  end
  local file = io.open(path, "r")
  if file == nil then
    return
  end
  local text = file:read("*a")
  file:close()
  local change = cjson.decode(text)
  if change == nil then
    ngx.log(ngx.ERR, "gatehouse: ", path, " is not valid JSON; starting without endpoints")
    return
  end
  change.base = nil
  local status, message = _M.apply(change)
  if status ~= 200 then
    ngx.log(ngx.ERR, "gatehouse: cannot load ", path, ": ", message)
  end
end

local function respond(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(body))
  return ngx.exit(status)
end

-- content_by_lua on the status socket: POST /gatehouse/state applies a change, GET reads its id.
function _M.serve_state()
  if ngx.req.get_method() == "GET" then
    return respond(200, { id = dict:get("id") or cjson.null })
  end
  if ngx.req.get_method() ~= "POST" then
    return respond(405, { error = "GET or POST" })
  end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body == nil then
    local file = ngx.req.get_body_file()
    if file ~= nil then
      local f = io.open(file, "r")
      body = f and f:read("*a")
      if f then
        f:close()
      end
    end
  end
  local change = body and cjson.decode(body)
  local status, message = _M.apply(change)
  if status ~= 200 then
    return respond(status, { error = message })
  end
  return respond(200, { id = message })
end

-- A backend's endpoints as stored ("addr:port addr:port"), as a JSON array.
local function endpoint_list(value)
  local list = {}
  for e in (value or ""):gmatch("%S+") do
    list[#list + 1] = e
  end
  return setmetatable(list, cjson.array_mt)
end

-- GET /gatehouse/backends: every backend's live endpoints, as the workers see them; with ?name=<backend>,
-- only that one (none when it is not in the state), without walking every key of the dict.
function _M.serve_backends()
  local backends = {}
  local name = ngx.var.arg_name
  if name ~= nil then
    if not name:find(NAME) then
      return respond(400, { error = "name must be a backend name" })
    end
    local value = dict:get("b:" .. name)
    if value ~= nil then
      backends[name] = endpoint_list(value)
    end
  else
    for _, key in ipairs(dict:get_keys(0)) do
      if key:sub(1, 2) == "b:" then
        backends[key:sub(3)] = endpoint_list(dict:get(key))
      end
    end
  end
  return respond(200, { id = dict:get("id") or cjson.null, backends = backends })
end

-- GET /gatehouse/certificates: which certificate each host gets ("" is the default server's own); never
-- a certificate or key.
function _M.serve_certificates()
  local hosts = {}
  for _, key in ipairs(dict:get_keys(0)) do
    if key:sub(1, 2) == "h:" then
      hosts[key:sub(3)] = dict:get(key)
    end
  end
  return respond(200, { id = dict:get("id") or cjson.null, hosts = hosts })
end

return _M

