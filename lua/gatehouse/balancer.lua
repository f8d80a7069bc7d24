-- The Lua balancer behind `upstream gatehouse_balancer`: each proxying location names its backend in
-- $gatehouse_upstream, and this picks one of that backend's endpoints (round robin) from the dynamic
-- state. A worker keeps the parsed endpoint lists and drops them when the state's version changes: one
-- shared-dict read per request, so a change is live on the next request after the controller's push.
local ngx_balancer = require("ngx.balancer")
local cjson = require("cjson.safe")
local sticky = require("gatehouse.sticky")

local _M = {}

local dict = ngx.shared.gatehouse_state

-- How many endpoints one request may try (the first and two retries), as NGINX's proxy_next_upstream does
-- across the servers of a static upstream.
local MAX_TRIES = 3

-- ConfigMap load-balance: how a location without a mode of its own picks its pod.
local default_mode = "round_robin"

-- load-balance ewma, per worker: each endpoint's recent time to first byte (decaying towards 0 while it is
-- not asked, so a slow pod is tried again now and then) and its requests in flight.
local DECAY_SECONDS = 10
-- What a try that got no answer counts as.
local FAILED_SECONDS = 5
local ewma = {}
local inflight = {}

local cache = {}
local policies = {}
local cache_version = nil
local next_index = {}
-- Whether the state may hold a location's policy: while it holds none, no request reads $gatehouse_policy.
local any_policy = true

-- The local listeners that answer 503 for a backend without a ready endpoint (HTTP/1.1, h2c for gRPC):
-- "unix:<path>", or nil (then such a request gets the 500 a failing balancer gives).
local unavailable_http, unavailable_grpc

-- Drops what this worker parsed when the state changed.
local function refresh()
  local version = dict:get("v")
  if version ~= cache_version then
    cache = {}
    policies = {}
    cache_version = version
    local count = dict:get("p")
    any_policy = count == nil or count > 0
  end
end

-- The location's policy name ("" for none).
local function policy_name()
  return any_policy and ngx.var.gatehouse_policy or ""
end

