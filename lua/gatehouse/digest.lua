-- HTTP Digest authentication (RFC 7616 / 2617 as browsers and curl speak it: MD5, qop="auth"): the access
-- handler of a location with `auth-type: digest`. Debian's NGINX has no digest module (ingress-nginx loads
-- nginx-http-auth-digest), so Gatehouse ships this one; docs/adr/0014-digest-auth-in-lua.md says why.
--
-- A location says
--   set $gatehouse_digest_realm "<realm>";            (validated by translate, printed by a quoting filter)
--   set $gatehouse_digest_file "<conf>/auth/<name>.htdigest";   (a file Gatehouse wrote: user:realm:HA1)
--   access_by_lua_block { require("gatehouse.digest").access() }
-- so no user string is ever evaluated as Lua; both values are checked again here.
--
-- Nonces are stateless until used: "<time><unique><HMAC-SHA1 of both and the realm>" under a server secret
-- made at the first load and kept in the gatehouse_digest shared dict across reloads. As ingress-nginx's
-- module does by default, a nonce is good for TIMEOUT seconds and MAX_NC requests; then the client is told
-- stale=true and retries with a fresh one without asking its user again. Each nonce's used nonce counts
-- are one bitmap in the shared dict, so a replayed request (same nonce and nc) is refused; when the dict is
-- full the least recently used nonces are evicted, and a warning says replay protection is weakened.
local lrucache = require("resty.lrucache")

local _M = {}

local TIMEOUT = 60
local MAX_NC = 20
-- A nonce whose bitmap reached this is spent (a replay was seen): the next use is told stale=true.
local SPENT = 2 ^ MAX_NC
local MAX_HEADER = 4096
local MAX_USERS = 10000
local REALM = "^[A-Za-z0-9 _.,:!?@()/+'-]+$"
local FILE = "^/[A-Za-z0-9._/-]+%.htdigest$"
local NONCE = "^" .. string.rep("%x", 56) .. "$"

local secret
local counter = 0
-- Parsed user files by path: names are content-addressed, so an entry never goes stale.
local files = lrucache.new(64)

