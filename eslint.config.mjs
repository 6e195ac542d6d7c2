// ESLint (flat config): typescript-eslint's type-aware recommended rules over every .ts file the
// tsconfig covers, with the floating-promise rules Temporal's samples use (an unawaited promise in
// a workflow or activity is a lost error). Formatting is Prettier's alone (eslint-config-prettier
// switches off the rules that would fight it); `npm run lint` runs both.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', '.tools/', '.data/', 'bench/results/', 'test/fixtures/histories/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits (typescript-eslint's
        // documented exception for node:test); every other promise must be awaited or voided.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // As Temporal's samples: a leading underscore marks a deliberately unused name; `{ a, ...rest }` drops `a`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests read the simulators' and vendors' wire JSON untyped on purpose: they check what the
    // vendor would send, not what our types say it sends, so `any` flows through assertions there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // bin/ccsync.js is CommonJS (require); this file is an ES module.
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs' } },
  prettier,
);
