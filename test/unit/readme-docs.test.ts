import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fillReadme } from '../../scripts/docs.ts';

describe('README reference tables', () => {
  it('match the annotation and ConfigMap registries (run `node scripts/docs.ts` after changing them)', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    assert.equal(fillReadme(readme), readme);
  });

  it('list every annotation and ConfigMap key by name', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    for (const key of [
      'nginx.ingress.kubernetes.io/proxy-body-size',
      '`use-forwarded-headers`',
      '`configuration-snippet`',
    ]) {
      assert.ok(readme.includes(key), `README lacks ${key}`);
    }
  });
});
