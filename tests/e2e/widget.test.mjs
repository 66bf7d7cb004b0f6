// The widget's screens, in real Chromium against the real server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer, launchBrowser, newPage, shot, signIn, sessionToken, api,
  currentConversationId, eventually,
} from "./helpers.mjs";

let server, browser;
before(async () => {
  // One test fills a conversation with 45 messages through the API: that
  // volume is set-up, not a visitor, so the message limit is raised here.
  [server, browser] = await Promise.all([
    startServer({ env: { ECHO_LIMIT_MESSAGES_PER_MINUTE: "1000" } }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openChat(page) {
  await page.goto(server.widgetUrl());
  await signIn(page);
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByRole("log", { name: "Messages" }).getByText("Hello! How can we help?").waitFor();
  const token = await sessionToken(page, server.orgId);
  return { token, conversationId: await currentConversationId(server, token) };
}

test("missing organization ID shows an error with a retry", async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/`);
  await page.getByText("Organization ID is required").waitFor();
  await page.getByRole("button", { name: "Try again" }).waitFor();
  await shot(page, "error-missing-organization");
  assert.deepEqual(page.errors, []);
});

test("unknown organization says so", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl("organizationId=67e55044-10b1-426f-9247-bb680e5fe0c8"));
  await page.getByText("This organization was not found").waitFor();
  await shot(page, "error-unknown-organization");
});

test("auth shows validation errors inline and stores nothing", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByText("Name is required").waitFor();
  await page.getByText("Email is required").waitFor();
  await page.getByLabel("Name").fill("Ada");
  await page.getByLabel("Email").fill("ada@nowhere");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByText("Email must be a valid email address").waitFor();
  assert.equal(await page.getByText("Name is required").count(), 0);
  assert.equal(await page.getByLabel("Email").getAttribute("aria-invalid"), "true");
  await shot(page, "auth-validation");
  assert.equal(await sessionToken(page, server.orgId), null);
});

test("auth leads to selection, and a reload keeps the session", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await shot(page, "auth");
  await signIn(page);
  await shot(page, "selection");
  const token = await sessionToken(page, server.orgId);
  assert.match(token, /^cs_[A-Za-z0-9_-]{43}$/);
  const current = await api(server, token, "/v1/contact-sessions/current");
  assert.equal(current.body.name, "Ada Lovelace");
  await page.reload();
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  assert.equal(await page.getByLabel("Name").count(), 0);
});

test("chat: greeting and chips, sending, live operator reply, escalation, resolution", async () => {
  const page = await newPage(browser);
  const { token, conversationId } = await openChat(page);
  await page.getByRole("button", { name: "Pricing" }).waitFor();
  await page.getByRole("button", { name: "Shipping" }).waitFor();
  await shot(page, "chat-greeting");

  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("First line");
  await box.press("Shift+Enter");
  await box.pressSequentially("second line");
  await box.press("Enter");
  const mine = page.locator(".msg.visitor .bubble");
  await mine.first().waitFor();
  assert.equal(await mine.first().innerText(), "First line\nsecond line");
  // The message can arrive on the push channel before the send's answer,
  // which is what clears the draft.
  await eventually(async () => (await box.inputValue()) === "", { what: "the draft to clear" });
  assert.equal(await page.getByRole("button", { name: "Pricing" }).count(), 0, "chips go once the visitor writes");
  const stored = await api(server, token, `/v1/conversations/${conversationId}/messages`);
  assert.equal(stored.body.messages.at(-1).text, "First line\nsecond line");
  // The browser's report, as the widget writes it, reaches the team.
  const { body: seen } = await server.operator(`/v1/operator/conversations/${conversationId}`);
  const metadata = seen.visitor.metadata;
  assert.match(metadata.userAgent, /Chrome/);
  assert.deepEqual([metadata.viewportWidth, metadata.viewportHeight], [400, 640]);
  assert.equal(typeof metadata.timezone, "string");
  assert.equal(metadata.currentUrl, server.widgetUrl());
  assert.ok(metadata.languages.length > 0);

  assert.equal((await server.reply(conversationId, "Hi Ada, **Sam** from support here.")).status, 201);
  const reply = page.locator(".msg.operator");
  await reply.waitFor({ timeout: 10_000 });
  assert.equal(await reply.locator("strong").innerText(), "Sam");
  const escalated = await api(server, token, `/v1/conversations/${conversationId}`);
  assert.equal(escalated.body.status, "escalated");
  await shot(page, "chat-operator-reply");

  assert.equal((await server.setStatus(conversationId, "resolved")).status, 200);
  await page.getByText("This conversation has been resolved.").waitFor({ timeout: 10_000 });
  assert.equal(await box.isDisabled(), true);
  await shot(page, "chat-resolved");
  assert.deepEqual(page.errors, []);
});

test("a suggestion chip sends its text", async () => {
  const page = await newPage(browser);
  await openChat(page);
  await page.getByRole("button", { name: "Shipping" }).click();
  await page.locator(".msg.visitor:not(.queued)").getByText("Shipping").waitFor();
  await shot(page, "chat-chip-sent");
});

test("a failed send keeps the text and offers retry", async () => {
  const page = await newPage(browser);
  await openChat(page);
  await page.route("**/messages", (route) =>
    route.request().method() === "POST" ? route.abort() : route.continue());
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("Is anyone there?");
  await box.press("Enter");
  await page.getByRole("button", { name: "Retry" }).waitFor();
  assert.equal(await box.inputValue(), "Is anyone there?");
  await shot(page, "chat-send-failed");
  await page.unroute("**/messages");
  await page.getByRole("button", { name: "Retry" }).click();
  await page.locator(".msg.visitor:not(.queued)").getByText("Is anyone there?").waitFor();
  assert.equal(await page.locator(".msg.visitor:not(.queued)").count(), 1);
});

test("text typed while a send is on its way stays, and Enter pressed meanwhile sends it next", async () => {
  const page = await newPage(browser);
  await openChat(page);
  // The first send is held until the visitor has typed on and pressed Enter.
  let arrived, release;
  const posted = new Promise((resolve) => (arrived = resolve));
  const held = new Promise((resolve) => (release = resolve));
  await page.route("**/messages", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    arrived();
    await held;
    await route.continue();
  });
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("first");
  await box.press("Enter");
  await posted;
  await box.press("End");
  await box.pressSequentially(" and second");
  await box.press("Enter");
  await shot(page, "chat-typed-while-sending");
  release();
  const sent = page.locator(".msg.visitor:not(.queued)");
  await sent.getByText("first", { exact: true }).waitFor();
  await sent.getByText("and second", { exact: true }).waitFor();
  await eventually(async () => (await box.inputValue()) === "", { what: "the box emptied after both sends" });
  assert.equal(await sent.count(), 2);
  assert.deepEqual(page.errors, []);
});

test("back goes to selection; the inbox lists and reopens the conversation", async () => {
  const page = await newPage(browser);
  await openChat(page);
  await page.getByRole("textbox", { name: "Message", exact: true }).fill("Where is order 1042?");
  await page.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
  await page.locator(".msg.visitor:not(.queued)").waitFor();
  await page.getByRole("button", { name: "Back" }).click();
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  await page.getByRole("button", { name: "My conversations" }).click();
  const row = page.getByRole("button", { name: /Where is order 1042\?/ });
  await row.waitFor();
  assert.match(await row.innerText(), /Open/);
  assert.match(await row.innerText(), /\bnow\b/);
  await shot(page, "inbox");
  await row.click();
  await page.locator(".msg.visitor:not(.queued)").getByText("Where is order 1042?").waitFor();
});

test("older messages load when the top scrolls into view", async () => {
  const page = await newPage(browser);
  const { token, conversationId } = await openChat(page);
  for (let i = 1; i <= 45; i++) {
    const sent = await api(server, token, `/v1/conversations/${conversationId}/messages`, {
      method: "POST",
      body: JSON.stringify({ text: `history ${i}` }),
    });
    assert.equal(sent.status, 201);
  }
  await page.reload();
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  await page.getByRole("button", { name: "My conversations" }).click();
  await page.getByRole("button", { name: /history 45/ }).click();
  await page.locator(".msg").getByText("history 45", { exact: true }).waitFor();
  const first = page.locator(".msg").getByText("Hello! How can we help?");
  assert.equal(await first.count(), 0, "only the newest page at first");
  await eventually(async () => {
    await page.locator(".messages").evaluate((el) => { el.scrollTop = 0; });
    return (await first.count()) === 1;
  }, { what: "the greeting, 46 messages back" });
  assert.equal(await page.locator(".msg").count(), 46);
  await shot(page, "chat-history-top");
});

test("message markup renders inert; markdown links open safely", async () => {
  const page = await newPage(browser);
  const { conversationId } = await openChat(page);
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill('<img src=x onerror="window.__pwned=1">');
  await box.press("Enter");
  await server.reply(conversationId,
    'See [our help centre](https://example.com/help) or [this](javascript:window.__pwned=2).\n\n<img src=x onerror="window.__pwned=3"><script>window.__pwned=4</script>');
  await page.locator(".msg.operator").waitFor({ timeout: 10_000 });
  assert.equal(await page.locator(".messages img, .messages script").count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const link = page.locator(".msg.operator a");
  assert.equal(await link.count(), 1);
  assert.equal(await link.getAttribute("href"), "https://example.com/help");
  assert.equal(await link.getAttribute("target"), "_blank");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  await page.locator(".msg.visitor:not(.queued)").getByText('<img src=x onerror="window.__pwned=1">').waitFor();
  await shot(page, "chat-inert-markup");
});

test("at 320 px nothing scrolls sideways", async () => {
  const page = await newPage(browser, { width: 320, height: 568 });
  const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await page.goto(server.widgetUrl());
  await page.getByLabel("Name").waitFor();
  assert.ok(await noSideScroll(), "auth");
  await shot(page, "auth-320");
  await signIn(page);
  assert.ok(await noSideScroll(), "selection");
  await page.getByRole("button", { name: "Start chat" }).click();
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("x".repeat(300));
  await box.press("Enter");
  await page.locator(".msg.visitor:not(.queued)").waitFor();
  assert.ok(await noSideScroll(), "chat with a long unbroken message");
  const fontSize = await box.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(fontSize >= 16, `input font ${fontSize}px`);
  await shot(page, "chat-320");
});

test("dark mode follows the system", async () => {
  const page = await newPage(browser);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(server.widgetUrl());
  await page.getByLabel("Name").waitFor();
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(21, 22, 28)");
  await shot(page, "auth-dark");
});
