// The release build's split (scripts/split-widget.mjs): the first screen
// needs only the main module; the later screens' modules follow, and one
// that cannot be fetched is an error the visitor can retry, not a dead
// widget. A stable build (no split) skips these.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, newPage, shot, signIn, submitForm, hold, ROOT } from "./helpers.mjs";

const DIST = process.env.ECHO_WIDGET_DIR || join(ROOT, "dist");
const split = readdirSync(DIST).some((f) => /^echo-split-[0-9a-f]{16}\.js$/.test(f));
// The later screens' module: every .wasm but the main module (`_bg.wasm`).
const LATER = /\/echo-[a-z]+-[0-9a-f]{16}\.wasm$/;

let server, browser;
before(async () => {
  if (!split) return;
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the first screen runs on the main module alone; the later screens' module arrives behind it", { skip: !split && "not a split build" }, async () => {
  const page = await newPage(browser);
  const wasm = [];
  page.on("request", (r) => r.url().endsWith(".wasm") && wasm.push(new URL(r.url()).pathname));
  const release = await hold(page, LATER);
  await page.goto(server.widgetUrl());
  // The widget's own form (the page's first screen has been taken over),
  // working while the later screens' module is still on its way.
  await page.waitForFunction(() => !document.getElementById("echo-pre") && document.querySelector("main.echo form"));
  await submitForm(page, { email: "nope" });
  await page.getByText("Email must be a valid email address").waitFor();
  assert.equal(wasm.filter((p) => p.endsWith("_bg.wasm")).length, 1, "one main module");
  assert.ok(wasm.some((p) => LATER.test(p)), `the later module is fetched behind the first screen: ${wasm}`);
  // Continue before it has arrived: the selection screen waits for it,
  // showing the header and a spinner, then shows.
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForFunction((key) => localStorage.getItem(key), `echo_contact_session_${server.orgId}`);
  await page.getByRole("status").getByText("Loading...").waitFor();
  assert.equal(await page.getByRole("button", { name: "Start chat" }).count(), 0, "selection waits for its module");
  await shot(page, "split-waiting-for-module");
  release();
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByRole("log", { name: "Messages" }).getByText("Hello! How can we help?").waitFor();
  assert.deepEqual(page.errors, []);
});

test("a later screen whose module cannot be fetched is an error with a retry that works", { skip: !split && "not a split build" }, async () => {
  const page = await newPage(browser);
  await page.route(LATER, (route) => route.abort("internetdisconnected"));
  await page.goto(server.widgetUrl());
  await submitForm(page);
  await page.getByText("We couldn't reach the chat server").waitFor();
  await shot(page, "split-module-offline");
  // Back online: trying again fetches the module afresh (a failure is not
  // remembered) and the visitor goes on with the session just made.
  await page.unroute(LATER);
  await page.getByRole("button", { name: "Try again" }).click();
  await signInIfAsked(page);
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByRole("log", { name: "Messages" }).getByText("Hello! How can we help?").waitFor();
  assert.deepEqual(page.errors, []);
});

test("a later module that is not the one built (its SRI hash differs) is refused like a failed fetch", { skip: !split && "not a split build" }, async () => {
  const page = await newPage(browser);
  await page.route(LATER, async (route) => {
    const body = Buffer.from(await (await route.fetch()).body());
    body[body.length - 1] ^= 1;
    await route.fulfill({ body, contentType: "application/wasm" });
  });
  await page.goto(server.widgetUrl());
  await submitForm(page);
  await page.getByText("We couldn't reach the chat server").waitFor();
  assert.equal(await page.getByRole("button", { name: "Start chat" }).count(), 0);
  assert.deepEqual(page.errors, []);
});

/** The stored session takes the visitor past the form; without one, sign in. */
async function signInIfAsked(page) {
  const form = page.getByRole("button", { name: "Continue" });
  const start = page.getByRole("button", { name: "Start chat" });
  await Promise.race([form.waitFor(), start.waitFor()]);
  if (await form.count()) await signIn(page);
}
