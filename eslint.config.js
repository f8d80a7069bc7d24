// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layer rules: the pure core never reaches for I/O, and nothing but the CLI wires things together. */
const noIo = [
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:net',
  'node:http',
  'node:https',
  'chokidar',
  'winston',
];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.cache/**', 'charts/**', 'tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Style-only; `() => void x` callbacks read fine.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // client-node's models are classes, but the API and YAML loader hand out plain objects of their shape.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Same reason: spreading a client-node model copies plain data; no behaviour lives on their prototypes.
      '@typescript-eslint/no-misused-spread': 'off',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/cli reads the environment.' },
      ],
    },
  },
  {
    files: ['src/cli/**', 'scripts/**', 'test/**', 'bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  { files: ['test/**', 'bench/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
  {
    files: ['src/model/**'],
    rules: restrict(
      ['../*', 'node:*', 'chokidar', 'winston', 'nunjucks'],
      'model imports nothing of ours and does no I/O.',
    ),
  },
  {
    files: ['src/translate/**', 'src/annotations/**'],
    rules: {
      ...restrict(
        [...noIo, '../nginx/*', '../sources/*', '../cli/*', '../render/*', '../controller/*'],
        'translate is pure.',
      ),
      'no-restricted-globals': ['error', { name: 'Date', message: 'translate reads no clock.' }],
    },
  },
  {
    files: ['src/explain/**'],
    rules: {
      ...restrict(
        [...noIo, '../nginx/*', '../sources/*', '../cli/*', '../controller/*', '../observability/*'],
        'explain is pure: a model of NGINX over the translated model.',
      ),
      'no-restricted-globals': ['error', { name: 'Date', message: 'explain reads no clock.' }],
    },
  },
  {
    files: ['src/render/**'],
    rules: restrict(
      [
        ...noIo.filter((m) => m !== 'node:fs'),
        '../translate/*',
        '../sources/*',
        '../nginx/*',
        '@kubernetes/*',
      ],
      'render knows nothing of Kubernetes and does no I/O.',
    ),
  },
  {
    files: ['src/nginx/**'],
    rules: restrict(
      ['../translate/*', '../sources/*', '../annotations/*', '@kubernetes/*'],
      'nginx sees only files and a checksum.',
    ),
  },
  {
    files: ['src/sources/**'],
    rules: restrict(
      ['../translate/*', '../render/*', '../nginx/*', '../controller/*'],
      'sources never import the core.',
    ),
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { URL: 'readonly', process: 'readonly', console: 'readonly' },
    },
  },
);
