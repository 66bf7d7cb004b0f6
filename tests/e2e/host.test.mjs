// The widget on a customer's site: a host page on another origin with a
// strict CSP, signed-in visitors (data-user-*, identify(), reset()), the
// visitor's language and the keyboard alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { startServer, launchBrowser, newPage, shot, api, eventually, holdWasm } from "./helpers.mjs";

let server, browser, host, secret;

/** The customer's own site: one page, on its own origin, with its own CSP. */
async function startHost() {
  const pages = new Map();
  const http = createServer((req, res) => {
    const page = pages.get(new URL(req.url, "http://x").pathname);
    if (!page) return res.writeHead(404).end();
    res.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      // The snippet the README gives customers, with nothing inline allowed.
      "Content-Security-Policy": `default-src 'self'; script-src 'self' ${server.url}; connect-src 'self' ${server.url}; frame-src ${server.url}`,
    });
    res.end(page);
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  let next = 0;
  return {
    /** Serves a host page whose script tag carries `attributes`; its URL. */
    page(attributes = {}, lang = "en") {
      const attrs = Object.entries({ "data-organization-id": server.orgId, ...attributes })
        .map(([k, v]) => ` ${k}="${v}"`)
        .join("");
      const path = `/page-${next++}.html`;
      pages.set(path, `<!doctype html><html lang="${lang}"><head><title>Acme shop</title></head><body><main><h1>Acme shop</h1><p>Welcome back.</p></main><script src="${server.url}/embed.js"${attrs}></script></body></html>`);
      return `http://127.0.0.1:${http.address().port}${path}`;
    },
    close: () => new Promise((r) => http.close(r)),
  };
}

const hash = (userId, key = secret) => createHmac("sha256", key).update(userId).digest("hex");
const user = (id, name, email) => ({ "data-user-id": id, "data-user-name": name, "data-user-email": email, "data-user-hash": hash(id) });
const widgetFrame = (page) => page.frames().find((f) => f.url().includes("organizationId="));
const storedSession = async (page) =>
  widgetFrame(page).evaluate((key) => localStorage.getItem(key), `echo_contact_session_${server.orgId}`);

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  secret = server.admin("org", "identity-secret", server.orgId).trim();
  host = await startHost();
});
after(async () => {
  await host?.close();
  await browser?.close();
  await server?.stop();
});

test("a signed-in visitor skips the form on a strict-CSP host page, and their conversations follow them", async () => {
  const page = await newPage(browser, { width: 1000, height: 760 });
  await page.goto(host.page(user("cust-42", "Grace Hopper", "grace@example.com")));
  await page.getByRole("button", { name: "Open chat" }).click();
  const frame = page.frameLocator("iframe");
  await frame.getByRole("button", { name: "Start chat" }).click();
  await frame.getByText("Hello! How can we help?").waitFor();
  await frame.getByLabel("Message", { exact: true }).fill("Where is my order?");
  await frame.getByLabel("Message", { exact: true }).press("Enter");
  await frame.locator(".msg.visitor:not(.queued)").getByText("Where is my order?").waitFor();
  await shot(page, "host-signed-in-chat");
  assert.deepEqual(page.errors, [], "no CSP violation and no page error");

  // Another browser, the same signed-in user: the same conversation.
  const other = await newPage(browser, { width: 1000, height: 760 });
  await other.goto(host.page(user("cust-42", "Grace Hopper", "grace@example.com")));
  await other.getByRole("button", { name: "Open chat" }).click();
  const otherFrame = other.frameLocator("iframe");
  await otherFrame.getByRole("button", { name: "My conversations" }).click();
  await otherFrame.getByText("Where is my order?").waitFor();
  assert.notEqual(await storedSession(other), await storedSession(page), "two sessions");

  // A visitor claiming that user with a wrong hash chats unverified and
  // never sees Grace's conversations.
  const forger = await newPage(browser, { width: 1000, height: 760 });
  const warnings = [];
  forger.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await forger.goto(host.page({ ...user("cust-42", "Mallory", "mallory@example.com"), "data-user-hash": hash("cust-42", "not the secret") }));
  await forger.getByRole("button", { name: "Open chat" }).click();
  const forgerFrame = forger.frameLocator("iframe");
  await forgerFrame.getByRole("button", { name: "My conversations" }).click();
  await forgerFrame.getByText("No conversations yet.").waitFor();
  assert.ok(warnings.some((w) => w.includes("could not be verified")), warnings.join("\n"));
  const { body } = await api(server, await storedSession(forger), "/v1/conversations");
  assert.deepEqual(body.conversations, []);
  assert.deepEqual([...other.errors, ...forger.errors], []);
});

