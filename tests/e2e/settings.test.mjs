// The console's Widget page: an admin sets the greeting, suggestions, accent
// colour and theme, and the widget shows them; the identity secret is shown
// on request and a rotation replaces it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signInWithKey, openSettings, hold } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an admin brands the widget and manages the identity secret from the console", async () => {
  const page = await newPage(browser, { width: 1200, height: 800 });
  // The settings are held back until the page is checked: before they
  // arrive nothing can be edited or saved (a save would store the empty
  // form, allowed sites included).
  const release = await hold(page, "**/v1/operator/widget-settings", "GET");
  await page.goto(`${server.url}/console/`);
  await signInWithKey(page, server.org.operatorKey);
  await openSettings(page, "Widget");
  const greeting = page.getByLabel("Greeting");
  assert.ok(await page.getByRole("button", { name: "Save" }).isDisabled(), "no save before the settings are read");
  assert.ok(await greeting.isDisabled(), "no edit before the settings are read");
  release();
  await page.waitForFunction(() => document.querySelector("#greeting")?.value === "Hello! How can we help?");
  await greeting.fill("Welcome to Acme! Ask us anything.");
  await page.getByLabel("Suggestion 1").fill("Track my order");
  await page.getByLabel("Suggestion 2").fill("");
  await page.getByLabel("Accent colour").evaluate((input) => {
    input.value = "#0f766e";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.getByLabel("Theme").selectOption("dark");
  await shot(page, "console-widget-settings");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved: visitors see it the next time the widget opens.").waitFor();
  const saved = await server.operator("/v1/operator/widget-settings");
  assert.deepEqual(saved.body, {
    greetMessage: "Welcome to Acme! Ask us anything.",
    suggestions: ["Track my order"],
    accentColor: "#0f766e",
    theme: "dark",
    allowedOrigins: [],
  });

  const widget = await newPage(browser);
  await widget.goto(server.widgetUrl());
  await widget.getByLabel("Name").fill("Bea Brand");
  await widget.getByLabel("Email").fill("bea@example.com");
  await widget.getByRole("button", { name: "Continue" }).click();
  await widget.getByRole("button", { name: "Start chat" }).click();
  await widget.getByText("Welcome to Acme! Ask us anything.").waitFor();
  await widget.getByRole("button", { name: "Track my order" }).waitFor();
  const header = await widget.locator(".header").evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(header, "rgb(15, 118, 110)");
  assert.equal(await widget.evaluate(() => document.documentElement.dataset.theme), "dark");

  await page.getByRole("button", { name: "Show the identity secret" }).click();
  const secret = page.getByLabel("Identity secret");
  await secret.waitFor();
  const first = await secret.inputValue();
  assert.match(first, /^[0-9a-f]{64}$/);
  await page.getByRole("button", { name: "Rotate the secret" }).click();
  await page.getByRole("button", { name: "Confirm: replace the secret" }).click();
  await page.getByText("A new secret: hashes made with the old one no longer verify.").waitFor();
  const second = await secret.inputValue();
  assert.match(second, /^[0-9a-f]{64}$/);
  assert.notEqual(second, first);
  await shot(page, "console-widget-identity");
  assert.deepEqual(page.errors, []);
  assert.deepEqual(widget.errors, []);
});