local function endpoints(name)
  local list = cache[name]
  if list == nil then
    list = {}
    for e in (dict:get("b:" .. name) or ""):gmatch("%S+") do
      local host, port = e:match("^%[?([^%]]+)%]?:(%d+)$")
      list[#list + 1] = { host = host, port = tonumber(port), key = e }
    end
    cache[name] = list
  end
  return list
end

-- A location's canary ("k:"), session affinity ("a:") or balancing ("l:"), as state.lua checked it; false
-- when it has none.
local function policy_of(prefix, name)
  local key = prefix .. name
  local policy = policies[key]
  if policy == nil then
    local raw = dict:get(key)
    policy = raw and cjson.decode(raw) or false
    if policy and policy.header then
      policy.header_var = "http_" .. policy.header:lower():gsub("-", "_")
    end
    policies[key] = policy
  end
  return policy
end

-- ingress-nginx's precedence: the header (its value, a match of its pattern, or "always"/"never"), then
-- the cookie ("always"/"never"), then the weight.
local function to_canary(policy)
  if policy.header_var then
    local value = ngx.var[policy.header_var]
    if value then
      if policy.value then
        if value == policy.value then
          return true
        end
      elseif policy.pattern then
        local from, _, err = ngx.re.find(value, policy.pattern, "jo")
        if from then
          return true
        elseif err then
          ngx.log(ngx.ERR, "gatehouse: canary-by-header-pattern ", policy.pattern, ": ", err)
          return false
        end
      elseif value == "always" then
        return true
      elseif value == "never" then
        return false
      end
    end
  end
  if policy.cookie then
    local value = ngx.var["cookie_" .. policy.cookie]
    if value == "always" then
      return true
    elseif value == "never" then
      return false
    end
  end
  return policy.weight > 0 and math.random(policy.total) <= policy.weight
end

-- init_by_lua: where the 503 listeners are (nginx.conf's run folder).
function _M.unavailable(http_socket, grpc_socket)
  unavailable_http = "unix:" .. http_socket
  unavailable_grpc = "unix:" .. grpc_socket
end

function _M.init_worker(mode)
  default_mode = mode == "ewma" and "ewma" or "round_robin"
  math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
end

-- Whether a request goes to the canary: a session that began on either backend stays there (ingress-nginx's
-- "sticky" canary behaviour), any other follows the canary's policy. A "legacy" canary keeps no sessions:
-- only one that began on the main backend stays there.
local function canary_chosen(canary, affinity, name)
  local canary_endpoints = endpoints(canary.backend)
  if #canary_endpoints == 0 then
    return false
  end
  local tag = affinity and sticky.session_tag(affinity)
  if tag ~= nil then
    if not canary.legacy and tag == sticky.tag(canary_endpoints, canary.backend) then
      return true
    elseif tag == sticky.tag(endpoints(name), name) then
      return false
    end
  end
  return to_canary(canary)
end

-- rewrite_by_lua, only in a location that needs it (Action.checkEndpoints: a policy, a TLS or FastCGI
-- backend, an error page for NGINX's own 503): a path with a canary may send the request to the canary's
-- backend instead (named in $gatehouse_canary for the logs; a canary without a ready endpoint takes no
-- traffic); a request for a backend without endpoints gets 503 here, where NGINX can still answer it in
-- any protocol (elsewhere the balancer sends it to the 503 listener). With session affinity, the
-- session's endpoint is chosen here, and a new session gets its cookie.
function _M.rewrite()
  local name = ngx.var.gatehouse_upstream
  if name == "" then
    return
  end
  refresh()
  local policy = policy_name()
  if policy == "" then
    if #endpoints(name) == 0 then
      return ngx.exit(503)
    end
    return
  end
  local canary = policy_of("k:", policy)
  local affinity = policy_of("a:", policy)
  ngx.ctx.gatehouse_balancing = policy_of("l:", policy) or nil
  if canary and canary_chosen(canary, affinity, name) then
    name = canary.backend
    ngx.var.gatehouse_upstream = name
    ngx.var.gatehouse_canary = name
    if canary.legacy then
      -- No session on a legacy canary: no cookie, and the pod is picked as without affinity.
      affinity = false
    end
  end
  local list = endpoints(name)
  if #list == 0 then
    return ngx.exit(503)
  end
  if affinity then
    local ctx = ngx.ctx
    ctx.gatehouse_affinity = affinity
    local pick = sticky.endpoint(affinity, list, name)
    if pick == nil then
      local value
      pick, value = sticky.choose(affinity, list, name, {})
      if pick ~= nil then
        sticky.set_cookie(affinity, value)
      end
    end
    ctx.gatehouse_sticky = pick
  end
end

-- A retry's endpoint for a session with session-cookie-change-on-failure: one not tried yet, which the
-- session moves to; nil otherwise (the retry then takes the next endpoint in turn, the cookie stays).
local function retry_pick(ctx, list, name, tried)
  local affinity = ctx.gatehouse_affinity
  if not affinity.change then
    return nil
  end
  local pick, value = sticky.choose(affinity, list, name, tried)
  if pick ~= nil then
    sticky.set_cookie(affinity, value)
  end
  return pick
end

-- The next endpoint in turn that this request has not tried (or, all tried, the next one).
local function next_in_turn(name, list, tried)
  local n = #list
  local start = next_index[name] or math.random(n)
  for i = 0, n - 1 do
    local candidate = list[(start + i - 1) % n + 1]
    if not tried[candidate.key] then
      next_index[name] = (start + i) % n + 1
      return candidate
    end
  end
  return list[(start - 1) % n + 1]
end

-- upstream-hash-by: the endpoint the request's key hashes to (or, with a subset size, one of its group).
local function hashed(list, name, balancing)
  local key = {}
  for i, part in ipairs(balancing.hash) do
    key[i] = part.v and (ngx.var[part.v] or "") or part.t
  end
  key = table.concat(key)
  if balancing.subset then
    return sticky.in_subset(list, name, key, balancing.subset)
  end
  return sticky.on_ring(list, name, key)
end

local function load_of(key, now)
  local sample = ewma[key]
  if sample == nil then
    return 0
  end
  return sample.value * math.exp(-(now - sample.at) / DECAY_SECONDS) * ((inflight[key] or 0) + 1)
end

-- load-balance ewma: the less loaded of two endpoints drawn at random among those not tried.
local function least_loaded(list, tried)
  local candidates = {}
  for _, e in ipairs(list) do
    if not tried[e.key] then
      candidates[#candidates + 1] = e
    end
  end
  local n = #candidates
  if n < 2 then
    return candidates[1]
  end
  local i = math.random(n)
  local j = math.random(n - 1)
  if j >= i then
    j = j + 1
  end
  local a, b = candidates[i], candidates[j]
  local now = ngx.now()
  return load_of(a.key, now) <= load_of(b.key, now) and a or b
end

local function observe(key, seconds, now)
  local sample = ewma[key]
  if sample == nil then
    ewma[key] = { value = seconds, at = now }
    return
  end
  local weight = math.exp(-(now - sample.at) / DECAY_SECONDS)
  sample.value = sample.value * weight + seconds * (1 - weight)
  sample.at = now
end

-- log_by_lua where load-balance is ewma: the request is no longer in flight; its tries teach the balancer
-- (the last try's time to first byte; every earlier try failed).
function _M.log()
  local ctx = ngx.ctx
  local last = ctx.gatehouse_ewma
  if last == nil then
    return
  end
  inflight[last] = math.max((inflight[last] or 1) - 1, 0)
  local now = ngx.now()
  for key in pairs(ctx.gatehouse_tried or {}) do
    if key ~= last then
      observe(key, FAILED_SECONDS, now)
    end
  end
  local header = (ngx.var.upstream_header_time or ""):match("([%d.]+)$")
  observe(last, tonumber(header) or FAILED_SECONDS, now)
end

-- The endpoints this request tried before: NGINX names each tried peer in $upstream_addr ("addr:port, …",
-- " : " across internal redirects). Read only on a retry, so a first try needs no per-request table.
local function tried_before()
  local tried = {}
  for addr in (ngx.var.upstream_addr or ""):gmatch("[^%s,]+") do
    tried[addr] = true
  end
  return tried
end

local NOTHING_TRIED = {}

-- A request with a canary, session affinity or balancing of its own, or any under load-balance ewma: the
-- first try takes the session's endpoint, else the one the hash key names, else the less loaded of two
-- (ewma) or the next in turn; a retry picks one this request has not tried yet.
local function pick_with_policy(name, list)
  local ctx = ngx.ctx
  local tried = ctx.gatehouse_tried
  if tried == nil then
    tried = {}
    ctx.gatehouse_tried = tried
  end
  local pick
  if ctx.gatehouse_affinity then
    if next(tried) == nil then
      pick = ctx.gatehouse_sticky
    else
      pick = retry_pick(ctx, list, name, tried)
    end
  end
  local balancing = ctx.gatehouse_balancing
  if pick == nil and balancing and balancing.hash and next(tried) == nil then
    pick = hashed(list, name, balancing)
  end
  if pick == nil and (balancing and balancing.mode or default_mode) == "ewma" then
    pick = least_loaded(list, tried)
    if pick ~= nil then
      local previous = ctx.gatehouse_ewma
      if previous ~= nil then
        inflight[previous] = math.max((inflight[previous] or 1) - 1, 0)
      end
      inflight[pick.key] = (inflight[pick.key] or 0) + 1
      ctx.gatehouse_ewma = pick.key
    end
  end
  pick = pick or next_in_turn(name, list, tried)
  tried[pick.key] = true
  return pick
end

-- A backend without a ready endpoint: the local listener answers 503 in the backend's protocol (a
-- balancer can fail a request only with 500: Debian's module turns any status it exits with into an error).
-- $gatehouse_unavailable tells the metrics log that no pod answered.
local function to_unavailable(grpc)
  local target = grpc and unavailable_grpc or unavailable_http
  if target == nil then
    return ngx.exit(500)
  end
  ngx.var.gatehouse_unavailable = "1"
  local ok, err = ngx_balancer.set_current_peer(target)
  if not ok then
    ngx.log(ngx.ERR, "gatehouse: cannot use the 503 listener ", target, ": ", err)
    return ngx.exit(500)
  end
end

-- balancer_by_lua: an endpoint of the location's backend; the next in turn unless a policy says otherwise.
-- A retry (proxy_next_upstream) picks one this request has not tried yet. `grpc`: the location passes to
-- gRPC (HTTP/2) pods.
function _M.balance(grpc)
  refresh()
  local name = ngx.var.gatehouse_upstream
  local list = endpoints(name or "")
  local n = #list
  if n == 0 then
    return to_unavailable(grpc)
  end
  local retry = ngx_balancer.get_last_failure() ~= nil
  if not retry and n > 1 then
    ngx_balancer.set_more_tries(math.min(n, MAX_TRIES) - 1)
  end
  local pick
  if default_mode == "ewma" or policy_name() ~= "" then
    pick = pick_with_policy(name, list)
  else
    -- Most requests: no per-request state at all.
    pick = next_in_turn(name, list, retry and tried_before() or NOTHING_TRIED)
  end
  local ok, err = ngx_balancer.set_current_peer(pick.host, pick.port)
  if not ok then
    ngx.log(ngx.ERR, "gatehouse: cannot use endpoint ", pick.key, " of ", name, ": ", err)
    return ngx.exit(500)
  end
end

return _M
