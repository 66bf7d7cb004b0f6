// The company's brand in the widget: its accent colour (with readable text
// on it) and a forced dark theme, set with `widget-settings set`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signIn, eventually } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const background = (page, selector) =>
  page.locator(selector).first().evaluate((el) => getComputedStyle(el).backgroundColor);

test("the accent colour and the dark theme are applied", async () => {
  server.admin("widget-settings", "set", server.orgId, "--greet", "Hello from Teal Co", "--accent-color", "#FDE047", "--theme", "light");
  const light = await newPage(browser);
  await light.goto(server.widgetUrl());
  await light.getByRole("button", { name: "Continue" }).waitFor();
  assert.equal(await background(light, "button.primary"), "rgb(253, 224, 71)");
  const text = await light.locator("button.primary").evaluate((el) => getComputedStyle(el).color);
  assert.equal(text, "rgb(0, 0, 0)", "dark text on a light accent");
  assert.equal(await background(light, "body"), "rgb(255, 255, 255)");
  await shot(light, "brand-light-yellow");

  server.admin("widget-settings", "set", server.orgId, "--greet", "Hello from Teal Co", "--accent-color", "#0f766e", "--theme", "dark");
  const dark = await newPage(browser);
  await dark.goto(server.widgetUrl());
  await signIn(dark);
  await dark.getByRole("button", { name: "Start chat" }).waitFor();
  assert.equal(await background(dark, "button.primary"), "rgb(15, 118, 110)");
  assert.equal(await background(dark, "body"), "rgb(21, 22, 28)", "dark even on a light system");
  await shot(dark, "brand-dark-teal");
  assert.deepEqual([...light.errors, ...dark.errors], []);
});

test("the launcher on the host page wears the accent too, with readable text", async () => {
  server.admin("widget-settings", "set", server.orgId, "--greet", "Hello from Teal Co", "--accent-color", "#FDE047", "--theme", "auto");
  const page = await newPage(browser, { width: 1000, height: 700 });
  await page.goto(`${server.url}/demo.html?organizationId=${server.orgId}`);
  const launcher = page.getByRole("button", { name: "Open chat" });
  await launcher.waitFor();
  const colours = () => launcher.evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color].join(" / "));
  await eventually(async () => (await colours()) === "rgb(253, 224, 71) / rgb(0, 0, 0)", { what: "the accent on the launcher" });
  await shot(page, "brand-launcher-yellow");
  // Dark theme on a dark system: the widget follows prefers-color-scheme.
  await page.emulateMedia({ colorScheme: "dark" });
  await launcher.click();
  const frame = page.frameLocator('iframe[title="Chat"]');
  await frame.getByRole("button", { name: "Continue" }).waitFor();
  await shot(page, "brand-auto-dark-open");
  assert.deepEqual(page.errors, []);
});
