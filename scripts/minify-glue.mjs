// Minifies the wasm-bindgen JS glue in a dist directory (Trunk's own
// minifier fails on it) and rewrites the page's SRI hash for it, so the
// browser still accepts the file; then the page's inline scripts.
// Usage: node scripts/minify-glue.mjs dist
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { minify } from "terser";

const dir = process.argv[2];
const pagePath = join(dir, "index.html");
let page = readFileSync(pagePath, "utf8");
// The glue, and the split build's module loader beside it when there is one
// (scripts/split-widget.mjs).
const glue = [...page.matchAll(/<link rel="modulepreload" href="([^"]+\.js)"[^>]*integrity="(sha384-[^"]+)"/g)];
if (glue.length < 1) throw new Error(`no modulepreload in ${pagePath}`);
for (const [, href, oldIntegrity] of glue) {
  const file = join(dir, href.split("/").pop());
  const source = readFileSync(file, "utf8");
  const { code } = await minify(source, { module: true, compress: true, mangle: true });
  writeFileSync(file, code);
  page = page.replace(oldIntegrity, `sha384-${createHash("sha384").update(code).digest("base64")}`);
  console.error(`minified ${file}: ${source.length} -> ${code.length} bytes`);
}
// The page's own inline scripts too (the server's CSP allows them by the
// hash of what is in dist/, read when it starts), and its comments go:
// every visitor downloads the page.
for (const [whole, attrs, body] of [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]) {
  if (attrs.includes(" src=") || !body.trim()) continue;
  const { code: small } = await minify(body, { module: attrs.includes('type="module"'), compress: true, mangle: true });
  page = page.replace(whole, `<script${attrs}>${small}</script>`);
}
page = page.replace(/<!--[\s\S]*?-->\s*/g, "");
writeFileSync(pagePath, page);
