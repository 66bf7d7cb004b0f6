// Widget size and start-up benchmark: `scripts/bench-widget.sh`.
// Prints the transfer size of the built widget (wasm, js, css; gzip -9 and
// brotli -q 11), the loader's, each against its budget in
// bench/widget-budget.json (the one place it is written), and the median
// over 10 loads of the time from navigation to the auth form being
// interactive in headless Chromium.
//
//   --sizes-only   skip the start-up measurement
//   --check        exit 1 when the widget or the loader is over its budget
//                  (scripts/test.sh does this, so no change can quietly
//                  grow the widget; lower the budget when it shrinks)
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";
import { startServer, launchBrowser, ROOT } from "../tests/e2e/helpers.mjs";

const DIST = process.env.ECHO_WIDGET_DIR || join(ROOT, "dist");
const BUDGET = JSON.parse(readFileSync(join(ROOT, "bench/widget-budget.json"), "utf8"));
const args = process.argv.slice(2);
const LOADS = 10;
const kb = (n) => (n / 1024).toFixed(1).padStart(7);
const sizes = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length,
});

const files = readdirSync(DIST);
const pick = (suffix) => files.find((f) => f.endsWith(suffix) && !f.endsWith(".br") && !f.endsWith(".gz"));
const parts = [
  ["wasm", pick("_bg.wasm")],
  ["js", files.find((f) => /^echo-widget-[0-9a-f]+\.js$/.test(f))],
  ["css", pick(".css")],
];
console.log("Widget transfer size (KiB)        raw     gzip -9  brotli -11");
const total = { raw: 0, gzip: 0, brotli: 0 };
for (const [label, file] of parts) {
  const s = sizes(readFileSync(join(DIST, file)));
  for (const k of Object.keys(total)) total[k] += s[k];
  console.log(`  ${label.padEnd(6)} ${file.padEnd(34).slice(0, 34)}${kb(s.raw)}  ${kb(s.gzip)}  ${kb(s.brotli)}`);
}
console.log(`  total${" ".repeat(36)}${kb(total.raw)}  ${kb(total.gzip)}  ${kb(total.brotli)}   (${total.brotli} bytes; budget ${BUDGET.widgetBrotliBytes}, target ${BUDGET.targetBrotliBytes})`);
const loader = sizes(readFileSync(join(DIST, "embed.js")));
console.log(`  loader embed.js${" ".repeat(26)}${kb(loader.raw)}  ${kb(loader.gzip)}  ${kb(loader.brotli)}   (${loader.brotli} bytes; budget ${BUDGET.loaderBrotliBytes})`);
const over = [];
if (total.brotli > BUDGET.widgetBrotliBytes) over.push(`the widget is ${total.brotli} bytes brotli, over its budget of ${BUDGET.widgetBrotliBytes}`);
if (loader.brotli > BUDGET.loaderBrotliBytes) over.push(`the loader is ${loader.brotli} bytes brotli, over its budget of ${BUDGET.loaderBrotliBytes}`);
if (args.includes("--check") && over.length) {
  for (const line of over) console.error(`widget size budget: ${line} (bench/widget-budget.json)`);
  process.exit(1);
}
if (args.includes("--sizes-only")) process.exit(0);

const server = await startServer();
const browser = await launchBrowser();
const times = [];
try {
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 400, height: 640 } });
    const page = await context.newPage();
    // Records when the auth form's first field and its button can be used.
    await page.addInitScript(() => {
      const done = () => {
        const input = document.getElementById("echo-name");
        const button = document.querySelector("form button[type=submit]");
        if (input && button && !button.disabled && !window.__interactiveAt) {
          window.__interactiveAt = performance.now();
        }
      };
      new MutationObserver(done).observe(document, { childList: true, subtree: true, attributes: true });
    });
    await page.goto(server.widgetUrl());
    await page.waitForFunction(() => window.__interactiveAt);
    times.push(await page.evaluate(() => window.__interactiveAt));
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
times.sort((a, b) => a - b);
const median = (times[LOADS / 2 - 1] + times[LOADS / 2]) / 2;
console.log(`Start-up: navigation -> auth form interactive, ${LOADS} fresh loads on loopback`);
console.log(`  median ${median.toFixed(0)} ms   (min ${times[0].toFixed(0)}, max ${times.at(-1).toFixed(0)}; target <= 200 ms)`);
