// The operator desk in the real console, with the real widget: saved
// replies by `/`, a private note with a mention reaching a teammate live
// (and never the widget), the visitor's context, typing both ways, labels
// and a bulk resolve, search with its matches highlighted, and the
// keyboard. Every screen shot is an axe-core audit too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signIn, eventually, openSettings } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
let server, browser, ada, bob, widget;

function invite(email, role) {
  return server.admin("operator", "invite", server.orgId, "--email", email, "--role", role, "--public-url", server.url).trim();
}

async function operator(email, role, name) {
  const page = await newPage(browser, { width: 1280, height: 800 });
  await page.goto(invite(email, role));
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Join the team" }).click();
  await page.getByText("Live", { exact: true }).waitFor();
  return page;
}

/** A visitor (over the API) with one message. */
async function visitorSays(name, text) {
  const post = (path, body, token) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }).then((r) => r.json());
  const session = await post("/v1/contact-sessions", { organizationId: server.orgId, name, email: `${name.split(" ")[0].toLowerCase()}@example.com` });
  const token = session.contactSessionId;
  const conversation = await post("/v1/conversations", { organizationId: server.orgId }, token);
  await post(`/v1/conversations/${conversation.conversationId}/messages`, { text }, token);
  return conversation.conversationId;
}

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  ada = await operator("ada@example.com", "admin", "Ada Operator");
  bob = await operator("bob@example.com", "agent", "Bob Agent");
  widget = await newPage(browser);
  await widget.goto(server.widgetUrl());
  await signIn(widget, { name: "Vera Visitor", email: "vera@example.com" });
  await widget.getByRole("button", { name: "Start chat" }).click();
  const box = widget.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("My refund for the café order never came");
  await box.press("Enter");
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openVera(page) {
  await page.getByRole("button", { name: "Inbox" }).click();
  await page.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All" }).click();
  await page.getByRole("button", { name: /Vera Visitor/ }).first().click();
  await page.locator(".conversation-head").getByText("Vera Visitor").waitFor();
}

test("a saved reply is inserted by / with its variables filled", async () => {
  await openSettings(ada, "Saved replies");
  await ada.getByLabel("Shortcut (a-z, 0-9, -)").fill("thanks");
  await ada.getByLabel("Title").fill("Thank you");
  await ada.getByLabel("Text (markdown)").fill("Thanks {{visitor.name}}! {{operator.name}} of {{organization.name}} here. {{order.id}}");
  await ada.getByLabel("For the whole team").check();
  await ada.getByRole("button", { name: "Add saved reply" }).click();
  await ada.getByRole("cell", { name: "/thanks" }).waitFor();
  await shot(ada, "console-saved-replies");

  await openVera(ada);
  const reply = ada.getByLabel("Reply", { exact: true });
  await reply.click();
  await reply.pressSequentially("/");
  const list = ada.getByRole("listbox", { name: "Saved replies" });
  await list.waitFor();
  await reply.press("Escape");
  await list.waitFor({ state: "detached" });
  await reply.pressSequentially("tha");
  await list.getByRole("option", { name: /\/thanks/ }).waitFor();
  await shot(ada, "console-canned-popup");
  await reply.press("Enter");
  assert.equal(await reply.inputValue(), "Thanks Vera Visitor! Ada Operator of Acme Outfitters here. {{order.id}}");
  await reply.press("Enter");
  await widget.locator(".msg.operator").getByText("Thanks Vera Visitor!").waitFor({ timeout: 10_000 });
});

