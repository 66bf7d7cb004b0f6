// Team accounts in the real console and widget: an invitation made by the
// CLI is accepted in the console, the operator assigns a visitor's
// conversation to herself and replies, the widget shows her name; she
// invites a teammate from the Team page, who (in another browser context)
// sees an assignment change live; API keys are created and deleted; an
// operator in two organizations switches between them; sign-out and
// sign-in with the password.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signIn, openSettings } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function invite(email, role, org = server.orgId) {
  return server.admin("operator", "invite", org, "--email", email, "--role", role, "--public-url", server.url).trim();
}

async function accept(page, url, name) {
  await page.goto(url);
  await page.getByRole("heading", { name: "Join your team on Echo" }).waitFor();
  if (name) await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Join the team" }).click();
}

test("invite, accept, assign to me, reply by name; a teammate sees assignment live", async () => {
  const url = invite("ada@example.com", "admin");
  assert.match(url, /\/console\/#token=inv_/);
  const ada = await newPage(browser, { width: 1200, height: 760 });
  await ada.goto(url);
  await ada.getByRole("heading", { name: "Join your team on Echo" }).waitFor();
  await shot(ada, "console-accept-invitation");
  await accept(ada, url, "Ada Operator");
  await ada.getByRole("tablist", { name: "Assignee" }).getByRole("tab", { name: "Mine" }).waitFor();
  await ada.getByText("Live", { exact: true }).waitFor();
  assert.equal(new URL(ada.url()).hash, "", "the token left the address bar");
  assert.equal(await ada.evaluate(() => document.cookie), "", "the session cookie is HttpOnly");

  // A visitor writes; Ada takes the conversation and answers.
  const widget = await newPage(browser);
  await widget.goto(server.widgetUrl());
  await signIn(widget, { name: "Vera Visitor", email: "vera@example.com" });
  await widget.getByRole("button", { name: "Start chat" }).click();
  const box = widget.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("Where is my order?");
  await box.press("Enter");
  await ada.getByRole("tablist", { name: "Assignee" }).getByRole("tab", { name: "Unassigned" }).click();
  const row = ada.getByRole("button", { name: /Vera Visitor/ });
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  await ada.locator(".assignment").getByText("Unassigned", { exact: true }).waitFor();
  await ada.getByRole("button", { name: "Assign to me" }).click();
  await ada.locator(".assignment").getByText("Assigned to you").waitFor();
  // It leaves the Unassigned view live and shows under Mine.
  await row.waitFor({ state: "detached", timeout: 10_000 });
  await ada.getByRole("tablist", { name: "Assignee" }).getByRole("tab", { name: "Mine" }).click();
  await ada.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All" }).click();
  await ada.getByRole("button", { name: /Vera Visitor/ }).click();
  await ada.getByLabel("Reply").fill("Hi Vera, I'm on it.");
  await ada.getByLabel("Reply").press("Enter");
  await ada.locator(".msg.operator .who").getByText("You").waitFor();
  await shot(ada, "console-conversation-assigned");

  const reply = widget.locator(".msg.operator").filter({ hasText: "Hi Vera, I'm on it." });
  await reply.waitFor({ timeout: 10_000 });
  await reply.locator(".sender").getByText("Ada Operator").waitFor();
  assert.equal(await reply.locator(".sender").getAttribute("data-initial"), "A");
  await shot(widget, "widget-operator-name");

  // A reply being written stays while the visitor's next message arrives.
  await ada.getByLabel("Reply").fill("A draft in progress");
  await box.fill("One more thing");
  await box.press("Enter");
  await ada.locator(".msg.visitor").getByText("One more thing").waitFor();
  assert.equal(await ada.getByLabel("Reply").inputValue(), "A draft in progress");
  await ada.getByLabel("Reply").fill("");

  // Ada invites Bob from the Team page and copies the link.
  await openSettings(ada, "Team");
  await ada.getByLabel("Email").fill("bob@example.com");
  await ada.getByRole("button", { name: "Invite" }).click();
  const link = await ada.getByLabel("Invitation link").inputValue();
  assert.match(link, /#token=inv_/);
  await ada.getByRole("cell", { name: "Ada Operator (you)" }).waitFor();
  await shot(ada, "console-team");

  const bob = await newPage(browser, { width: 1200, height: 760 });
  await accept(bob, link, "Bob Agent");
  await bob.getByText("Live", { exact: true }).waitFor();
  // An agent sees only the inbox.
  await bob.getByRole("button", { name: "Settings" }).click();
  assert.equal(await bob.locator("#settings-menu").getByRole("button", { name: "Team" }).count(), 0);
  await bob.getByRole("button", { name: "Settings" }).click();
  await bob.getByRole("tablist", { name: "Assignee" }).getByRole("tab", { name: "All" }).click();
  await bob.getByRole("tablist", { name: "Status" }).getByRole("tab", { name: "All" }).click();
  await bob.getByRole("button", { name: /Vera Visitor/ }).click();
  await bob.locator(".assignment").getByText("Assigned to Ada Operator").waitFor();
  await bob.locator(".msg.operator .who").getByText("Ada Operator").waitFor();

  // Ada hands it to Bob; Bob's console shows it without a reload.
  await ada.getByRole("button", { name: "Inbox" }).click();
  await ada.getByRole("button", { name: /Vera Visitor/ }).click();
  await ada.getByLabel("Assign to").selectOption({ label: "Bob Agent" });
  await bob.locator(".assignment").getByText("Assigned to you").waitFor({ timeout: 10_000 });
  await bob.getByRole("tablist", { name: "Assignee" }).getByRole("tab", { name: "Mine" }).click();
  await bob.getByRole("button", { name: /Vera Visitor/ }).waitFor();
  await shot(bob, "console-agent-assigned-live");
  await ada.emulateMedia({ colorScheme: "dark" });
  await shot(ada, "console-conversation-assigned-dark");

  for (const page of [ada, bob, widget]) assert.deepEqual(page.errors, []);
});

test("API keys are created once-visible and deleted; operators switch organizations and sign in again", async () => {
  const page = await newPage(browser, { width: 1200, height: 760 });
  await accept(page, invite("carol@example.com", "admin"), "Carol Admin");
  await page.getByText("Live", { exact: true }).waitFor();

  await openSettings(page, "API keys");
  await page.getByRole("cell", { name: "Default" }).waitFor();
  await page.getByLabel("Key name").fill("Zapier");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = await page.getByLabel("New API key").inputValue();
  assert.match(key, /^ok_/);
  const works = await fetch(`${server.url}/v1/operator/organization`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(works.status, 200);
  await shot(page, "console-api-keys");
  const zapier = page.getByRole("row", { name: /Zapier/ });
  await zapier.getByRole("button", { name: "Delete" }).click();
  await zapier.getByRole("button", { name: "Confirm deletion" }).click();
  await zapier.waitFor({ state: "detached" });
  const stopped = await fetch(`${server.url}/v1/operator/organization`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(stopped.status, 401);

  // A second organization: Carol joins with her existing password and can switch.
  const globex = JSON.parse(server.admin("org", "create", "--name", "Globex", "--owner-email", "carol@example.com", "--public-url", server.url));
  assert.match(globex.ownerInvitationUrl, /#token=inv_/);
  await accept(page, globex.ownerInvitationUrl, null);
  const switcher = page.getByLabel("Organization");
  await switcher.waitFor();
  assert.equal(await switcher.inputValue(), globex.organizationId);
  await shot(page, "console-organization-switcher");
  await switcher.selectOption({ label: "Acme Outfitters" });
  await page.getByText("Live", { exact: true }).waitFor();
  assert.equal(await page.getByLabel("Organization").inputValue(), server.orgId);

  // Sign out ends the session; signing in with two organizations asks which.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email").waitFor();
  await page.reload();
  await page.getByLabel("Email").waitFor();
  await page.getByLabel("Email").fill("carol@example.com");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText("Wrong email or password").waitFor();
  await shot(page, "console-sign-in");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Choose an organization" }).waitFor();
  await shot(page, "console-choose-organization");
  await page.getByRole("button", { name: /Globex/ }).click();
  await page.getByText("Live", { exact: true }).waitFor();
  assert.equal(await page.getByLabel("Organization").inputValue(), globex.organizationId);
  assert.deepEqual(page.errors, []);
});
