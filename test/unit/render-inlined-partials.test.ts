import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import nunjucks from 'nunjucks';
import { InlinedPartialsLoader, PRINT_CALLER } from '../../src/render/inlined-partials.ts';
import { useLeanMemberLookup } from '../../src/render/member-lookup.ts';

// Templates that lean on what an include does: the partial reads the includer's loop variable and its
// `set`s, its own `set` of the same name stays its own, a partial includes another, one ends without a
// newline, one is indented, and one include names a template that does not exist.
const TEMPLATES: Record<string, string> = {
  'main.njk': [
    '{% set pad = "top" %}',
    'start',
    '{% for x in items %}',
    '{% set mine = "loop" + x %}',
    '    {% include "partials/item.njk" %}',
    'pad after item {{ x }}: {{ pad }}, mine: {{ mine }}',
    '{% endfor %}',
    'end: {{ pad }} {{ items.join("+") }}',
    '',
  ].join('\n'),
  'partials/item.njk': [
    '[item {{ x }} {{ mine }} {{ pad }}]',
    '{% set pad = "item" + x %}',
    '{% set mine = "changed" %}',
    '{% include "partials/leaf.njk" %}',
    '[item {{ x }} again {{ pad }} {{ mine }}]',
    '',
  ].join('\n'),
  'partials/leaf.njk': '  leaf {{ pad }}{% if x == 2 %} two{% endif %}',
  'missing.njk': 'a\n{% include "partials/none.njk" %}\nb\n',
  'partials/self.njk': 'me\n{% include "partials/self.njk" %}\n',
};

describe('render: partials written into the templates that include them', () => {
  let dir = '';
  const environment = (loader: nunjucks.ILoader): nunjucks.Environment => {
    const e = new nunjucks.Environment(loader, {
      autoescape: false,
      throwOnUndefined: true,
      trimBlocks: true,
      lstripBlocks: true,
    });
    e.addGlobal(PRINT_CALLER.name, PRINT_CALLER.fn);
    return e;
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-partials-'));
    await mkdir(path.join(dir, 'partials'));
    for (const [name, text] of Object.entries(TEMPLATES)) await writeFile(path.join(dir, name), text);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints what nunjucks includes print, scoped as an include is', () => {
    const context = { items: [1, 2] };
    const inlined = environment(new InlinedPartialsLoader(dir)).render('main.njk', context);
    const included = environment(new nunjucks.FileSystemLoader(dir)).render('main.njk', context);
    assert.equal(inlined, included);
    assert.equal(
      inlined,
      [
        'start',
        '[item 1 loop1 top]',
        '  leaf item1[item 1 again item1 changed]',
        'pad after item 1: top, mine: loop1',
        '[item 2 loop2 top]',
        '  leaf item2 two[item 2 again item2 changed]',
        'pad after item 2: top, mine: loop2',
        'end: top 1+2',
        '',
      ].join('\n'),
    );
  });

  it('leaves no include of a partial in a loaded template', () => {
    const source = new InlinedPartialsLoader(dir).getSource('main.njk').src;
    assert.doesNotMatch(source, /include/);
    assert.match(source, /leaf \{\{ pad \}\}/);
  });

  it('keeps an include of a missing template, which fails as it would', () => {
    const e = environment(new InlinedPartialsLoader(dir));
    assert.throws(() => e.render('missing.njk', {}), /template not found: partials\/none\.njk/);
  });

  it('refuses a partial that includes itself', () => {
    assert.throws(
      () => new InlinedPartialsLoader(dir).getSource('partials/self.njk'),
      /partials\/self\.njk includes itself/,
    );
  });

  it('still calls a method through the lean member lookup', () => {
    useLeanMemberLookup();
    const e = environment(new InlinedPartialsLoader(dir));
    const template = '{{ s.toUpperCase() }}{% if o.missing is not defined and n.x == 0 %} none{% endif %}';
    assert.equal(e.renderString(template, { s: 'abc', o: {}, n: { x: 0 } }), 'ABC none');
  });
});