test("a host page naming its user without a hash: the visitor chats unverified, the developer gets a warning", async () => {
  const page = await newPage(browser, { width: 1000, height: 760 });
  const said = [];
  page.on("console", (m) => said.push(`${m.type()}: ${m.text()}`));
  // data-user-* without data-user-hash: identity verification not set up yet.
  await page.goto(host.page({ "data-user-id": "cust-9", "data-user-name": "Katherine Johnson", "data-user-email": "kj@example.com" }));
  await page.getByRole("button", { name: "Open chat" }).click();
  const frame = page.frameLocator("iframe");
  await frame.getByRole("button", { name: "Start chat" }).click();
  await frame.getByLabel("Message", { exact: true }).fill("Can you hear me?");
  await frame.getByLabel("Message", { exact: true }).press("Enter");
  await frame.locator(".msg.visitor:not(.queued)").getByText("Can you hear me?").waitFor();
  const token = await storedSession(page);
  const current = await api(server, token, "/v1/contact-sessions/current");
  assert.equal(current.body.name, "Katherine Johnson", "the name and email the host gave");
  assert.equal(current.body.email, "kj@example.com");
  assert.ok(said.some((m) => m.startsWith("warning") && m.includes("could not be verified")), said.join("\n"));
  // Nothing meant for a developer reaches the visitor, and the loader
  // posted nothing before the widget's page had loaded.
  assert.doesNotMatch(await widgetFrame(page).evaluate(() => document.body.innerText), /userHash|hexadecimal/);
  assert.deepEqual(said.filter((m) => /postMessage|target origin/i.test(m)), []);
  await shot(page, "host-user-without-hash");
  assert.deepEqual(page.errors, []);
});

test("identify() after load moves on from the form; reset() ends the session and asks again", async () => {
  const page = await newPage(browser, { width: 1000, height: 760 });
  await page.goto(host.page());
  await page.getByRole("button", { name: "Open chat" }).click();
  const frame = page.frameLocator("iframe");
  await frame.getByLabel("Name").waitFor();

  await page.evaluate(
    ([userHash]) => window.EchoWidget.identify({ userId: "cust-7", name: "Alan Turing", email: "alan@example.com", userHash }),
    [hash("cust-7")],
  );
  await frame.getByRole("button", { name: "Start chat" }).waitFor();
  const token = await storedSession(page);
  assert.equal((await api(server, token, "/v1/contact-sessions/current")).body.name, "Alan Turing");

  await page.evaluate(() => window.EchoWidget.reset());
  await frame.getByLabel("Name").waitFor();
  assert.equal(await storedSession(page), null, "forgotten in the browser");
  await eventually(async () => (await api(server, token, "/v1/contact-sessions/current")).status === 401, {
    what: "the old session ended on the server",
  });
  await shot(page, "host-after-reset");

  // A reset before the widget was ever opened is honoured when it opens.
  const later = await newPage(browser, { width: 1000, height: 760 });
  await later.goto(host.page(user("cust-8", "Ada Lovelace", "ada@example.com")));
  await later.getByRole("button", { name: "Open chat" }).click();
  await later.frameLocator("iframe").getByRole("button", { name: "Start chat" }).waitFor();
  await later.reload();
  await later.evaluate(() => window.EchoWidget.reset());
  await later.getByRole("button", { name: "Open chat" }).click();
  await later.frameLocator("iframe").getByLabel("Name").waitFor();
  assert.deepEqual([...page.errors, ...later.errors], []);
});

test("data-locale=ar: Arabic words, right to left, launcher included", async () => {
  const page = await newPage(browser, { width: 1000, height: 760 });
  await page.goto(host.page({ "data-locale": "ar" }, "ar"));
  const launcher = page.getByRole("button", { name: "افتح الدردشة" });
  await launcher.click();
  const frame = page.frameLocator("iframe");
  await frame.getByLabel("الاسم").waitFor();
  assert.equal(await widgetFrame(page).evaluate(() => [document.documentElement.dir, document.documentElement.lang].join()), "rtl,ar");
  assert.equal(await page.locator("iframe").getAttribute("title"), "الدردشة");
  await frame.getByRole("button", { name: "متابعة" }).click();
  await frame.getByText("الاسم مطلوب").waitFor();
  await shot(page, "host-arabic-form");
  await frame.getByLabel("الاسم").fill("ليلى");
  await frame.getByLabel("البريد الإلكتروني").fill("layla@example.com");
  await frame.getByLabel("البريد الإلكتروني").press("Enter");
  await frame.getByRole("button", { name: "ابدأ الدردشة" }).click();
  await frame.getByLabel("رسالة", { exact: true }).fill("مرحبا");
  await frame.getByLabel("رسالة", { exact: true }).press("Enter");
  await frame.locator(".msg.visitor:not(.queued)").getByText("مرحبا").waitFor();
  await shot(page, "host-arabic-chat");
  await frame.getByRole("button", { name: "رجوع" }).click();
  await frame.getByRole("button", { name: "محادثاتي" }).click();
  // The relative time comes from the browser's Intl, in Arabic.
  await frame.locator(".inbox-item").first().waitFor();
  assert.match(await frame.locator(".inbox-item").first().innerText(), /الآن/);
  await shot(page, "host-arabic-inbox");
  assert.deepEqual(page.errors, []);
});

