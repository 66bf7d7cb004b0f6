// An expired session sends the visitor back to auth and is forgotten.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signIn, sessionToken, eventually } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([
    startServer({ env: { ECHO_SESSION_DURATION_SECS: "2", ECHO_SESSION_REFRESH_THRESHOLD_SECS: "0" } }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an expired session leads back to auth and is removed from storage", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await signIn(page);
  assert.ok(await sessionToken(page, server.orgId));
  // The session lives two seconds; reload until the widget notices.
  await eventually(async () => {
    await page.reload();
    await page.locator("#echo-name, button:has-text('Start chat')").first().waitFor();
    return (await page.getByLabel("Name").count()) === 1;
  }, { timeout: 15_000, every: 500, what: "the auth screen after expiry" });
  assert.equal(await sessionToken(page, server.orgId), null);
  await shot(page, "auth-after-expiry");
});
