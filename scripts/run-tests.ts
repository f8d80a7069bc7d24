// Runs the whole test suite with Node's test runner: unit, golden, property, integration (real NGINX) and
// cluster (real kube-apiserver) tests. Extra arguments narrow it, e.g. `npm test -- test/unit`.
import { spawnSync } from 'node:child_process';

const suites = process.argv.slice(2);
const patterns =
  suites.length > 0
    ? suites.map((s) => (s.endsWith('.ts') ? s : `${s.replace(/\/$/, '')}/**/*.test.ts`))
    : ['test/**/*.test.ts'];
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', ...patterns],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
