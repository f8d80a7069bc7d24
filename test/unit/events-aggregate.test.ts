// Which Events an Ingress gets: one per object and reason, messages combined, names stable across replicas.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateIntents, eventName, type EventIntent } from '../../src/status/events.ts';

const web = { kind: 'Ingress', namespace: 'shop', name: 'web' };
const api = { kind: 'Ingress', namespace: 'shop', name: 'api' };
const degraded = (object: typeof web, message: string): EventIntent => ({
  object,
  type: 'Warning',
  reason: 'Degraded',
  message,
});

void describe('aggregateIntents', () => {
  void it('gives one Event per object and reason, whatever the number of problems', () => {
    const intents = Array.from({ length: 3000 }, (_, i) =>
      degraded(web, `spec.rules[0].http.paths[${i}]: Service shop/missing does not exist`),
    );
    intents.push(degraded(api, 'one problem'), { ...degraded(web, 'lost a host'), reason: 'Conflict' });
    const events = aggregateIntents(intents);
    assert.deepEqual(
      events.map((e) => `${e.object.name} ${e.reason}`),
      ['web Degraded', 'api Degraded', 'web Conflict'],
    );
    const [many, one, conflict] = events;
    assert.ok(many && one && conflict);
    assert.ok(many.message.length <= 1024, `${many.message.length}`);
    assert.match(many.message, /^3000 problems: spec\.rules\[0\]\.http\.paths\[0\]: Service shop\/missing/);
    assert.match(many.message, /\(and \d+ more\)$/);
    assert.equal(one.message, 'one problem');
    assert.equal(conflict.message, 'lost a host');
  });

  void it('says the same whatever order the problems come in, each message once', () => {
    const a = aggregateIntents([degraded(web, 'b'), degraded(web, 'a'), degraded(web, 'b')]);
    const b = aggregateIntents([degraded(web, 'a'), degraded(web, 'b')]);
    assert.deepEqual(a, b);
    assert.equal(a[0]?.message, '2 problems: a; b');
  });
});

void describe('eventName', () => {
  void it('is the same for an object and reason, and differs per uid, type and reason', () => {
    const name = eventName('web', 'uid-1', 'Warning', 'Degraded');
    assert.match(name, /^web\.[0-9a-f]{16}$/);
    assert.equal(eventName('web', 'uid-1', 'Warning', 'Degraded'), name);
    assert.notEqual(eventName('web', 'uid-2', 'Warning', 'Degraded'), name);
    assert.notEqual(eventName('web', 'uid-1', 'Warning', 'Rejected'), name);
    assert.notEqual(eventName('web', 'uid-1', 'Normal', 'Degraded'), name);
    assert.ok(eventName('a'.repeat(253), 'u', 'Normal', 'Served').length <= 253);
  });
});
