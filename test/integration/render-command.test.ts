// `gatehouse render`: the nginx.conf a folder gives, on stdout or as a tree NGINX accepts; rejected objects
// are named on stderr without failing the command.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  certificateFor,
  ingress,
  serviceWithEndpoints,
  tlsSecret,
  writeManifest,
} from '../support/fixtures.ts';
import { manifestsFolder, removeFolder, runCli } from '../support/integration.ts';

const NGINX = '/usr/sbin/nginx';

/**
 * `nginx -t -c FILE` as a program would run it: with stdout a socket (what node:child_process pipes are,
 * as under many process managers), which a config logging to /dev/stdout could not open.
 */
function nginxTest(confPath: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NGINX, ['-t', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    let output = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('gatehouse render', () => {
  let manifests = '';
  let out = '';

  before(async () => {
    manifests = await manifestsFolder();
    out = await mkdtemp(path.join(tmpdir(), 'gatehouse-render-'));
    await writeManifest(manifests, 'services.yaml', [
      ...serviceWithEndpoints('shop', [{ ip: '127.0.0.1', port: 9001 }]),
      ...serviceWithEndpoints('blog', [{ ip: '127.0.0.2', port: 9002 }]),
    ]);
    await writeManifest(manifests, 'tls.yaml', [
      tlsSecret('shop-tls', await certificateFor('shop.example.com')),
    ]);
    await writeManifest(manifests, 'ingresses.yaml', [
      ingress({
        name: 'shop',
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
        rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'shop', port: 80 }] }],
      }),
      ingress({
        name: 'blog',
        rules: [
          {
            host: 'blog.example.com',
            paths: [{ path: '/posts', pathType: 'Exact', service: 'blog', port: 80 }],
          },
        ],
      }),
      ingress({
        name: 'hostile',
        rules: [{ host: 'evil.com; include /etc/passwd', paths: [{ service: 'shop', port: 80 }] }],
      }),
    ]);
    await writeFile(path.join(manifests, 'broken.yaml'), 'kind: Ingress\nmetadata: [unclosed\n');
  });

  after(async () => {
    await removeFolder(manifests);
    await removeFolder(out);
  });

  it('prints nginx.conf with "# host" markers and exits 0, naming rejected objects on stderr', async () => {
    const result = await runCli(['render', '--manifests', manifests]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\s*# host blog\.example\.com \(from ingress default\/blog\)$/m);
    assert.match(result.stdout, /^\s*# host shop\.example\.com \(from ingress default\/shop\)$/m);
    assert.match(result.stdout, /^# checksum [0-9a-f]+$/m);
    assert.match(result.stdout, /server_name shop\.example\.com;/);
    assert.match(result.stderr, /error: Ingress default\/hostile: spec\.rules\[0\]\.host: /);
    assert.match(result.stderr, /error: File\/broken\.yaml: not valid YAML/);
    assert.ok(!result.stdout.includes('/etc/passwd'), 'nothing of the hostile Ingress is printed');
    assert.ok(!result.stdout.includes('evil.com'));
  });

  it('prints the same bytes every time for the same folder', async () => {
    const [a, b] = await Promise.all([
      runCli(['render', '--manifests', manifests]),
      runCli(['render', '--manifests', manifests]),
    ]);
    assert.equal(a.code, 0);
    assert.equal(a.stdout, b.stdout);
  });

  it('--out writes a tree that `nginx -t -c DIR/nginx.conf` accepts', async () => {
    const result = await runCli(['render', '--manifests', manifests, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Ingress default\/hostile/);
    // Hosts' certificates are in the dynamic state NGINX loads at start, not in files of their own.
    const dynamic = JSON.parse(await readFile(path.join(out, 'dynamic.json'), 'utf8')) as {
      set: { certificates: Record<string, string> };
    };
    const certs = Object.keys(dynamic.set.certificates);
    assert.ok(
      certs.some((f) => f.startsWith('default_shop-tls_')),
      `certificates: ${certs.join(', ')}`,
    );
    const check = await nginxTest(path.join(out, 'nginx.conf'));
    assert.equal(check.code, 0, check.output);
    assert.match(check.output, /test is successful/);
    assert.match(
      await readFile(path.join(out, 'nginx.conf'), 'utf8'),
      /access_log "[^"]*\/logs\/access\.log"/,
    );
  });

  it('--out refuses a folder that holds files Gatehouse did not write, or is a symbolic link', async () => {
    const foreign = await mkdtemp(path.join(tmpdir(), 'gatehouse-foreign-'));
    const link = `${foreign}-link`;
    try {
      await writeFile(path.join(foreign, 'precious.txt'), 'keep me');
      const refused = await runCli(['render', '--manifests', manifests, '--out', foreign]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /refusing --conf-dir .*: it already holds files that Gatehouse did not write/,
      );
      assert.deepEqual(await readdir(foreign), ['precious.txt']);
      await symlink(out, link);
      const viaLink = await runCli(['render', '--manifests', manifests, '--out', link]);
      assert.equal(viaLink.code, 1);
      assert.match(viaLink.stderr, /it is a symbolic link/);
    } finally {
      await rm(link, { force: true });
      await removeFolder(foreign);
    }
  });
});
