// FastCGI as a client sees it, against a FastCGI responder on loopback that answers with the parameters
// NGINX sent (what PHP-FPM would hand a script): SCRIPT_FILENAME from the Ingress's ConfigMap, with
// fastcgi-index for a directory URI; the query, method and body; and never a client's Proxy header as
// HTTP_PROXY (httpoxy). The responder sits behind the same Lua balancer as every Service.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { annotatedIngress, configMap, serviceWithEndpoints } from '../support/fixtures.ts';
import {
  startFastcgiResponder,
  type FastcgiRequest,
  type FastcgiResponder,
} from '../support/fastcgi-responder.ts';
import { request, type Reply } from '../support/http-client.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';

function fastcgiOf(reply: Reply): FastcgiRequest {
  assert.equal(reply.status, 200, reply.body.slice(0, 300));
  assert.equal(reply.headers['x-backend'], 'fastcgi');
  return JSON.parse(reply.body) as FastcgiRequest;
}

describe('backend-protocol FCGI', () => {
  let responder: FastcgiResponder | undefined;
  let served: ServedFolder | undefined;
  const send = (path: string, options: Parameters<typeof request>[4] = {}) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, 'blog.example.com', path, options);
  };

  before(async () => {
    responder = await startFastcgiResponder();
    served = await serveFolder(
      [],
      [
        annotatedIngress(
          'blog',
          {
            'backend-protocol': 'FCGI',
            'fastcgi-index': 'index.php',
            'fastcgi-params-configmap': 'php-params',
          },
          'php-fpm',
        ),
        configMap(
          { SCRIPT_FILENAME: '/var/www/html$fastcgi_script_name', APP_ENV: 'production' },
          'default',
          'php-params',
        ),
        ...serviceWithEndpoints('php-fpm', [{ ip: responder.host, port: responder.port }]),
      ],
    );
  });

  after(async () => {
    await served?.stop();
    await responder?.close();
  });

  it("gives the script the ConfigMap's SCRIPT_FILENAME, with fastcgi-index for a directory", async () => {
    const params = fastcgiOf(await send('/shop/?page=2')).params;
    assert.equal(params['SCRIPT_FILENAME'], '/var/www/html/shop/index.php');
    assert.equal(params['SCRIPT_NAME'], '/shop/index.php');
    assert.equal(params['QUERY_STRING'], 'page=2');
    assert.equal(params['REQUEST_URI'], '/shop/?page=2');
    assert.equal(params['REQUEST_METHOD'], 'GET');
    assert.equal(params['APP_ENV'], 'production');
    assert.equal(params['HTTP_HOST'], 'blog.example.com');
  });

  it('passes the request body and its length', async () => {
    const reply = fastcgiOf(
      await send('/comment.php', {
        method: 'POST',
        body: 'name=alice&text=hello',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    assert.equal(reply.body, 'name=alice&text=hello');
    assert.equal(reply.params['CONTENT_LENGTH'], '21');
    assert.equal(reply.params['CONTENT_TYPE'], 'application/x-www-form-urlencoded');
    assert.equal(reply.params['SCRIPT_FILENAME'], '/var/www/html/comment.php');
  });

  it("never turns a client's Proxy header into HTTP_PROXY (httpoxy)", async () => {
    const params = fastcgiOf(
      await send('/index.php', { headers: { proxy: 'http://evil.example.net:3128', 'x-team': 'blue' } }),
    ).params;
    // NGINX sends an empty parameter not at all; the header would have been HTTP_PROXY.
    assert.equal(params['HTTP_PROXY'], undefined);
    assert.equal(params['HTTP_X_TEAM'], 'blue', 'other headers still reach the script');
  });
});
