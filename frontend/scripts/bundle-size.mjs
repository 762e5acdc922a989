// Reports the production bundle: every file in dist/assets with its raw and gzip size, and the
// total JavaScript and CSS a first visit downloads. Run after `vite build` (bin/test does).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "assets");
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const rows = readdirSync(dist)
  .filter((f) => /\.(js|css)$/.test(f))
  .map((f) => {
    const body = readFileSync(path.join(dist, f));
    return { file: f, raw: statSync(path.join(dist, f)).size, gzip: gzipSync(body, { level: 9 }).length };
  })
  .sort((a, b) => b.raw - a.raw);
const total = (ext) => rows.filter((r) => r.file.endsWith(ext)).reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip }), { raw: 0, gzip: 0 });
console.log("Production bundle (frontend/dist/assets):");
for (const r of rows) console.log(`  ${r.file.padEnd(34)} ${kb(r.raw).padStart(10)}  gzip ${kb(r.gzip).padStart(9)}`);
const js = total(".js");
const css = total(".css");
console.log(`  total JS ${kb(js.raw)} (gzip ${kb(js.gzip)}), CSS ${kb(css.raw)} (gzip ${kb(css.gzip)})`);