test("the browser's language is used when the host names none; English needs no catalogue", async () => {
  const context = await browser.newContext({ locale: "de-DE", viewport: { width: 400, height: 640 } });
  const page = await context.newPage();
  const fetched = [];
  page.on("request", (r) => fetched.push(r.url()));
  await page.goto(server.widgetUrl());
  await page.getByRole("button", { name: "Weiter" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
  assert.ok(fetched.some((u) => u.endsWith("/locales/de.json")));
  await shot(page, "widget-german-form");
  await context.close();

  const english = await newPage(browser);
  const requested = [];
  english.on("request", (r) => requested.push(r.url()));
  await english.goto(server.widgetUrl());
  await english.getByRole("button", { name: "Continue" }).waitFor();
  assert.deepEqual(requested.filter((u) => u.includes("/locales/")), []);
});

test("keyboard only: into the widget and out again, every step by key", async () => {
  const page = await newPage(browser, { width: 1000, height: 760 });
  await page.goto(host.page());
  // Tab until the widget's focused control is `name`, staying in the widget.
  const focused = () =>
    widgetFrame(page).evaluate(() => {
      const el = document.activeElement;
      return el?.getAttribute("aria-label") || el?.labels?.[0]?.textContent || el?.textContent?.trim() || "";
    });
  const tabTo = async (name) => {
    for (let i = 0; i < 8; i++) {
      if ((await focused()) === name) return;
      await page.keyboard.press("Tab");
    }
    assert.fail(`Tab never reached ${name} (at ${await focused()})`);
  };
  // The launcher is placed once the organization's settings have arrived.
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "DIV", "the launcher's host element");
  await page.keyboard.press("Enter");
  const frame = page.frameLocator("iframe");
  await frame.getByLabel("Name").waitFor();
  // Focus went into the widget, and its first field is where typing goes.
  assert.equal(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.tagName), "IFRAME");
  await eventually(async () => (await focused()) === "Name", { what: "the first field focused" });
  await page.keyboard.type("Key Board");
  await tabTo("Email");
  await page.keyboard.type("keys@example.com");
  await page.keyboard.press("Enter");
  await frame.getByRole("button", { name: "Start chat" }).waitFor();
  await tabTo("Start chat");
  const ring = await widgetFrame(page).evaluate(() => getComputedStyle(document.activeElement).boxShadow);
  assert.notEqual(ring, "none", "the focused control shows it");
  await page.keyboard.press("Enter");
  await frame.getByLabel("Message", { exact: true }).waitFor();
  await tabTo("Message");
  await page.keyboard.type("Typed without a mouse");
  await page.keyboard.press("Enter");
  await frame.locator(".msg.visitor:not(.queued)").getByText("Typed without a mouse").waitFor();
  await page.keyboard.press("Escape");
  const launcher = page.getByRole("button", { name: "Open chat" });
  await launcher.waitFor();
  assert.equal(await launcher.evaluate((b) => b.getRootNode().activeElement === b), true, "focus is back on the launcher");
  assert.deepEqual(page.errors, []);
});

test("in the loader's frame the server's form shows only to a visitor who will fill it, and closes", async () => {
  const page = await newPage(browser, { width: 1000, height: 760 });
  const release = await holdWasm(page);
  await page.goto(host.page());
  await page.getByRole("button", { name: "Open chat" }).click();
  const frame = page.frameLocator("iframe");
  // Before the wasm: the form, its close button, and the keyboard in its first field.
  await frame.getByLabel("Name").waitFor();
  await eventually(() => widgetFrame(page).evaluate(() => document.activeElement?.id === "echo-name"), { what: "the first field focused" });
  await shot(page, "host-first-screen-before-wasm");
  await frame.getByRole("button", { name: "Close chat" }).click();
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  // Escape closes too, with one message, before the wasm and after it
  // (two would close the panel again once it is reopened).
  await page.evaluate(() => {
    window.closes = 0;
    addEventListener("message", (e) => e.data?.type === "echo:close" && window.closes++);
  });
  await page.evaluate(() => window.EchoWidget.open());
  await frame.getByLabel("Name").press("Escape");
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  release();
  await page.evaluate(() => window.EchoWidget.open());
  await eventually(() => widgetFrame(page).evaluate(() => !document.getElementById("echo-pre")), { what: "the widget's own form" });
  await frame.getByLabel("Name").press("Escape");
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  await eventually(() => page.evaluate(() => window.closes === 2), { what: "the second close" });
  await page.evaluate(() => window.EchoWidget.open());
  await frame.getByLabel("Name").waitFor();
  assert.equal(await page.evaluate(() => window.closes), 2, "one echo:close per Escape");

  // A signed-in visitor: the page keeps the form out of sight.
  const signedIn = await newPage(browser, { width: 1000, height: 760 });
  const releaseSignedIn = await holdWasm(signedIn);
  await signedIn.goto(host.page(user("cust-9", "Hedy Lamarr", "hedy@example.com")));
  await signedIn.getByRole("button", { name: "Open chat" }).click();
  await eventually(() => widgetFrame(signedIn)?.evaluate(() => !document.getElementById("echo-pre")), { what: "the form dropped" });
  releaseSignedIn();
  await signedIn.frameLocator("iframe").getByRole("button", { name: "Start chat" }).waitFor();
  assert.deepEqual([...page.errors, ...signedIn.errors], []);
});
