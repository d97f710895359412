// Bundles src/ into dist/ (what /admin/ serves): app.js + chunks (Chart.js only in the
// dashboard's chunk), app.css, index.html. No CDN: everything comes from node_modules.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(here, "src", "main.js") },
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: ["es2020"],
  outdir: out,
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "eof",
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(out, "index.html"));
console.log(`admin page built into ${out}`);
