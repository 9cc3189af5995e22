// Builds the explorer into the folder named by the first argument (dist/ by default):
// index.html and favicon.svg copied as they are, app.js bundled and minified from src/main.ts,
// app.css minified from src/style.css. The output depends only on the sources and the pinned
// esbuild, so scripts/test can rebuild it and compare with the committed dist/.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, process.argv[2] ?? "dist");
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
};
await build({
  ...common,
  entryPoints: [join(here, "src/main.ts")],
  outfile: join(out, "app.js"),
  format: "iife",
  target: "es2020",
});
await build({ ...common, entryPoints: [join(here, "src/style.css")], outfile: join(out, "app.css") });
for (const file of ["index.html", "favicon.svg"]) {
  copyFileSync(join(here, "src", file), join(out, file));
}
