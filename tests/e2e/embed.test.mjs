// The loader on a host page: nothing heavy until asked, then the widget in
// an iframe that Escape closes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, sessionToken, currentConversationId, eventually } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the demo page downloads no wasm until the launcher is clicked; Escape closes", async () => {
  const page = await newPage(browser, { width: 1200, height: 800 });
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));
  await page.goto(`${server.url}/demo.html?organizationId=${server.orgId}`);
  const launcher = page.getByRole("button", { name: "Open chat" });
  await launcher.waitFor();
  await page.waitForLoadState("networkidle");
  assert.equal(requested.filter((u) => u.endsWith(".wasm")).length, 0, requested.join("\n"));
  assert.equal(await page.locator("iframe").count(), 0);
  await shot(page, "demo-closed");

  await launcher.click();
  const frame = page.frameLocator('iframe[title="Chat"]');
  await frame.getByLabel("Name").waitFor();
  assert.ok(requested.some((u) => u.endsWith(".wasm")));
  assert.equal(await page.getByRole("button", { name: "Close chat" }).first().getAttribute("aria-expanded"), "true");
  await shot(page, "demo-open");

  await frame.getByLabel("Name").click();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  assert.equal(await page.locator("iframe").isVisible(), false);

  await page.evaluate(() => window.EchoWidget.open());
  await frame.getByLabel("Name").waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  assert.equal(await page.locator("iframe").count(), 1, "the iframe is reused");
});

test("below 640 px the widget fills the screen", async () => {
  const page = await newPage(browser, { width: 375, height: 667 });
  await page.goto(`${server.url}/demo.html?organizationId=${server.orgId}`);
  await page.getByRole("button", { name: "Open chat" }).click();
  await page.frameLocator('iframe[title="Chat"]').getByLabel("Name").waitFor();
  const box = await page.locator("iframe").boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 375, 667]);
  await shot(page, "demo-mobile-open");
  await page.frameLocator('iframe[title="Chat"]').getByRole("button", { name: "Close chat" }).click();
  await page.getByRole("button", { name: "Open chat" }).waitFor();
});

test("bottom-left position and destroy()", async () => {
  const page = await newPage(browser, { width: 1000, height: 700 });
  await page.goto(`${server.url}/demo.html`);
  await page.setContent(`<!doctype html><html lang="en"><title>Host page</title><body><main><h1>Host page</h1></main><script src="${server.url}/embed.js" data-organization-id="${server.orgId}" data-position="bottom-left"></script></body></html>`);
  const launcher = page.getByRole("button", { name: "Open chat" });
  await launcher.waitFor();
  const box = await launcher.boundingBox();
  assert.ok(box.x < 100, `launcher at x=${box.x}`);
  await shot(page, "embed-bottom-left");
  const globals = await page.evaluate(() => Object.keys(window).filter((k) => k.toLowerCase().includes("echo")));
  assert.deepEqual(globals, ["EchoWidget"]);
  await page.evaluate(() => window.EchoWidget.destroy());
  assert.equal(await launcher.count(), 0);
  assert.equal(await page.evaluate(() => typeof window.EchoWidget), "undefined");
});

test("a missing data-organization-id is a console error and nothing else", async () => {
  const page = await newPage(browser);
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${server.url}/demo.html`);
  await page.waitForLoadState("networkidle");
  assert.ok(errors.some((e) => e.includes("data-organization-id")), errors.join("\n"));
  assert.equal(await page.getByRole("button", { name: "Open chat" }).count(), 0);
  await shot(page, "embed-missing-organization");
});

test("the host page hears open, close, unread and replies through EchoWidget.on", async () => {
  const page = await newPage(browser, { width: 1200, height: 800 });
  await page.goto(`${server.url}/demo.html?organizationId=${server.orgId}`);
  await page.evaluate(async () => {
    window.heard = [];
    const api = await window.EchoWidget.ready;
    for (const name of ["open", "close", "unread", "message"]) {
      api.on(name, (value) => window.heard.push(value === undefined ? name : [name, value]));
    }
    const dropped = () => window.heard.push("never");
    api.on("open", dropped);
    api.off("open", dropped);
  });
  await page.getByRole("button", { name: "Open chat" }).click();
  const frame = page.frameLocator('iframe[title="Chat"]');
  await frame.getByLabel("Name").fill("Hedy Host");
  await frame.getByLabel("Email").fill("hedy@example.com");
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByRole("button", { name: "Start chat" }).click();
  await frame.getByText("Hello! How can we help?").waitFor();
  const conversationId = await currentConversationId(server, await sessionToken(page, server.orgId));
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  await server.reply(conversationId, "Your order shipped.");
  const heard = await eventually(
    () => page.evaluate(() => (window.heard.length >= 4 ? window.heard : null)),
    { what: "the host events" },
  );
  assert.deepEqual(heard, [
    "open",
    "close",
    ["message", { authorName: "Acme Outfitters", text: "Your order shipped." }],
    ["unread", 1],
  ]);
});
