// Bundles the public site's CSS and JS (our code + Leaflet from npm) into the Python package's
// assets, which the publisher ships as content-hashed files: no node at run time.
// `make site-assets` runs it; tests/unit/test_site_assets.py checks the committed bundle is fresh.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || path.join(here, "..", "..", "shared", "fpv", "site", "assets");

const common = {
  bundle: true,
  minify: true,
  legalComments: "eof",
  logLevel: "warning",
  target: ["es2018", "chrome90", "firefox90", "safari13"],
};

await build({
  ...common,
  entryPoints: [path.join(here, "src", "site.js")],
  outfile: path.join(out, "site.js"),
  format: "iife",
});
await build({
  ...common,
  entryPoints: [path.join(here, "src", "site.css")],
  outfile: path.join(out, "site.css"),
  loader: { ".png": "dataurl", ".svg": "dataurl" },
});
