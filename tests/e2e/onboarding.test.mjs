// From sign-up to a live widget, in the real console against a server with
// sign-up open and a real SMTP server: a person signs up, confirms the
// address from the mailed link, creates a second organization, copies the
// HTML snippet from the Install page into a host page on another origin,
// sees the launcher there and the site under "Seen on". Then allowed
// sites: with one host origin allowed, the widget works there and the
// loader does nothing on a second origin, whose own calls are refused.
// Every new screen passes axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, startSmtp, launchBrowser, newPage, shot, eventually, openSettings, signIn } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
let smtp, server, browser, host;

/** A customer's site, reachable as two origins: 127.0.0.1 and localhost. */
async function startHost() {
  const pages = new Map();
  const http = createServer((req, res) => {
    const page = pages.get(new URL(req.url, "http://x").pathname);
    if (!page) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page);
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  const port = http.address().port;
  let next = 0;
  return {
    origins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    /** Serves `snippet` in a page; its path. */
    page(snippet) {
      const path = `/page-${next++}.html`;
      pages.set(path, `<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Our shop</h1></main>${snippet}</body></html>`);
      return path;
    },
    close: () => new Promise((r) => http.close(r)),
  };
}

before(async () => {
  smtp = await startSmtp();
  [server, browser] = await Promise.all([
    startServer({ env: { ECHO_SIGNUP: "open", ECHO_SMTP_URL: smtp.url, ECHO_MAIL_FROM: "hello@echo.test" } }),
    launchBrowser(),
  ]);
  host = await startHost();
});
after(async () => {
  await host?.close();
  await browser?.close();
  await server?.stop();
  smtp?.stop();
});

test("sign up, confirm from the mail, create an organization, install the snippet and see it seen", async () => {
  const page = await newPage(browser, { width: 1200, height: 800 });
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  await page.goto(`${server.url}/console/`);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Your name").fill("Nina Founder");
  await page.getByLabel("Work email").fill("nina@example.com");
  await page.getByLabel("Password (at least 10 characters)").fill(PASSWORD);
  await page.getByLabel("Company or team name").fill("Nina's Plants");
  await shot(page, "console-sign-up");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Live", { exact: true }).waitFor();
  const banner = page.getByRole("region", { name: "Email confirmation" });
  await banner.waitFor();
  await shot(page, "console-unconfirmed-banner");

  const mail = await eventually(() => smtp.to("nina@example.com")[0], { timeout: 20_000, what: "the confirmation mail" });
  const link = mail.text.split(/\s+/).find((word) => word.includes("#verify=ev_"));
  assert.ok(link?.startsWith(`${server.url}/console/#verify=`), mail.text);
  await page.goto(link);
  await page.getByText("Your email address is confirmed.").waitFor();
  await banner.waitFor({ state: "detached" });

  // A second organization, from the switcher.
  await page.getByLabel("Organization").selectOption({ label: "New organization..." });
  const dialog = page.getByRole("dialog", { name: "New organization" });
  await dialog.getByLabel("Name").fill("Nina's Second Shop");
  await shot(page, "console-new-organization");
  await dialog.getByRole("button", { name: "Create" }).click();
  await page.getByText("Organization created: you are its admin.").waitFor();
  assert.equal(await page.getByLabel("Organization").locator("option:checked").textContent(), "Nina's Second Shop");

  // The Install page's HTML snippet, copied into the customer's page.
  await openSettings(page, "Install");
  await page.getByRole("tab", { name: "HTML" }).waitFor();
  await page.getByRole("tab", { name: "Next.js" }).click();
  assert.match(await page.locator("#site-panel pre").textContent(), /next\/script/);
  await page.getByRole("tab", { name: "HTML" }).click();
  await page.locator("#site-panel").getByRole("button", { name: "Copy" }).click();
  await page.getByText("Copied.").waitFor();
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(snippet, /<script src="http:\/\/127\.0\.0\.1:\d+\/embed\.js" data-organization-id="[0-9a-f-]{36}" async><\/script>/);
  await page.getByText("Not seen yet", { exact: false }).waitFor();
  await shot(page, "console-install");

  const shop = await newPage(browser, { width: 1000, height: 700 });
  await shop.goto(host.origins[0] + host.page(snippet));
  await shop.getByRole("button", { name: "Open chat" }).click();
  await eventually(() => shop.frames().find((f) => f.url().includes("organizationId=")), { what: "the widget frame" });

  await page.getByRole("button", { name: "Check again" }).click();
  await page.locator(".seen-on code", { hasText: host.origins[0] }).waitFor();
  await shot(page, "console-install-seen");
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "console-install-dark");
  await page.emulateMedia({ colorScheme: "light" });

  await openSettings(page, "Plan");
  await page.getByText("Subscription:").waitFor();
  await shot(page, "console-plan");
});

test("with an allowed site the widget works there; on another origin the loader does nothing", async () => {
  const [allowed, other] = host.origins;
  const saved = await server.operator("/v1/operator/widget-settings", {
    method: "PUT",
    body: JSON.stringify({ greetMessage: "Hello!", suggestions: [], allowedOrigins: [allowed] }),
  });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  const path = host.page(`<script src="${server.url}/embed.js" data-organization-id="${server.orgId}" async></script>`);

  const good = await newPage(browser, { width: 1000, height: 700 });
  await good.goto(allowed + path);
  await good.getByRole("button", { name: "Open chat" }).click();
  const frame = await eventually(() => good.frames().find((f) => f.url().includes("organizationId=")), { what: "the widget frame" });
  await signIn(frame);

  const bad = await newPage(browser, { width: 1000, height: 700 });
  const warnings = [];
  bad.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await bad.goto(other + path);
  await eventually(() => warnings.find((w) => w.includes("Echo: This organization's chat is not available on this site")), { what: "the loader's warning" });
  assert.equal(await bad.getByRole("button", { name: "Open chat" }).count(), 0, "no launcher");
  assert.equal(await bad.evaluate(() => typeof window.EchoWidget), "undefined");
  // A script on that site calling the API itself is refused too.
  const refused = await bad.evaluate(async ([url, org]) => {
    const r = await fetch(`${url}/v1/contact-sessions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ organizationId: org, name: "Eve", email: "eve@example.com" }),
    });
    return [r.status, (await r.json()).error.code];
  }, [server.url, server.orgId]);
  assert.deepEqual(refused, [403, "ORIGIN_NOT_ALLOWED"]);
});
