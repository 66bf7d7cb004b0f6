// Splits the widget's wasm at its `#[lazy]` screens (src/app.rs) and puts
// the pieces in place of the single module Trunk wrote into dist/. Trunk
// cannot split: the splitter must run between cargo and wasm-bindgen, on
// the linker's output with its relocations (`-Clink-args=--emit-relocs`).
//
//   cargo's wasm --wasm-split-cli--> main.wasm + one .wasm per screen (and
//   per group of screens that share code) + __wasm_split.js, their loader
//   main.wasm --wasm-bindgen --keep-lld-exports--> glue .js + _bg.wasm
//   every .wasm --wasm-opt -Oz--> dist/, named name-<16 hex>.ext
//
// The page keeps Trunk's start-up module; its file names and SRI hashes are
// rewritten here (scripts/minify-glue.mjs minifies the two JS files after).
// Usage: node scripts/split-widget.mjs <dist> <cargo's echo-widget.wasm>
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [dist, input] = process.argv.slice(2);
if (!dist || !input) throw new Error("usage: node scripts/split-widget.mjs <dist> <echo-widget.wasm>");
const run = (tool, args) => execFileSync(tool, args, { stdio: ["ignore", "ignore", "inherit"] });
const hash16 = (...parts) => {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return h.digest("hex").slice(0, 16);
};
const sri = (bytes) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;

const pagePath = join(dist, "index.html");
let page = readFileSync(pagePath, "utf8");
// Trunk's hash is a 64-bit number in hex without leading zeros: 16 digits,
// or fewer now and then.
const trunkGlue = page.match(/\/(echo-widget-[0-9a-f]{12,16})\.js/)?.[1];
if (!trunkGlue) throw new Error(`no echo-widget glue named in ${pagePath}`);

const work = mkdtempSync(join(tmpdir(), "echo-split-"));
try {
  const split = join(work, "split");
  run("wasm-split-cli", [input, split, "--out-name", "echo-widget"]);
  run("wasm-bindgen", ["--target=web", "--keep-lld-exports", "--no-typescript", `--out-dir=${work}`, "--out-name=echo-widget", join(split, "echo-widget.wasm")]);

  // The features rustc's wasm32 target emits, named for every module alike
  // (they share one memory and one table, so they must agree).
  const features = ["bulk-memory", "nontrapping-float-to-int", "sign-ext", "mutable-globals", "reference-types", "multivalue"].map((f) => `--enable-${f}`);
  const optimised = (path) => {
    const out = `${path}.opt`;
    run("wasm-opt", ["-Oz", ...features, path, "-o", out]);
    return readFileSync(out);
  };

  // The lazily loaded modules: named by their content, and the loader told.
  let loader = readFileSync(join(split, "__wasm_split.js"), "utf8");
  const lazy = [];
  for (const file of readdirSync(split).filter((f) => f.endsWith(".wasm") && f !== "echo-widget.wasm")) {
    const bytes = optimised(join(split, file));
    // split_echo_later.wasm -> later; chunk_4.wasm (code that split points
    // of different modules share) -> chunk
    const label = file.replace(/\.wasm$/, "").replace(/^split_(echo_)?/, "").replace(/_\d+$/, "");
    const name = `echo-${label.replaceAll("_", "")}-${hash16(bytes)}.wasm`;
    // Fetched with its SRI hash, as the page's own files are.
    const fetchCall = `fetch(new URL("./${file}", import.meta.url))`;
    if (!loader.includes(fetchCall)) throw new Error(`__wasm_split.js does not fetch ${file} as expected`);
    loader = loader.replaceAll(fetchCall, `fetch(new URL("./${name}", import.meta.url), { integrity: "${sri(bytes)}" })`);
    writeFileSync(join(dist, name), bytes);
    lazy.push(name);
  }

  // Glue and loader import each other, so one hash over both (their
  // references to each other still unnamed) and the main module names the
  // pair: any change to either renames both.
  const wasm = optimised(join(work, "echo-widget_bg.wasm"));
  let glue = readFileSync(join(work, "echo-widget.js"), "utf8");
  // Only the glue's imports: the wasm names its import module the same
  // way, and the imports object keeps that name.
  if (!glue.includes('from "./__wasm_split.js"')) throw new Error("the glue does not import __wasm_split.js");
  if (!loader.includes('from "./echo-widget.js"')) throw new Error("__wasm_split.js does not import the glue");
  const pair = hash16(wasm, glue, loader);
  const [glueName, loaderName, wasmName] = [`echo-widget-${pair}.js`, `echo-split-${pair}.js`, `echo-widget-${hash16(wasm)}_bg.wasm`];
  glue = glue.replaceAll('from "./__wasm_split.js"', `from "./${loaderName}"`);
  loader = loader.replace('from "./echo-widget.js"', `from "./${glueName}"`);
  writeFileSync(join(dist, glueName), glue);
  writeFileSync(join(dist, loaderName), loader);
  writeFileSync(join(dist, wasmName), wasm);

  // The page: Trunk's module and preloads now name the split build, and the
  // loader is preloaded beside the glue (else it is found only once the
  // glue has been parsed: a round trip more before the widget starts).
  page = page.replaceAll(`/${trunkGlue}_bg.wasm`, `/${wasmName}`).replaceAll(`/${trunkGlue}.js`, `/${glueName}`);
  const preload = page.match(/<link rel="modulepreload" href="\/[^"]+" crossorigin="anonymous" integrity="(sha384-[^"]+)">/);
  const wasmPreload = page.match(/<link rel="preload" href="\/[^"]+_bg\.wasm" crossorigin="anonymous" integrity="(sha384-[^"]+)"/);
  if (!preload || !wasmPreload) throw new Error(`Trunk's preloads not found in ${pagePath}`);
  page = page
    .replace(wasmPreload[1], sri(wasm))
    .replace(preload[0], preload[0].replace(preload[1], sri(glue)) + `<link rel="modulepreload" href="/${loaderName}" crossorigin="anonymous" integrity="${sri(loader)}">`);
  writeFileSync(pagePath, page);
  for (const old of [`${trunkGlue}.js`, `${trunkGlue}_bg.wasm`]) rmSync(join(dist, old));
  console.error(`split-widget: ${wasmName} (${wasm.length} bytes) and ${lazy.length} lazy modules: ${lazy.join(", ")}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
