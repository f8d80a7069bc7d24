// docker/Dockerfile through a Dockerfile linter, with every rule at error level, plus the few image habits
// a linter such as hadolint would flag and this one does not know. dockerfile-utils (the validator behind
// VS Code's Dockerfile support) comes from npm, so it runs wherever `npm ci` ran: hadolint is a Haskell
// program that neither Debian bookworm, npm nor the Go proxy carries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { REPO_ROOT } from '../support/gatehouse-process.ts';

const DOCKERFILE = path.join(REPO_ROOT, 'docker', 'Dockerfile');
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

function lint(text: string): string[] {
  return validate(text, STRICT).map(
    (d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
  );
}

/** RUN instructions with their continuation lines joined. */
function runInstructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => /^RUN\s/.test(l));
}

void describe('docker/Dockerfile', () => {
  const text = readFileSync(DOCKERFILE, 'utf8');

  void it('passes the linter with every rule as an error', () => {
    assert.deepEqual(lint(text), []);
  });

  void it('is checked by a linter that does find faults', () => {
    const broken = [
      'FROM debian:bookworm-slim AS base',
      'MAINTAINER someone',
      'run true',
      'WORKDIR app',
      'EXPOSE 80/foo',
      "ENTRYPOINT ['nginx']",
      'FROM base AS base',
    ].join('\n');
    assert.deepEqual(lint(broken), [
      'line 1: duplicate name base',
      'line 7: duplicate name base',
      'line 2: MAINTAINER has been deprecated',
      'line 3: Instructions should be written in uppercase letters',
      'line 4: WORKDIR paths should be absolute',
      'line 5: Invalid proto: foo',
      'line 6: Instruction written as a JSON array but is using single quotes instead of double quotes',
    ]);
  });

  void it('installs packages without recommends and leaves no apt lists in the layer', () => {
    const installs = runInstructions(text).filter((r) => /apt-get install/.test(r));
    assert.ok(installs.length > 0);
    for (const r of installs) {
      assert.match(r, /apt-get install -y --no-install-recommends/);
      assert.match(r, /rm -rf \/var\/lib\/apt\/lists\/\*/);
    }
  });

  void it('takes its base images as build arguments and ends as a numeric non-root user', () => {
    const froms = text.split('\n').filter((l) => l.startsWith('FROM '));
    assert.deepEqual(
      froms.map((l) => l.split(/\s+/)[1]),
      ['${NODE_IMAGE}', '${RUNTIME_IMAGE}'],
    );
    const users = text.split('\n').filter((l) => l.startsWith('USER '));
    assert.equal(users.at(-1), 'USER 101:101');
  });
});
