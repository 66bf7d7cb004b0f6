// The AI support agent in the real widget and console, against a scripted
// OpenAI-compatible model: the operator fills the knowledge base in the
// console, the visitor's question gets a typing indicator and then the
// assistant's answer live; asking for a human escalates and the console shows
// it. An organization without a subscription gets no AI reply, and its
// console shows the pro features locked with the reason.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startScriptedLlm, launchBrowser, newPage, shot, signIn, signInWithKey, openSettings } from "./helpers.mjs";

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// The model: searches for product questions, answers from what the search
// returned, and escalates when a human is asked for. The answer after a
// search waits a little, as a real model would, so the typing state shows.
async function model(body) {
  const last = body.messages[body.messages.length - 1];
  if (!body.tools) return { content: "Thanks for your patience! Your parcel ships today." };
  if (last.role === "tool") {
    await pause(800);
    const found = last.content.split("\n").slice(1).filter((line) => !line.startsWith("#")).join(" ").trim();
    return { content: last.content.startsWith("No relevant") ? "I have no information about that. Shall I connect you with the team?" : `Good question! ${found}` };
  }
  if (/human|person/i.test(last.content)) return { tool: "escalate_conversation" };
  return { tool: "search_knowledge_base", args: { query: last.content } };
}

let server, browser, llm;
before(async () => {
  llm = await startScriptedLlm(model);
  [server, browser] = await Promise.all([
    startServer({ env: { ECHO_LLM_BASE_URL: llm.baseUrl, ECHO_LLM_MODEL: "scripted-model", ECHO_LLM_TIMEOUT_SECS: "10" } }),
    launchBrowser(),
  ]);
  server.admin("subscription", "set", server.orgId, "active");
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await llm?.close();
});

async function openConsole(key) {
  const page = await newPage(browser, { width: 1100, height: 720 });
  await page.goto(`${server.url}/console/`);
  await signInWithKey(page, key);
  await page.getByRole("tab", { name: "Unresolved", exact: true }).waitFor();
  return page;
}

async function startChat(orgId, name) {
  const widget = await newPage(browser);
  await widget.goto(server.widgetUrl(`organizationId=${orgId}`));
  await signIn(widget, { name, email: "visitor@example.com" });
  await widget.getByRole("button", { name: "Start chat" }).click();
  await widget.locator(".msg.assistant").first().waitFor();
  return widget;
}

async function say(widget, text) {
  const box = widget.getByRole("textbox", { name: "Message", exact: true });
  await box.fill(text);
  await box.press("Enter");
  await widget.locator(".msg.visitor:not(.queued)").getByText(text).waitFor();
}

test("the assistant answers from the knowledge base live, and escalates on request", async () => {
  const consolePage = await openConsole(server.org.operatorKey);
  await openSettings(consolePage, "Knowledge base");
  await consolePage.getByText("No files yet.").waitFor();
  await consolePage.locator('input[type="file"]').setInputFiles({
    name: "returns.md",
    mimeType: "text/markdown",
    buffer: Buffer.from("# Returns\n\nYou can return any item within 30 days for a full refund."),
  });
  await consolePage.getByRole("cell", { name: "returns.md", exact: true }).waitFor();
  await consolePage.getByLabel("Search the knowledge base").fill("refund");
  await consolePage.getByRole("button", { name: "Search" }).click();
  await consolePage.getByRole("list", { name: "Search results" }).getByText("returns.md").waitFor();
  await shot(consolePage, "console-knowledge-base");

  await consolePage.getByRole("button", { name: "Inbox" }).click();
  const widget = await startChat(server.orgId, "Grace Asker");
  const row = consolePage.getByRole("button", { name: /Grace Asker/ });
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  await say(widget, "What is your return policy?");
  await widget.locator(".msg.typing").waitFor({ timeout: 10_000 });
  // The operator watching the conversation sees the assistant at work too.
  await consolePage.getByText("The assistant is writing a reply...").waitFor({ timeout: 10_000 });
  await shot(consolePage, "console-assistant-typing");
  await shot(widget, "widget-assistant-typing");
  const answer = widget.locator(".msg.assistant").getByText("You can return any item within 30 days");
  await answer.waitFor({ timeout: 10_000 });
  await widget.locator(".msg.typing").waitFor({ state: "detached" });
  await shot(widget, "widget-assistant-answer");
  const search = llm.requests.find((r) => r.messages.some((m) => m.role === "tool"));
  assert.ok(search, "the model was given the search result");

  await say(widget, "I'd like to talk to a human please");
  await widget.getByText("I've passed this conversation to our support team").waitFor({ timeout: 10_000 });

  await consolePage.getByText("The assistant is writing a reply...").waitFor({ state: "detached" });
  await consolePage.getByRole("tab", { name: "Escalated", exact: true }).click();
  const escalated = consolePage.getByRole("button", { name: /Grace Asker/ });
  await escalated.waitFor({ timeout: 10_000 });
  await escalated.click();
  await consolePage.locator(".msg.assistant").getByText("You can return any item within 30 days").waitFor();
  await shot(consolePage, "console-escalated-by-assistant");
  assert.deepEqual(widget.errors, []);
  assert.deepEqual(consolePage.errors, []);
});

test("an organization without a subscription gets no AI reply and sees pro features locked", async () => {
  const other = JSON.parse(server.admin("org", "create", "--name", "Free Tier Ltd"));
  const before = llm.requests.length;
  const widget = await startChat(other.organizationId, "Fred Free");
  await say(widget, "Hello, anyone there?");
  // Give a (wrongly) triggered agent time to show itself.
  await pause(1500);
  assert.equal(await widget.locator(".msg.typing").count(), 0);
  assert.equal(await widget.locator(".msg.assistant").count(), 1, "only the greeting");
  assert.equal(llm.requests.length, before, "the model was never called");

  const consolePage = await openConsole(other.operatorKey);
  await consolePage.getByRole("button", { name: /Fred Free/ }).click();
  await consolePage.getByRole("button", { name: "Enhance (Pro)" }).waitFor();
  assert.equal(await consolePage.getByRole("button", { name: "Enhance (Pro)" }).isDisabled(), true);
  await consolePage.getByText("Enhance is a Pro feature: your organization has no active subscription.").waitFor();
  await openSettings(consolePage, "Knowledge base");
  await consolePage.getByText("Upload (Pro)").waitFor();
  assert.equal(await consolePage.locator('input[type="file"][accept*=".pdf"]').isDisabled(), true);
  await consolePage.getByText("Uploading is a Pro feature").waitFor();
  await shot(consolePage, "console-knowledge-base-locked");
});
