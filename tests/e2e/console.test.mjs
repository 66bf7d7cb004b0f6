// The operator console against the widget, both live: the visitor writes and
// the console shows it; the operator replies and the widget shows it; the
// operator resolves and the widget closes its input.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signIn, sessionToken, api, currentConversationId, signInWithKey, hold } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openConsole() {
  const page = await newPage(browser, { width: 1100, height: 720 });
  await page.goto(`${server.url}/console/`);
  await signInWithKey(page, server.org.operatorKey);
  await page.getByRole("tab", { name: "Unresolved", exact: true }).waitFor();
  await page.getByText("Live", { exact: true }).waitFor();
  return page;
}

test("sign-in refuses a wrong key and keeps the right one for the tab's session", async () => {
  const page = await newPage(browser, { width: 1100, height: 720 });
  await page.goto(`${server.url}/console/`);
  await signInWithKey(page, "ok_not-a-real-key");
  await page.getByText("That key was not accepted.").waitFor();
  await shot(page, "console-sign-in-key");
  await page.getByLabel("API key").fill(server.org.operatorKey);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All", exact: true }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("echo_operator_key")), server.org.operatorKey);
  await page.reload();
  await page.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All", exact: true }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email").waitFor();
});

/**
 * Opens the console's sign-in page with the server's answer about sign-up
 * held back until `typing` is done, then lets it land (the page has drawn
 * twice since its body arrived).
 */
async function typeBeforeSetupAnswer(typing) {
  const page = await newPage(browser, { width: 1100, height: 720 });
  const release = await hold(page, "**/v1/auth/setup", "GET");
  await page.goto(`${server.url}/console/`);
  await typing(page);
  const answered = page.waitForResponse("**/v1/auth/setup");
  release();
  await (await answered).finished();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page;
}

test("what is typed on the sign-in page survives the server's late answer about sign-up", async () => {
  // On a slow network the sign-in page's question (is the server empty,
  // open to sign-up?) is answered after typing has begun.
  const page = await typeBeforeSetupAnswer((p) => p.getByLabel("Email").fill("someone@example.com"));
  assert.equal(await page.getByLabel("Email").inputValue(), "someone@example.com");

  const keyPage = await typeBeforeSetupAnswer(async (p) => {
    await p.getByRole("button", { name: "Use an API key instead" }).click();
    await p.getByLabel("API key").fill(server.org.operatorKey);
  });
  await keyPage.getByRole("button", { name: "Sign in", exact: true }).click();
  await keyPage.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All", exact: true }).waitFor();
});

test("visitor and operator talk live; escalation and resolution reach the widget", async () => {
  const consolePage = await openConsole();
  const widget = await newPage(browser);
  await widget.goto(server.widgetUrl());
  await signIn(widget, { name: "Linus Visitor", email: "linus@example.com" });
  await widget.getByRole("button", { name: "Start chat" }).click();
  await widget.getByText("Hello! How can we help?").waitFor();
  const box = widget.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("My parcel never arrived");
  await box.press("Enter");

  // The console's inbox shows it without a reload.
  const row = consolePage.getByRole("button", { name: /Linus Visitor/ });
  await row.waitFor({ timeout: 10_000 });
  await consolePage.getByRole("button", { name: /My parcel never arrived/ }).waitFor({ timeout: 10_000 });
  await shot(consolePage, "console-inbox");
  await row.click();
  await consolePage.locator(".context").getByText("linus@example.com").waitFor();
  await consolePage.locator(".msg.visitor:not(.queued)").getByText("My parcel never arrived").waitFor();

  // A second visitor message arrives in the open conversation live.
  await box.fill("Order 1042");
  await box.press("Enter");
  await consolePage.locator(".msg.visitor:not(.queued)").getByText("Order 1042").waitFor({ timeout: 10_000 });

  // The operator replies: the widget shows it, the conversation is escalated.
  await consolePage.getByLabel("Reply").fill("Sorry about that! Checking now.");
  await consolePage.getByLabel("Reply").press("Enter");
  await widget.locator(".msg.operator").getByText("Sorry about that! Checking now.").waitFor({ timeout: 10_000 });
  await consolePage.locator(".conversation-head .badge.escalated").waitFor({ timeout: 10_000 });
  const token = await sessionToken(widget, server.orgId);
  const conversationId = await currentConversationId(server, token);
  assert.equal((await api(server, token, `/v1/conversations/${conversationId}`)).body.status, "escalated");
  await shot(consolePage, "console-conversation");

  // Resolve: the widget closes its input; the console offers Reopen.
  await consolePage.getByRole("button", { name: "Resolve" }).click();
  await widget.getByText("This conversation has been resolved.").waitFor({ timeout: 10_000 });
  assert.equal(await box.isDisabled(), true);
  await consolePage.getByRole("button", { name: "Reopen" }).waitFor();
  assert.equal(await consolePage.getByLabel("Reply").isDisabled(), true);
  await shot(consolePage, "console-resolved");
  await consolePage.getByRole("tab", { name: "Resolved", exact: true }).click();
  await consolePage.getByRole("button", { name: /Linus Visitor/ }).waitFor();

  await consolePage.getByRole("button", { name: "Reopen" }).click();
  await widget.getByText("This conversation has been resolved.").waitFor({ state: "detached", timeout: 10_000 });
  assert.equal(await box.isDisabled(), false);
  assert.deepEqual(consolePage.errors, []);
});

test("an error is shown as a toast", async () => {
  const page = await openConsole();
  await page.route("**/v1/operator/conversations?*", (route) => route.fulfill({
    status: 500,
    contentType: "application/json",
    body: JSON.stringify({ error: { code: "INTERNAL", message: "Something went wrong on our side" } }),
  }));
  await page.getByRole("tab", { name: "Escalated" }).click();
  await page.locator(".toast").getByText("Something went wrong on our side").waitFor();
  await shot(page, "console-toast");
});

test("enhance is shown locked, with the reason, when the plan or the server lacks it", async () => {
  const page = await openConsole();
  const widget = await newPage(browser);
  await widget.goto(server.widgetUrl());
  await signIn(widget, { name: "Pro Prospect", email: "pro@example.com" });
  await widget.getByRole("button", { name: "Start chat" }).click();
  await widget.getByText("Hello! How can we help?").waitFor();
  await page.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All", exact: true }).click();
  await page.getByRole("button", { name: /Pro Prospect/ }).first().click();
  const button = page.getByRole("button", { name: "Enhance (Pro)" });
  await button.waitFor();
  assert.equal(await button.isDisabled(), true);
  await page.getByText("Enhance is a Pro feature: your organization has no active subscription.").waitFor();
  await shot(page, "console-enhance-locked");

  server.admin("subscription", "set", server.orgId, "active");
  await page.reload();
  await page.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All", exact: true }).click();
  await page.getByRole("button", { name: /Pro Prospect/ }).first().click();
  await page.getByText("No language model is configured on this server.").waitFor();
  server.admin("subscription", "set", server.orgId, "inactive");
});
