/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Django serves dist/ from the site root (WHITENOISE_ROOT) and index.html for client routes.
const backend = process.env.CONSULT_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig(({ command }) => ({
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  // Component and feature styles are CSS modules (*.module.css): class names are local to the
  // file; written kebab-case in CSS, read camelCase in TSX (styles.msgGroup).
  // Built class names are short hashes (readable `_msg-group_x1y2z_3` names in dev), so modules
  // do not grow the bundle.
  css: {
    modules: {
      localsConvention: "camelCaseOnly",
      generateScopedName: command === "build" ? "_[hash:base64:5]" : undefined,
    },
  },
  server: {
    proxy: {
      "/api": backend,
      "/ws": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
  test: {
    environment: "happy-dom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    globals: false,
    // Behaviour tests, not timing tests: typing a long bio with user-event took 3-5 s on a
    // loaded 2-core box and hit Vitest's 5 s default. Speed belongs in bench/.
    testTimeout: 20_000,
  },
}));
