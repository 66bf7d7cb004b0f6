// Widget size and start-up benchmark: `scripts/bench-widget.sh`.
// Prints the transfer size of the built widget (wasm, js, css; gzip -9 and
// brotli -q 11), the loader's, each against its budget in
// bench/widget-budget.json (the one place it is written), and the median
// over 20 loads of the time from navigation to the auth form being
// interactive in headless Chromium (the server-rendered form, and the
// widget's code in control of it), beside deep-chat's.
//
//   --sizes-only   skip the start-up measurement
//   --check        exit 1 when the widget or the loader is over its budget
//                  (scripts/test.sh does this, so no change can quietly
//                  grow the widget; lower the budget when it shrinks)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";
import { startServer, launchBrowser, ROOT } from "../tests/e2e/helpers.mjs";

const DIST = process.env.ECHO_WIDGET_DIR || join(ROOT, "dist");
const BUDGET = JSON.parse(readFileSync(join(ROOT, "bench/widget-budget.json"), "utf8"));
// scripts/build-widget.sh says which toolchain built dist/: the pinned
// nightly's build is held to the nightly budget, a stable build to its own.
const MARK = join(ROOT, "target/widget-built-with");
const TOOLCHAIN = existsSync(MARK) ? readFileSync(MARK, "utf8").trim() : "stable";
const WIDGET_BUDGET = TOOLCHAIN === "stable" ? BUDGET.stableWidgetBrotliBytes : BUDGET.widgetBrotliBytes;
const args = process.argv.slice(2);
const LOADS = 20;
const PEER_VERSION = JSON.parse(readFileSync(join(ROOT, "node_modules/deep-chat/package.json"), "utf8")).version;
const kb = (n) => (n / 1024).toFixed(1).padStart(7);
const sizes = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length,
});

const files = readdirSync(DIST);
const unpacked = (f) => !f.endsWith(".br") && !f.endsWith(".gz");
const pick = (suffix) => files.find((f) => f.endsWith(suffix) && unpacked(f));
const file = (name) => [name, readFileSync(join(DIST, name))];
// The page's inline scripts count too: Trunk's start-up module and the
// first screen's script (index.html), which every visitor downloads with
// the page (compressed here on their own, as if they came apart from it).
const inline = [...readFileSync(join(DIST, "index.html"), "utf8").matchAll(/<script(?![^>]*\ssrc=)(?![^>]*application\/json)[^>]*>([\s\S]*?)<\/script>/g)]
  .map((m) => m[1])
  .join("\n");
