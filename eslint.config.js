import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.js', 'test/fixtures/**/*.mjs', 'test/fixtures/**/*.cjs', 'ui/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // machines are data: no I/O, no Node built-ins, nothing of src/ (implementations are provided from there)
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'machines/ holds pure charts: no Node built-ins (provide the implementation from src/).' },
            {
              regex: '^(fs|path|os|child_process|net|http|https|crypto|events|stream|timers|util|worker_threads)(/.*)?$',
              message: 'machines/ holds pure charts: no Node built-ins (provide the implementation from src/).',
            },
            {
              regex: '(^|/)src(/|$)',
              message: 'machines/ must not import from src/: src/ provides implementations to the charts, not the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/print.ts', 'bench/**', 'test/fixtures/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
