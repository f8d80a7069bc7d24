// Hand-written proxy configs for the data-plane bench: the minimal one, and the floors of the dynamic-endpoint
// mechanism (the same config plus only a Lua balancer), so what Lua itself costs is a printed figure.
import path from 'node:path';
import { DEFAULT_MODULES_DIR } from '../../src/render/render.ts';
import { common } from './bare-nginx.ts';

/** Gatehouse's Lua tree, as shipped. */
const LUA_TREE = path.join(import.meta.dirname, '..', '..', 'lua');

export interface ProxyTarget {
  readonly port: number;
  readonly host: string;
  readonly backendPort: number;
}

/**
 * One upstream with keep-alive and a location proxying to it, nothing else. `balancer` replaces the upstream's
 * `server` with a Lua balancer (before `keepalive`, as in Gatehouse's config); `http` and `location` add lines.
 */
function proxyConfig(
  dir: string,
  t: ProxyTarget,
  lua?: { http: string; balancer: string; location: string },
): string {
  const modules = lua
    ? `load_module ${DEFAULT_MODULES_DIR}/ndk_http_module.so;\nload_module ${DEFAULT_MODULES_DIR}/ngx_http_lua_module.so;\n`
    : '';
  const upstream = lua
    ? `server 0.0.0.1:1; balancer_by_lua_block { ${lua.balancer} }`
    : `server 127.0.0.1:${t.backendPort};`;
  return `${modules}${common(dir)}http {
  access_log off;
  client_body_temp_path ${dir}/tmp/client; proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
${lua?.http ?? ''}  upstream app { ${upstream} keepalive 32; }
  server {
    listen 127.0.0.1:${t.port};
    server_name ${t.host};
    location / { ${lua?.location ?? ''}proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}`;
}

/** The minimal hand-written proxy config: one upstream with keep-alive, nothing else. */
export const minimalProxy = (dir: string, t: ProxyTarget): string => proxyConfig(dir, t);

/** The minimal config, but its one peer set by `balancer_by_lua` (a constant address): Lua's own floor. */
export const fixedPeerProxy = (dir: string, t: ProxyTarget): string =>
  proxyConfig(dir, t, {
    http: `  init_by_lua_block { balancer = require("ngx.balancer") }\n`,
    balancer: `balancer.set_current_peer("127.0.0.1", ${t.backendPort})`,
    location: '',
  });

/**
 * The minimal config plus Gatehouse's own balancer (lua/gatehouse/balancer.lua) reading the endpoint from the
 * shared dict, with the variables it reads: the dynamic-endpoint mechanism and nothing else of Gatehouse.
 */
export const luaBalancerProxy = (dir: string, t: ProxyTarget): string =>
  proxyConfig(dir, t, {
    http: `  lua_package_path "${LUA_TREE}/?.lua;;";
  lua_shared_dict gatehouse_state 1m;
  init_by_lua_block {
    require("gatehouse.balancer")
    require("gatehouse.state").apply({ id = "bench", set = { backends = { app = { "127.0.0.1:${t.backendPort}" } } } })
  }
  init_worker_by_lua_block { require("gatehouse.balancer").init_worker("round_robin") }
  map "" $gatehouse_policy { default ""; }
`,
    balancer: `require("gatehouse.balancer").balance()`,
    location: 'set $gatehouse_upstream app; ',
  });