// The initial download: the main module, its glue (and the split build's
// module loader), the styles and the page's scripts.
const parts = [
  ["wasm", ...file(pick("_bg.wasm"))],
  ["js", ...file(files.find((f) => /^echo-widget-[0-9a-f]+\.js$/.test(f)))],
  ...files.filter((f) => /^echo-split-[0-9a-f]+\.js$/.test(f)).map((f) => ["js", ...file(f)]),
  ["css", ...file(pick(".css"))],
  ["page", "index.html inline scripts", Buffer.from(inline)],
];
// The split build's later screens (scripts/split-widget.mjs): fetched
// after the first screen, so counted apart, with a budget of their own;
// with them the chunks of code they share with voice. Voice (echo-voice,
// with its audio worklet) is fetched only by a visitor who opens "Call us"
// or starts a call, after the later screens: a budget of its own.
const lazy = files.filter((f) => unpacked(f) && f.endsWith(".wasm") && !f.endsWith("_bg.wasm")).sort();
const later = lazy.filter((f) => !f.startsWith("echo-voice-")).map((f) => ["later", ...file(f)]);
const voice = [
  ...lazy.filter((f) => f.startsWith("echo-voice-")).map((f) => ["voice", ...file(f)]),
  ...files.filter((f) => f === "voice-worklet.js").map((f) => ["voice", ...file(f)]),
];
console.log("Widget transfer size (KiB)        raw     gzip -9  brotli -11");
const add = (rows) => {
  const sum = { raw: 0, gzip: 0, brotli: 0 };
  for (const [label, file, bytes] of rows) {
    const s = sizes(bytes);
    for (const k of Object.keys(sum)) sum[k] += s[k];
    console.log(`  ${label.padEnd(6)} ${file.padEnd(34).slice(0, 34)}${kb(s.raw)}  ${kb(s.gzip)}  ${kb(s.brotli)}`);
  }
  return sum;
};
const total = add(parts);
console.log(`  total${" ".repeat(36)}${kb(total.raw)}  ${kb(total.gzip)}  ${kb(total.brotli)}   (${total.brotli} bytes, the initial download; budget ${WIDGET_BUDGET} (${TOOLCHAIN}), target ${BUDGET.targetBrotliBytes})`);
const rest = add(later);
if (later.length) {
  console.log(`  later screens${" ".repeat(28)}${kb(rest.raw)}  ${kb(rest.gzip)}  ${kb(rest.brotli)}   (${rest.brotli} bytes; budget ${BUDGET.laterScreensBrotliBytes})`);
  console.log(`  every screen${" ".repeat(29)}${kb(total.raw + rest.raw)}  ${kb(total.gzip + rest.gzip)}  ${kb(total.brotli + rest.brotli)}   (${total.brotli + rest.brotli} bytes)`);
}
const spoken = add(voice);
if (voice.length) {
  console.log(`  voice${" ".repeat(36)}${kb(spoken.raw)}  ${kb(spoken.gzip)}  ${kb(spoken.brotli)}   (${spoken.brotli} bytes; budget ${BUDGET.voiceBrotliBytes})`);
}
const loader = sizes(readFileSync(join(DIST, "embed.js")));
console.log(`  loader embed.js${" ".repeat(26)}${kb(loader.raw)}  ${kb(loader.gzip)}  ${kb(loader.brotli)}   (${loader.brotli} bytes; budget ${BUDGET.loaderBrotliBytes})`);
const over = [];
if (total.brotli > WIDGET_BUDGET) over.push(`the widget (${TOOLCHAIN}) is ${total.brotli} bytes brotli, over its budget of ${WIDGET_BUDGET}`);
if (rest.brotli > BUDGET.laterScreensBrotliBytes) over.push(`the later screens are ${rest.brotli} bytes brotli, over their budget of ${BUDGET.laterScreensBrotliBytes}`);
if (spoken.brotli > BUDGET.voiceBrotliBytes) over.push(`voice is ${spoken.brotli} bytes brotli, over its budget of ${BUDGET.voiceBrotliBytes}`);
if (loader.brotli > BUDGET.loaderBrotliBytes) over.push(`the loader is ${loader.brotli} bytes brotli, over its budget of ${BUDGET.loaderBrotliBytes}`);
// Each language's catalogue: fetched only by its readers, so counted apart.
for (const file of readdirSync(join(DIST, "locales")).filter((f) => f.endsWith(".json")).sort()) {
  const size = sizes(readFileSync(join(DIST, "locales", file)));
  console.log(`  catalogue locales/${file}${" ".repeat(21 - file.length)}${kb(size.raw)}  ${kb(size.gzip)}  ${kb(size.brotli)}   (${size.brotli} bytes; budget ${BUDGET.catalogueBrotliBytes})`);
  if (size.brotli > BUDGET.catalogueBrotliBytes) over.push(`the catalogue ${file} is ${size.brotli} bytes brotli, over its budget of ${BUDGET.catalogueBrotliBytes}`);
}
if (args.includes("--check") && over.length) {
  for (const line of over) console.error(`widget size budget: ${line} (bench/widget-budget.json)`);
  process.exit(1);
}
if (args.includes("--sizes-only")) process.exit(0);