test("a note with a mention reaches a teammate live and never the widget", async () => {
  await openVera(ada);
  await ada.getByRole("button", { name: "Private note" }).click();
  const note = ada.getByLabel("Private note", { exact: true });
  await note.click();
  await note.pressSequentially("@bo");
  const team = ada.getByRole("listbox", { name: "Teammates" });
  await team.getByRole("option", { name: "@Bob Agent" }).waitFor();
  await note.press("Enter");
  await note.pressSequentially("please check the refund SECRET-4242");
  assert.equal(await note.inputValue(), "@Bob Agent please check the refund SECRET-4242");
  await note.press("Enter");
  await ada.locator(".msg.note").getByText("SECRET-4242").waitFor();
  await shot(ada, "console-note");

  // Bob hears of it at once: a toast and an unread count.
  await bob.getByText("Ada Operator mentioned you in a note").waitFor({ timeout: 10_000 });
  const mentions = bob.getByRole("button", { name: /Mentions/ });
  await mentions.getByText("1").waitFor();
  await mentions.click();
  const mention = bob.getByRole("button", { name: /Ada Operator mentioned you/ });
  await mention.waitFor();
  await shot(bob, "console-mentions");
  await mention.click();
  await bob.locator(".msg.note.mentions-me").waitFor();
  await mentions.locator(".count").waitFor({ state: "detached", timeout: 10_000 });

  // The widget has the reply, and never the note.
  await widget.getByText("Thanks Vera Visitor!").waitFor();
  assert.equal(await widget.getByText("SECRET-4242").count(), 0);
  await ada.getByRole("button", { name: "Reply", exact: true }).click();
});

test("the context panel reads the visitor; typing shows both ways", async () => {
  await openVera(ada);
  await ada.getByRole("button", { name: "Reply", exact: true }).click();
  const context = ada.locator(".context");
  await context.getByText("vera@example.com").waitFor();
  await context.locator("dt", { hasText: "Browser" }).waitFor();
  assert.match(await context.locator("dd").first().innerText(), /Chrome \d+/);
  await context.locator("dt", { hasText: "Device" }).waitFor();
  await context.locator("dt", { hasText: "Local time" }).waitFor();
  await context.locator("dt", { hasText: "First seen" }).waitFor();

  // The operator types: the widget names them.
  await ada.getByLabel("Reply", { exact: true }).pressSequentially("Let me look");
  await widget.getByText("Ada Operator is typing...").waitFor({ timeout: 10_000 });
  await shot(widget, "widget-operator-typing");
  // The visitor types: the console says so, without the words.
  await widget.getByRole("textbox", { name: "Message", exact: true }).pressSequentially("hello?");
  await ada.getByText("The visitor is typing...").waitFor({ timeout: 10_000 });
  assert.equal(await ada.getByText("hello?").count(), 0);
  await shot(ada, "console-visitor-typing");
  // Sending clears it on the other side.
  await ada.getByLabel("Reply", { exact: true }).press("Enter");
  await widget.getByText("Ada Operator is typing...").waitFor({ state: "detached", timeout: 10_000 });
});

test("labels are set and shown; a bulk resolve takes rows shift-clicked", async () => {
  await openSettings(ada, "Labels");
  await ada.getByLabel("Name", { exact: true }).fill("VIP");
  await ada.getByRole("button", { name: "Add label" }).click();
  await ada.getByRole("textbox", { name: "Name of VIP" }).waitFor();
  await shot(ada, "console-labels");

  await openVera(ada);
  await ada.locator(".picker summary").click();
  await ada.getByRole("group", { name: "Labels" }).getByLabel("VIP").check();
  await ada.locator(".label-bar .chip").getByText("VIP").waitFor();
  await ada.locator(".picker summary").click();
  await ada.locator(".row").filter({ hasText: "Vera Visitor" }).locator(".chip").getByText("VIP").waitFor({ timeout: 10_000 });

  for (const name of ["Walt Whitman", "Xena Warrior", "Yuri Gagarin"]) await visitorSays(name, `Question from ${name}`);
  const rows = ada.locator(".row");
  await eventually(async () => (await rows.count()) >= 4, { what: "four rows" });
  await ada.getByRole("checkbox", { name: "Select Yuri Gagarin" }).click();
  await ada.getByRole("checkbox", { name: "Select Walt Whitman" }).click({ modifiers: ["Shift"] });
  await ada.getByText("3 selected").waitFor();
  await shot(ada, "console-bulk");
  await ada.getByRole("toolbar", { name: "Selected conversations" }).getByRole("button", { name: "Resolve" }).click();
  await ada.getByText("Done for 3 conversations.").waitFor();
  await ada.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "Resolved", exact: true }).click();
  for (const name of ["Walt Whitman", "Xena Warrior", "Yuri Gagarin"]) {
    await ada.getByRole("button", { name: new RegExp(name) }).waitFor({ timeout: 10_000 });
  }
  assert.equal(await ada.getByRole("button", { name: /Vera Visitor/ }).count(), 0);
});

