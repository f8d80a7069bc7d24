-- Request ids for requests that bring no X-Request-ID: 32 hex digits, as NGINX's $request_id, without its
-- cost (16 bytes from OpenSSL's random generator on every request, about a fifth of what Gatehouse adds to
-- a proxied request; bench/dataplane.bench.ts). Each worker draws 12 random bytes (/dev/urandom) and
-- numbers its requests; the number is scrambled (times a random odd factor, xor a random mask: a bijection
-- of 32-bit numbers) so ids do not tell how many requests a worker served. After 2^32 requests a worker
-- draws new random bytes, so an id never repeats unless 96 random bits do.
local bit = require("bit")

local _M = {}

local prefix, factor, mask
local count = 0

local function draw()
  local random
  local urandom = io.open("/dev/urandom", "rb")
  if urandom then
    random = urandom:read(20)
    urandom:close()
  end
  if random == nil or #random ~= 20 then
    -- No /dev/urandom: Lua's generator, seeded per worker (balancer.init_worker).
    local bytes = {}
    for i = 1, 20 do
      bytes[i] = string.char(math.random(0, 255))
    end
    random = table.concat(bytes)
  end
  prefix = random:sub(1, 12):gsub(".", function(c)
    return string.format("%02x", c:byte())
  end)
  local b = { random:byte(13, 20) }
  -- An odd factor below 2^19: count * factor stays below 2^51, where bit.tobit keeps exactly its low 32 bits.
  factor = bit.bor(bit.band(b[1] * 65536 + b[2] * 256 + b[3], 0x7ffff), 1)
  mask = bit.tobit(b[5] * 16777216 + b[6] * 65536 + b[7] * 256 + b[8])
  count = 0
end

-- set_by_lua in each server: this request's new id.
function _M.next()
  if prefix == nil or count >= 4294967295 then
    draw()
  end
  count = count + 1
  return prefix .. bit.tohex(bit.bxor(bit.tobit(count * factor), mask), 8)
end

return _M