-- Called by init_by_lua (the master): one secret for every worker, kept across reloads by the dict.
function _M.init()
  local dict = ngx.shared.gatehouse_digest
  local urandom = assert(io.open("/dev/urandom", "rb"))
  local bytes = urandom:read(32)
  urandom:close()
  assert(bytes and #bytes == 32, "no random bytes for the digest nonce secret")
  dict:add("secret", bytes)
  secret = dict:get("secret") or bytes
end

local HEX16 = string.rep("%02x", 16)

-- The first 16 bytes of the HMAC-SHA1 of a nonce's stamp and the realm, as 32 hex digits.
local function mac(stamp, realm)
  return HEX16:format(ngx.hmac_sha1(secret, stamp .. ":" .. realm):byte(1, 16))
end

local function new_nonce(realm)
  counter = (counter + 1) % 4294967296
  local stamp = string.format("%08x%08x%08x", ngx.time(), ngx.worker.pid(), counter)
  return stamp .. mac(stamp, realm)
end

-- user:realm:HA1 lines (already validated by the controller; checked again). Returns { ["user:realm"] = HA1 }.
local function load(path)
  local users = files:get(path)
  if users then
    return users
  end
  local f, err = io.open(path, "rb")
  if not f then
    return nil, err
  end
  users = {}
  local n = 0
  for line in f:lines() do
    local user, realm, ha1 = line:match("^([^:]+):(.+):(%x+)$")
    if not user or #ha1 ~= 32 then
      f:close()
      return nil, "line " .. (n + 1) .. " is not user:realm:HA1"
    end
    n = n + 1
    if n > MAX_USERS then
      f:close()
      return nil, "more than " .. MAX_USERS .. " users"
    end
    users[user .. ":" .. realm] = ha1:lower()
  end
  f:close()
  files:set(path, users)
  return users
end

-- The auth-params of `Authorization: Digest a=b, c="d", ...` (RFC 7235 §2.1), or nil when malformed or
-- when a parameter repeats.
local function parse(header)
  if #header > MAX_HEADER then
    return nil
  end
  local rest = header:match("^[Dd][Ii][Gg][Ee][Ss][Tt][ \t]+(.*)$")
  if not rest then
    return nil
  end
  local params, pos, n = {}, 1, #rest
  while true do
    pos = rest:match("^[ \t,]*()", pos)
    if pos > n then
      return params
    end
    local name, after = rest:match("^([%w_%-]+)[ \t]*=[ \t]*()", pos)
    if not name then
      return nil
    end
    pos = after
    local value
    if rest:sub(pos, pos) == '"' then
      local parts = {}
      pos = pos + 1
      while true do
        local stop = rest:find('["\\]', pos)
        if not stop then
          return nil
        end
        parts[#parts + 1] = rest:sub(pos, stop - 1)
        if rest:sub(stop, stop) == '"' then
          pos = stop + 1
          break
        end
        if stop == n then
          return nil
        end
        parts[#parts + 1] = rest:sub(stop + 1, stop + 1)
        pos = stop + 2
      end
      value = table.concat(parts)
    else
      value, pos = rest:match('^([^ \t,"]+)()', pos)
      if not value then
        return nil
      end
    end
    name = name:lower()
    if params[name] ~= nil then
      return nil
    end
    params[name] = value
    pos = rest:match("^[ \t]*()", pos)
    if pos <= n and rest:sub(pos, pos) ~= "," then
      return nil
    end
  end
end
_M.parse = parse

local function challenge(realm, stale)
  ngx.header["WWW-Authenticate"] = 'Digest realm="'
    .. realm
    .. '", nonce="'
    .. new_nonce(realm)
    .. '", qop="auth", algorithm=MD5'
    .. (stale and ", stale=true" or "")
  return ngx.exit(ngx.HTTP_UNAUTHORIZED)
end

-- Marks nonce count nc of a nonce used. Returns "ok", "replay" (that count was used before: the nonce is
-- spent from now on) or "stale" (the nonce is spent).
local function use(nonce, nc, ttl)
  local dict = ngx.shared.gatehouse_digest
  local key = "n:" .. nonce
  local bit = 2 ^ (nc - 1)
  local now, err, forcible = dict:incr(key, bit, 0, ttl)
  if not now then
    ngx.log(ngx.ERR, "gatehouse digest: cannot record a nonce: ", err)
    return "stale"
  end
  if forcible then
    ngx.log(ngx.WARN, "gatehouse digest: the nonce table is full; older nonces were evicted, which weakens replay protection")
  end
  if math.floor(now / bit) % 2 == 0 then
    -- Adding the bit carried: it was set already. Nothing of this nonce is trusted any more.
    dict:set(key, SPENT, ttl)
    return "replay"
  end
  return now >= SPENT and "stale" or "ok"
end

-- The access phase of a digest-protected location.
function _M.access()
  local var = ngx.var
  if not secret then
    ngx.log(ngx.ERR, "gatehouse digest: no nonce secret (init_by_lua did not load gatehouse.digest)")
    return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
  end
  local realm, path = var.gatehouse_digest_realm, var.gatehouse_digest_file
  if not (realm and #realm <= 128 and realm:match(REALM) and path and path:match(FILE) and not path:find("..", 1, true)) then
    ngx.log(ngx.ERR, "gatehouse digest: the location's realm or user file is not one Gatehouse made")
    return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
  end
  -- The one Authorization header NGINX keeps (as auth_basic reads it).
  local header = var.http_authorization
  if not header then
    return challenge(realm, false)
  end
  local p = parse(header)
  if not p or p.realm ~= realm or p.qop ~= "auth" or p.userhash == "true" or p["username*"] ~= nil then
    return challenge(realm, false)
  end
  if p.algorithm ~= nil and p.algorithm:upper() ~= "MD5" then
    return challenge(realm, false)
  end
  local user, nonce, uri, response, cnonce = p.username, p.nonce, p.uri, p.response, p.cnonce
  local nc = p.nc and p.nc:match("^%x%x%x%x%x%x%x%x$") and tonumber(p.nc, 16)
  if not (user and nonce and uri and response and cnonce and nc) or nc == 0 or #cnonce == 0 or #cnonce > 256 then
    return challenge(realm, false)
  end
  if uri ~= var.request_uri then
    return ngx.exit(ngx.HTTP_BAD_REQUEST)
  end
  -- A nonce this server made for this realm: anything else is forged (or from before a secret change).
  if not nonce:match(NONCE) or nonce:sub(25):lower() ~= mac(nonce:sub(1, 24):lower(), realm) then
    return challenge(realm, false)
  end
  local users, err = load(path)
  if not users then
    ngx.log(ngx.ERR, "gatehouse digest: cannot read ", path, ": ", err)
    return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
  end
  local ha1 = users[user .. ":" .. realm]
  if not ha1 then
    return challenge(realm, false)
  end
  local ha2 = ngx.md5(ngx.req.get_method() .. ":" .. uri)
  local expected = ngx.md5(table.concat({ ha1, nonce, p.nc, cnonce, "auth", ha2 }, ":"))
  if response:lower() ~= expected then
    return challenge(realm, false)
  end
  -- The credentials are right; the nonce must still be fresh, and this count unused.
  local left = tonumber(nonce:sub(1, 8), 16) + TIMEOUT - ngx.time()
  if left <= 0 or nc > MAX_NC then
    return challenge(realm, true)
  end
  local outcome = use(nonce:lower(), nc, left + 1)
  if outcome == "stale" then
    return challenge(realm, true)
  elseif outcome == "replay" then
    ngx.log(ngx.WARN, "gatehouse digest: a replayed request of user ", user, " in realm ", realm, " was refused")
    return challenge(realm, false)
  end
end

return _M