test("search finds accented words and marks them", async () => {
  await ada.getByRole("button", { name: "Inbox" }).click();
  await ada.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All" }).click();
  await ada.getByLabel("Search conversations").fill("cafe");
  const results = ada.getByRole("list", { name: "Search results" });
  await results.locator("mark", { hasText: "café" }).waitFor({ timeout: 10_000 });
  await shot(ada, "console-search");
  await ada.getByLabel("Search conversations").fill("refu");
  await eventually(async () => (await results.locator("mark").count()) >= 2, { what: "two refund hits" });
  await results.getByRole("button").first().click();
  await ada.locator(".conversation-head").getByText(/Vera Visitor|Walt|Xena|Yuri/).waitFor();
  await ada.getByLabel("Search conversations").press("Escape");
  await ada.getByRole("list", { name: "Conversations" }).waitFor();
});

test("the keyboard moves, replies, notes, takes and resolves", async () => {
  await ada.getByRole("button", { name: "Inbox" }).click();
  await ada.getByLabel("Search conversations").fill("");
  await ada.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "Unresolved" }).click();
  for (const name of ["Anna One", "Boris Two"]) await visitorSays(name, `Hello from ${name}`);
  await ada.getByRole("button", { name: /Boris Two/ }).waitFor({ timeout: 10_000 });
  await ada.locator("body").click({ position: { x: 5, y: 300 } });
  await ada.keyboard.press("?");
  const dialog = ada.getByRole("dialog", { name: "Keyboard shortcuts" });
  await dialog.waitFor();
  await shot(ada, "console-shortcuts");
  await ada.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });

  const first = await ada.locator(".row .item").first().innerText();
  await ada.locator("body").click({ position: { x: 5, y: 300 } });
  await ada.keyboard.press("j");
  await ada.locator(".conversation-head h2").waitFor();
  const opened = await ada.locator(".conversation-head h2").innerText();
  assert.ok(first.includes(opened), `${opened} is the first row`);
  await ada.keyboard.press("j");
  await eventually(async () => (await ada.locator(".conversation-head h2").innerText()) !== opened, { what: "the next conversation" });
  await ada.keyboard.press("k");
  await eventually(async () => (await ada.locator(".conversation-head h2").innerText()) === opened, { what: "back to the first" });

  await ada.keyboard.press("a");
  await ada.locator(".assignment").getByText("Assigned to you").waitFor();
  await ada.keyboard.press("n");
  assert.equal(await ada.evaluate(() => document.activeElement.id), "reply");
  await ada.getByRole("button", { name: "Private note" }).and(ada.locator("[aria-pressed=true]")).waitFor();
  await ada.keyboard.press("Escape");
  await ada.locator("body").click({ position: { x: 5, y: 300 } });
  await ada.keyboard.press("r");
  await ada.getByRole("button", { name: "Reply", exact: true }).and(ada.locator("[aria-pressed=true]")).waitFor();
  await ada.locator("body").click({ position: { x: 5, y: 300 } });
  await ada.keyboard.press("e");
  await ada.locator(".conversation-head .badge.resolved").waitFor({ timeout: 10_000 });
  await ada.emulateMedia({ colorScheme: "dark" });
  await shot(ada, "console-desk-dark");
  await ada.emulateMedia({ colorScheme: "light" });

  for (const page of [ada, bob, widget]) assert.deepEqual(page.errors, []);
});
