// ESLint (flat config): TypeScript rules from typescript-eslint and the React hooks rules.
// Run by bin/test through `npm run lint`; warnings fail the run too (--max-warnings 0).
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // Generated files.
    ignores: ["dist/", "node_modules/", "test-results/", "src/api/schema.d.ts", "src/realtime/schema.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // The rules of hooks plus the plugin's React Compiler rules (set-state-in-effect, refs,
      // purity, immutability, set-state-in-render, static-components, …): the recommended-latest
      // set. exhaustive-deps is raised from the preset's "warn" to an error.
      ...reactHooks.configs["recommended-latest"].rules,
      "react-hooks/exhaustive-deps": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // e2e tests run in Node; the callbacks they pass to page.evaluate run in the browser.
    files: ["e2e/**/*.{js,mjs,ts}", "scripts/**/*.{js,mjs}", "*.config.{js,ts}"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
