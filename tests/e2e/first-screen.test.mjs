// The pre-chat form the server renders into the widget's page
// (server/src/http/first_screen.rs): there before the wasm, the widget's
// own markup, usable at once, and taken over with what was typed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, sessionToken, api, signIn, submitForm, holdWasm } from "./helpers.mjs";

let server, browser;

before(async () => {
  [server, browser] = await Promise.all([startServer({ greet: "Hello! **How** can we help? <b>not html</b>" }), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The element tree under `main` as text: tags, attributes sorted, text; hidden elements left out. */
const shape = (selector) =>
  (() => {
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) return node.textContent;
      if (node.nodeType !== Node.ELEMENT_NODE || node.hidden) return "";
      const attrs = [...node.attributes]
        // The server's own: its form's id and the "Continuing..." it holds for the start-up script.
        .filter((a) => a.name !== "data-busy" && !(node.tagName === "MAIN" && a.name === "id"))
        .map((a) => `${a.name}=${a.value}`)
        .sort();
      return `<${node.tagName.toLowerCase()} ${attrs.join(" ")}>${[...node.childNodes].map(walk).join("")}</>`;
    };
    return walk(document.querySelector("SELECTOR"));
  })
    .toString()
    .replace("SELECTOR", selector);

for (const locale of ["en", "ar"]) {
  test(`${locale}: the page brings the form in the visitor's words, the widget's own markup`, async () => {
    const page = await newPage(browser);
    const release = await holdWasm(page);
    await page.goto(server.widgetUrl(`organizationId=${server.orgId}&locale=${locale}`));
    await page.locator("#echo-pre").waitFor();
    const root = await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir].join());
    assert.equal(root, locale === "ar" ? "ar,rtl" : "en,");
    assert.equal(await page.locator("#echo-pre .md strong").textContent(), "How", "the greeting is markdown");
    assert.match(await page.locator("#echo-pre .md").textContent(), /<b>not html<\/b>/, "and never HTML");
    assert.equal(await page.getByRole("button", { name: "Close chat" }).count(), 0, "no close button outside the loader's frame");
    // Before the audit, which leaves empty style attributes behind.
    const served = await page.evaluate(`(${shape("#echo-pre")})()`);
    await shot(page, `first-screen-${locale}`);

    release();
    await page.waitForFunction(() => !document.getElementById("echo-pre") && document.querySelector("main.echo form"));
    const own = await page.evaluate(`(${shape("main.echo")})()`);
    assert.equal(served, own, "the server's form is the widget's form");
    assert.deepEqual(page.errors, [], "no CSP violation and no page error");
  });
}

test("what a visitor types and a Continue pressed before the wasm arrives are kept", async () => {
  const page = await newPage(browser);
  const release = await holdWasm(page);
  await page.goto(server.widgetUrl(`organizationId=${server.orgId}&locale=en`));
  await submitForm(page, { name: "Early Bird", email: "early@example.com" });
  const button = page.locator("#echo-pre button[type=submit]");
  assert.equal(await button.textContent(), "Continuing...");
  assert.ok(await button.isDisabled(), "pressed once, held");

  release();
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  const current = await api(server, await sessionToken(page, server.orgId), "/v1/contact-sessions/current");
  assert.equal(current.body.name, "Early Bird");
  assert.deepEqual(page.errors, []);
});

test("a half-typed form is taken over with the caret where it was; a mistake is the widget's to report", async () => {
  const page = await newPage(browser);
  const release = await holdWasm(page);
  await page.goto(server.widgetUrl(`organizationId=${server.orgId}&locale=en`));
  await page.getByLabel("Name").fill("Half Way");
  await page.getByLabel("Email").fill("not-an-email");
  release();
  await page.waitForFunction(() => !document.getElementById("echo-pre"));
  assert.equal(await page.getByLabel("Name").inputValue(), "Half Way");
  assert.equal(await page.getByLabel("Email").inputValue(), "not-an-email");
  await page.waitForFunction(() => document.activeElement?.id === "echo-email");
  await page.keyboard.type(".com");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByText("Email must be a valid email address").waitFor();
  assert.deepEqual(page.errors, []);
});

test("a returning visitor never sees the form: the page drops it for a stored session", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await signIn(page);
  const release = await holdWasm(page);
  await page.reload();
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.locator("#echo-pre").count(), 0);
  release();
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  assert.deepEqual(page.errors, []);
});

test("an organization's brand is on the server's form too", async () => {
  const branded = await startServer();
  try {
    branded.admin("widget-settings", "set", branded.orgId, "--greet", "Hello from Teal Co", "--accent-color", "#FDE047", "--theme", "dark");
    const page = await newPage(browser);
    await holdWasm(page);
    await page.goto(branded.widgetUrl(`organizationId=${branded.orgId}&locale=en`));
    await page.locator("#echo-pre").waitFor();
    const seen = await page.evaluate(() => [
      document.documentElement.dataset.theme,
      getComputedStyle(document.querySelector("#echo-pre .btn.primary")).backgroundColor,
      getComputedStyle(document.querySelector("#echo-pre .btn.primary")).color,
    ]);
    assert.deepEqual(seen, ["dark", "rgb(253, 224, 71)", "rgb(0, 0, 0)"]);
    await shot(page, "first-screen-brand-dark");
    assert.deepEqual(page.errors, []);
  } finally {
    await branded.stop();
  }
});
