-- Session affinity for lua/gatehouse/balancer.lua: which endpoint a session cookie names, a new session's
-- endpoint and cookie, and the consistent-hash ring behind the balanced mode.
--
-- The cookie's value is "<key>.<backend tag>". In the persistent mode the key names one endpoint (a digest
-- of the backend and its address), so a session stays there while it is ready. In the balanced mode the key
-- is random and hashed onto a ring of the backend's endpoints, so adding pods moves some sessions to them
-- (ingress-nginx's two modes). The tag says which backend the session belongs to, so a session that began
-- on a canary stays on it and one that began on the main backend stays off it.
local _M = {}

-- Points per endpoint on the ring: enough for an even spread over a few hundred endpoints.
local POINTS = 100
-- A retry (or a new session) draws at most this many random keys looking for an endpoint not yet tried.
local MAX_DRAWS = 20

local digest = function(text)
  return ngx.md5(text):sub(1, 16)
end

-- Where a text lands on the ring: the first 32 bits of its MD5 (CRC32 places labels that differ in one
-- character, such as the ports of pods on one address, too close together).
local function point_of(text)
  return tonumber(ngx.md5(text):sub(1, 8), 16)
end

-- A consistent-hash ring over `items`, each placed at POINTS points derived from its label.
local function ring_of(items, label)
  local ring = { points = {}, owner = {} }
  for _, item in ipairs(items) do
    for i = 1, POINTS do
      local point = point_of(label(item) .. "#" .. i)
      ring.points[#ring.points + 1] = point
      ring.owner[point] = item
    end
  end
  table.sort(ring.points)
  return ring
end

-- The item at or after the key's point on the ring.
local function lookup(ring, key)
  local points = ring.points
  local h = point_of(key)
  local lo, hi = 1, #points
  if h > points[hi] then
    return ring.owner[points[1]]
  end
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if points[mid] < h then
      lo = mid + 1
    else
      hi = mid
    end
  end
  return ring.owner[points[lo]]
end

local function endpoint_label(e)
  return e.key
end

-- Per backend, for the endpoint list it was built from (dropped with it when the state changes).
local function index_of(list, name)
  local index = list.sticky
  if index == nil then
    index = { tag = digest(name):sub(1, 8), by_digest = {}, ring = ring_of(list, endpoint_label), subsets = {} }
    for _, e in ipairs(list) do
      index.by_digest[digest(name .. "|" .. e.key)] = e
    end
    list.sticky = index
  end
  return index
end

local function on_ring(index, key)
  return lookup(index.ring, key)
end

-- upstream-hash-by: the endpoint the key hashes to.
function _M.on_ring(list, name, key)
  return on_ring(index_of(list, name), key)
end

-- upstream-hash-by-subset: the key hashes to a group of `size` endpoints (in address order), and the
-- request goes to one of them at random.
function _M.in_subset(list, name, key, size)
  local index = index_of(list, name)
  local ring = index.subsets[size]
  if ring == nil then
    local groups = {}
    for i, e in ipairs(list) do
      local g = math.floor((i - 1) / size) + 1
      groups[g] = groups[g] or { id = "subset" .. g }
      table.insert(groups[g], e)
    end
    ring = ring_of(groups, function(group)
      return group.id
    end)
    index.subsets[size] = ring
  end
  local group = lookup(ring, key)
  return group[math.random(#group)]
end

-- The backend tag of the session cookie, or nil.
function _M.session_tag(affinity)
  local value = ngx.var["cookie_" .. affinity.name]
  return value and value:match("^[%w]+%.(%x+)$")
end

function _M.tag(list, name)
  return index_of(list, name).tag
end

-- The endpoint the session cookie names in this backend, or nil (no cookie, another backend, gone).
function _M.endpoint(affinity, list, name)
  local value = ngx.var["cookie_" .. affinity.name]
  if value == nil then
    return nil
  end
  local key, tag = value:match("^([%w]+)%.(%x+)$")
  local index = index_of(list, name)
  if key == nil or tag ~= index.tag then
    return nil
  end
  if affinity.mode == "persistent" then
    return index.by_digest[key]
  end
  return on_ring(index, key)
end

-- A new session's endpoint among those not `tried`, and its cookie value.
function _M.choose(affinity, list, name, tried)
  local index = index_of(list, name)
  if affinity.mode == "persistent" then
    local n = #list
    local start = math.random(n)
    for i = 0, n - 1 do
      local e = list[(start + i - 1) % n + 1]
      if not tried[e.key] then
        return e, digest(name .. "|" .. e.key) .. "." .. index.tag
      end
    end
    return nil
  end
  for _ = 1, MAX_DRAWS do
    local key = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
    local e = on_ring(index, key)
    if not tried[e.key] then
      return e, key .. "." .. index.tag
    end
  end
  return nil
end

-- Browsers that reject SameSite=None cookies (https://www.chromium.org/updates/same-site/incompatible-clients),
-- as ingress-nginx lists them.
local function same_site_none_rejected(agent)
  if agent == nil then
    return false
  end
  return agent:find("Chrome/[456]") ~= nil
    or agent:find("CPU iPhone OS 12", 1, true) ~= nil
    or agent:find("iPad; CPU OS 12", 1, true) ~= nil
    or (agent:find("Intel Mac OS X 10_14", 1, true) ~= nil and agent:find("Safari", 1, true) ~= nil
      and agent:find("Chrome", 1, true) == nil)
end

-- Adds the session cookie to the answer.
function _M.set_cookie(affinity, value)
  local parts = { affinity.name .. "=" .. value, "Path=" .. affinity.path }
  if affinity.domain then
    parts[#parts + 1] = "Domain=" .. affinity.domain
  end
  if affinity.expires then
    parts[#parts + 1] = "Expires=" .. ngx.cookie_time(ngx.time() + affinity.expires)
  end
  if affinity.max_age then
    parts[#parts + 1] = "Max-Age=" .. affinity.max_age
  end
  parts[#parts + 1] = "HttpOnly"
  local secure = affinity.secure
  if secure == nil then
    secure = ngx.var.https == "on"
  end
  if secure then
    parts[#parts + 1] = "Secure"
  end
  local samesite = affinity.samesite
  if samesite == "None" and affinity.conditional and same_site_none_rejected(ngx.var.http_user_agent) then
    samesite = nil
  end
  if samesite then
    parts[#parts + 1] = "SameSite=" .. samesite
  end
  local cookie = table.concat(parts, "; ")
  local existing = ngx.header["Set-Cookie"]
  if existing == nil then
    ngx.header["Set-Cookie"] = cookie
  elseif type(existing) == "table" then
    existing[#existing + 1] = cookie
    ngx.header["Set-Cookie"] = existing
  else
    ngx.header["Set-Cookie"] = { existing, cookie }
  end
end

return _M
