// The widget's development loop: `trunk serve` (a debug build, reloaded on
// every change to what the widget is built from) proxying /v1/ to a running
// server whose SQLite files sit in the tree, as scripts/run.sh's do
// (.echo-dev/). The server writes its database on every visitor action;
// Trunk must not take that for a change of the widget (a rebuild and a
// reload mid-conversation), and its build must not replace the release
// build in dist/ that a running server serves.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { startServer, launchBrowser, newPage, shot, submitForm, eventually, ROOT } from "./helpers.mjs";

let server, browser, trunk, trunkUrl, log = "";
// Trunk takes its proxy from its configuration (a second one from the
// command line collides with it), so this run gets a copy of Trunk.toml
// that points at the test's server; relative paths resolve as for the real one.
const CONFIG = join(ROOT, ".trunk-dev-loop.toml");
const releasePage = join(ROOT, "dist/index.html");
let releaseBefore;

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

before(async () => {
  server = await startServer({ dbParent: join(ROOT, ".echo-dev") });
  browser = await launchBrowser();
  releaseBefore = statSync(releasePage).mtimeMs;
  const config = readFileSync(join(ROOT, "Trunk.toml"), "utf8").replace(
    /backend = "http:\/\/127\.0\.0\.1:8787\/v1\/"/,
    `backend = "${server.url}/v1/"`,
  );
  assert.notEqual(config, readFileSync(join(ROOT, "Trunk.toml"), "utf8"), "the proxy was pointed at the test's server");
  writeFileSync(CONFIG, config);
  const port = await freePort();
  trunkUrl = `http://127.0.0.1:${port}`;
  trunk = spawn("trunk", ["--config", CONFIG, "serve", "--port", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "true" },
  });
  trunk.stdout.on("data", (chunk) => (log += chunk));
  trunk.stderr.on("data", (chunk) => (log += chunk));
  // scripts/test.sh builds the development build first (`trunk build`),
  // so this one finds cargo's work done.
  await eventually(() => log.includes("serving static assets"), { timeout: 90_000, every: 250, what: "trunk serve" });
});

after(async () => {
  trunk?.kill("SIGTERM");
  rmSync(CONFIG, { force: true });
  await browser?.close();
  await server?.stop();
});

test("trunk serve: from the form to a sent message, with no rebuild or reload on the server's writes", async () => {
  const builds = () => log.split("applying new distribution").length - 1;
  const before = builds();
  const page = await newPage(browser);
  await page.goto(`${trunkUrl}/?organizationId=${server.orgId}`);
  await page.evaluate(() => (window.devLoopMark = "still the first page"));
  await submitForm(page);
  await page.getByRole("button", { name: "Start chat" }).click();
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("Hello from the development build");
  await box.press("Enter");
  await page.locator(".msg.visitor:not(.queued)").getByText("Hello from the development build").waitFor();
  const stored = await server.operator("/v1/operator/conversations");
  assert.equal(stored.body.conversations[0].lastMessage.text, "Hello from the development build");
  // Trunk debounces a change before it rebuilds: give it the time it takes.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await page.evaluate(() => window.devLoopMark), "still the first page", "no reload");
  assert.equal(builds(), before, `no rebuild:\n${log}`);
  assert.equal(statSync(releasePage).mtimeMs, releaseBefore, "the release build in dist/ is untouched");
  await shot(page, "dev-loop-chat");
  assert.deepEqual(page.errors, []);
});
