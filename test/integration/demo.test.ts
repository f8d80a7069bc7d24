import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/gatehouse-process.ts';
import { freePorts } from '../support/ports.ts';

describe('the README demo (npm run demo)', () => {
  it('serves the cafe example and prints the curl lines to try', async () => {
    const [http, https, healthz] = await freePorts(3);
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/demo.ts'), '--check'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DEMO_HTTP_PORT: String(http),
        DEMO_HTTPS_PORT: String(https),
        DEMO_HEALTHZ_PORT: String(healthz),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.ok(
      stdout.includes(
        `curl --resolve cafe.example.com:${http}:127.0.0.1 http://cafe.example.com:${http}/tea`,
      ),
      stdout,
    );
    assert.match(stdout, /self-check: \/tea -> 200 \(tea backend\), https \/coffee -> 200/);
  });
});
