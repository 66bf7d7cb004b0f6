// The push channel in the browser: replies arrive live, a server restart is
// survived with nothing lost or doubled, what is typed offline is sent once,
// and a closed widget counts unread replies on the launcher.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer, launchBrowser, newPage, shot, signIn, sessionToken, api, currentConversationId,
  eventually, signInWithKey } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a server restart mid-conversation: both sides catch up, nothing doubled", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await signIn(page);
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByText("Hello! How can we help?").waitFor();
  const token = await sessionToken(page, server.orgId);
  const conversationId = await currentConversationId(server, token);

  await server.reply(conversationId, "Before the restart");
  await page.locator(".msg.operator").getByText("Before the restart").waitFor();

  // The operator console has the conversation open through the restart too.
  const consolePage = await newPage(browser, { width: 1100, height: 720 });
  await consolePage.goto(`${server.url}/console/`);
  await signInWithKey(consolePage, server.org.operatorKey);
  await consolePage.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All", exact: true }).click();
  await consolePage.getByRole("button", { name: /Ada Lovelace/ }).first().click();
  await consolePage.locator(".msg.operator").getByText("Before the restart").waitFor();

  await server.halt();
  await page.getByText("Reconnecting...").waitFor({ timeout: 10_000 });
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("Typed while offline");
  await box.press("Enter");
  await page.locator(".msg.queued").getByText("Typed while offline").waitFor();
  await shot(page, "chat-offline-queued");

  await server.resume();
  // Posted while the widget is still backing off: it must come by resume.
  await server.reply(conversationId, "Missed while you were away");
  await page.locator(".msg.operator").getByText("Missed while you were away").waitFor({ timeout: 20_000 });
  await page.locator(".msg.visitor:not(.queued)").getByText("Typed while offline").waitFor({ timeout: 20_000 });
  await eventually(async () => (await page.getByText("Reconnecting...").count()) === 0, { what: "live again" });

  const stored = await api(server, token, `/v1/conversations/${conversationId}/messages`);
  // The queued message goes out when the widget is back, which may be after
  // the operator's reply: each must be stored exactly once, in either order.
  const texts = stored.body.messages.map((m) => m.text);
  assert.deepEqual([...texts].sort(), [
    "Before the restart",
    "Hello! How can we help?",
    "Missed while you were away",
    "Typed while offline",
  ]);
  for (const text of texts) {
    assert.equal(await page.locator(".msg .bubble").getByText(text, { exact: true }).count(), 1, text);
  }
  assert.equal(await page.locator(".msg.queued").count(), 0);
  await shot(page, "chat-after-restart");

  // The console caught up as well, each message once.
  await consolePage.locator(".msg.visitor:not(.queued)").getByText("Typed while offline").waitFor({ timeout: 20_000 });
  await consolePage.locator(".msg.operator").getByText("Missed while you were away").waitFor({ timeout: 20_000 });
  await consolePage.getByText("Live", { exact: true }).waitFor({ timeout: 20_000 });
  for (const text of texts) {
    assert.equal(await consolePage.locator(".messages p").getByText(text, { exact: true }).count(), 1, `console: ${text}`);
  }
  await shot(consolePage, "console-after-restart");
});

test("a closed widget shows unread replies on the launcher", async () => {
  const page = await newPage(browser, { width: 1200, height: 800 });
  await page.goto(`${server.url}/demo.html?organizationId=${server.orgId}`);
  await page.getByRole("button", { name: "Open chat" }).click();
  const frame = page.frameLocator('iframe[title="Chat"]');
  await frame.getByLabel("Name").fill("Grace Hopper");
  await frame.getByLabel("Email").fill("grace@example.com");
  await frame.getByRole("button", { name: "Continue" }).click();
  await frame.getByRole("button", { name: "Start chat" }).click();
  await frame.getByText("Hello! How can we help?").waitFor();
  const token = await sessionToken(page, server.orgId);
  const conversationId = await currentConversationId(server, token);

  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  await server.reply(conversationId, "Are you still there?");
  await server.reply(conversationId, "We found your order.");
  const launcher = page.getByRole("button", { name: "Open chat, 2 unread" });
  await launcher.waitFor({ timeout: 10_000 });
  await shot(page, "demo-unread");

  await launcher.click();
  await frame.getByText("We found your order.").waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Open chat", exact: true }).waitFor();
});

test("events pruned while the widget was away: it reloads instead of missing them", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await signIn(page, { name: "Pat Away", email: "pat@example.com" });
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByText("Hello! How can we help?").waitFor();
  const token = await sessionToken(page, server.orgId);
  const conversationId = await currentConversationId(server, token);
  await server.reply(conversationId, "Seen live");
  await page.locator(".msg.operator").getByText("Seen live").waitFor();

  await server.halt();
  await page.getByText("Reconnecting...").waitFor({ timeout: 10_000 });
  // While the server is down: a reply is stored, then the whole event log is
  // pruned, so the widget's resume point is older than anything kept.
  server.admin("conversation", "add-message", conversationId, "--role", "operator", "--text", "Written while you were away");
  server.admin("events", "prune", "--older-than-hours", "0");
  await server.resume();

  await page.locator(".msg.operator").getByText("Written while you were away").waitFor({ timeout: 20_000 });
  await eventually(async () => (await page.getByText("Reconnecting...").count()) === 0, { what: "live again" });
  // And it is live again from the new position.
  await server.reply(conversationId, "Live after the reset");
  await page.locator(".msg.operator").getByText("Live after the reset").waitFor();
  assert.equal(await page.locator(".msg.operator").getByText("Written while you were away").count(), 1);
  assert.deepEqual(page.errors, []);
});
