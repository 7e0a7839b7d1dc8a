// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'test-output/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Fastify plugins, hooks and handlers are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      // Mongoose schema definitions are object literals by design.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  // Plain JavaScript (the prestart runs without TypeScript installed): linted without type information.
  { files: ['eslint.config.js', 'scripts/**/*.js'], ...tseslint.configs.disableTypeChecked },
  // The pages' script (public/import.js): plain JavaScript for the browser, served as it is.
  {
    files: ['public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: { document: 'readonly', fetch: 'readonly', URL: 'readonly', Blob: 'readonly', TextDecoder: 'readonly', ReadableStream: 'readonly' },
    },
  },
)