const server = await startServer();
const peer = await servePeer();
const browser = await launchBrowser();
let ours, oursWasm, theirs;
try {
  // Side by side in one run: each load in a fresh context, alternating.
  ours = [];
  oursWasm = [];
  theirs = [];
  for (let i = 0; i < LOADS; i++) {
    // As the loader opens it: with the visitor's language, so the page
    // carries the form in its words.
    const [first, wasm] = await timeToInteractive(browser, server.widgetUrl(`organizationId=${server.orgId}&locale=en`), {
      // The form as the page brings it (server-rendered; what is typed and
      // a Continue pressed are kept until the widget's code runs) ...
      ready: () => {
        const input = document.getElementById("echo-name");
        const button = document.querySelector("form button[type=submit]");
        return input && button && !button.disabled;
      },
      // ... and the widget's own form, once its code has taken over.
      wasm: () => !document.getElementById("echo-pre") && document.querySelector("main.echo form button[type=submit]"),
    });
    ours.push(first);
    oursWasm.push(wasm);
    theirs.push((await timeToInteractive(browser, peer.url, {
      ready: () => {
        const input = document.querySelector("deep-chat")?.shadowRoot?.querySelector("#text-input");
        return input && input.getBoundingClientRect().height > 0;
      },
    }))[0]);
  }
} finally {
  await browser.close();
  await server.stop();
  peer.close();
}
const median = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return (sorted[LOADS / 2 - 1] + sorted[LOADS / 2]) / 2;
};
const range = (times) => `min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}`;
const [mine, mineWasm, peers] = [median(ours), median(oursWasm), median(theirs)];
console.log(`Start-up: navigation -> first interactive screen, ${LOADS} fresh loads each, loopback, one run`);
console.log(`  Echo (auth form, Continue enabled)   median ${mine.toFixed(0)} ms   (${range(ours)})`);
console.log(`    its code in control of the form    median ${mineWasm.toFixed(0)} ms   (${range(oursWasm)}; ratio ${(mineWasm / peers).toFixed(2)})`);
console.log(`  deep-chat ${PEER_VERSION} (its text input)   median ${peers.toFixed(0)} ms   (${range(theirs)})`);
console.log(`  ratio ${(mine / peers).toFixed(2)}   (target <= 0.75)`);

/** Milliseconds from navigation until each of `checks` holds in the page, in order. */
async function timeToInteractive(browser, url, checks) {
  const context = await browser.newContext({ viewport: { width: 400, height: 640 } });
  const page = await context.newPage();
  // The same checks for both apps, on every DOM change and every millisecond.
  const names = Object.keys(checks);
  await page.addInitScript(`{
    const checks = { ${names.map((n) => `${JSON.stringify(n)}: ${checks[n].toString()}`).join(", ")} };
    window.__at = {};
    const check = () => {
      for (const name in checks) if (!(name in window.__at) && checks[name]()) window.__at[name] = performance.now();
    };
    new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
    const timer = setInterval(() => { check(); if (Object.keys(window.__at).length == ${names.length}) clearInterval(timer); }, 1);
  }`);
  await page.goto(url);
  await page.waitForFunction((n) => Object.keys(window.__at).length == n, names.length, { timeout: 30_000 });
  const at = await page.evaluate(() => window.__at);
  await context.close();
  return names.map((n) => at[n]);
}

/** deep-chat from npm on a loopback server, its bundle sent brotli-compressed as ours is. */
async function servePeer() {
  const { createServer } = await import("node:http");
  const bundle = readFileSync(join(ROOT, "node_modules/deep-chat/dist/deepChat.bundle.js"));
  const compressed = brotliCompressSync(bundle, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>deep-chat</title><script type="module" src="/deepChat.bundle.js"></script></head><body><deep-chat style="width:100%;height:100vh" demo="true"></deep-chat></body></html>`;
  const http = createServer((req, res) => {
    if (req.url === "/deepChat.bundle.js") {
      res.writeHead(200, { "content-type": "text/javascript", "content-encoding": "br", "cache-control": "no-cache" });
      res.end(compressed);
    } else {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
      res.end(page);
    }
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${http.address().port}/`, close: () => http.close() };
}
