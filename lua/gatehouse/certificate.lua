-- TLS certificates without reloads: ssl_client_hello_by_lua on the default server picks each connection's
-- certificate by SNI from the dynamic state. It runs before NGINX looks up the server for the name, and
-- NGINX switches SSL context only to servers with a certificate of their own (none of ours), so NGINX
-- builds one SSL context in all and keeps the certificate set here; a rotated certificate is served on
-- the next handshake. (ssl_certificate_by_lua would run after that lookup, in the chosen server's
-- configuration, which needs an SSL context of its own: one per server, the cost this avoids.)
--
-- Keys: "h:<host>" names the certificate of a host (exact, or "*.example.com" for one label), "h:" the
-- one for unknown hosts and clients without SNI; "c:<name>" holds a certificate chain and key (PEM).
-- Names are content-addressed, so a worker keeps parsed certificates by name and never needs to drop one.
local ngx_ssl = require("ngx.ssl")
local clienthello = require("ngx.ssl.clienthello")
local lrucache = require("resty.lrucache")

local _M = {}

local dict = ngx.shared.gatehouse_state

-- Parsed chain and key by certificate name; a miss costs one PEM parse.
local parsed = lrucache.new(2000)

local function certificate_name(server_name)
  if server_name ~= nil and server_name ~= "" then
    server_name = server_name:lower()
    local name = dict:get("h:" .. server_name)
    if name ~= nil then
      return name
    end
    local parent = server_name:match("^[^.]+(%..+)$")
    if parent ~= nil then
      name = dict:get("h:*" .. parent)
      if name ~= nil then
        return name
      end
    end
  end
  return dict:get("h:")
end

-- ssl_client_hello_by_lua: sets the certificate of the host the client asked for. A host whose certificate
-- cannot be used fails its own handshakes only.
function _M.select()
  local name = certificate_name(clienthello.get_client_hello_server_name())
  if name == nil or name == "" then
    return -- the default server's own certificate
  end
  local entry = parsed:get(name)
  if entry == nil then
    local pem = dict:get("c:" .. name)
    if pem == nil then
      ngx.log(ngx.ERR, "gatehouse: certificate ", name, " is not in the dynamic state")
      return ngx.exit(ngx.ERROR)
    end
    local chain, cert_err = ngx_ssl.parse_pem_cert(pem)
    local key, key_err = ngx_ssl.parse_pem_priv_key(pem)
    if chain == nil or key == nil then
      ngx.log(ngx.ERR, "gatehouse: certificate ", name, " cannot be parsed: ", cert_err or key_err)
      return ngx.exit(ngx.ERROR)
    end
    entry = { chain = chain, key = key }
    parsed:set(name, entry)
  end
  local ok, err = ngx_ssl.clear_certs()
  if ok then
    ok, err = ngx_ssl.set_cert(entry.chain)
  end
  if ok then
    ok, err = ngx_ssl.set_priv_key(entry.key)
  end
  if not ok then
    ngx.log(ngx.ERR, "gatehouse: certificate ", name, " cannot be used: ", err)
    return ngx.exit(ngx.ERROR)
  end
end

return _M
