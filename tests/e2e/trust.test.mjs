// Two-factor sign-in in the real console: an admin sets it up from the
// Security page with a code computed from the secret it shows, signs out,
// signs in with a code from the "app", then with a recovery code, and sees
// both in the organization's audit log. Every new screen passes axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startServer, launchBrowser, newPage, shot, openSettings } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** RFC 4648 base32 to bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** What an authenticator app shows (RFC 6238: SHA-1, 6 digits, 30 s), `ahead` steps from now. */
function totp(secret, ahead = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + ahead;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

async function signInWithPassword(page) {
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Two-factor sign-in" }).waitFor();
}

test("set up two-factor sign-in, then sign in with a code and with a recovery code", async () => {
  const url = server.admin("operator", "invite", server.orgId, "--email", "ada@example.com", "--role", "admin", "--public-url", server.url).trim();
  const page = await newPage(browser, { width: 1200, height: 800 });
  await page.goto(url);
  await page.getByLabel("Your name").fill("Ada Admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Join the team" }).click();
  await page.getByText("Live", { exact: true }).waitFor();

  await openSettings(page, "Two-factor sign-in");
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const qr = page.getByRole("img", { name: "QR code to add Echo to an authenticator app" });
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "the QR code is drawn");
  const secret = await page.locator("code.secret").getAttribute("data-secret");
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await shot(page, "console-two-factor-setup");
  await page.getByLabel("Code from the app").fill("000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.locator("#first-code-error").filter({ hasText: /not valid/ }).waitFor();
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).locator("code");
  await codes.first().waitFor();
  const recovery = await codes.allTextContents();
  assert.equal(recovery.length, 10);
  await shot(page, "console-two-factor-recovery-codes");
  await page.getByRole("button", { name: "I saved them" }).click();
  await page.getByText("On: signing in asks for a code").waitFor();

  // Signing in now asks for a code. The code that turned it on is spent, so
  // the app's next one (accepted a step early) signs in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword(page);
  await shot(page, "console-two-factor-sign-in");
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "console-two-factor-sign-in-dark");
  await page.emulateMedia({ colorScheme: "light" });
  await page.getByLabel("Code", { exact: true }).fill(totp(secret, 1));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText("Live", { exact: true }).waitFor();

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword(page);
  await page.getByRole("button", { name: "Use a recovery code" }).click();
  await page.getByLabel("Recovery code").fill(recovery[0]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText("Live", { exact: true }).waitFor();

  await openSettings(page, "Security and audit log");
  const log = page.getByRole("table", { name: "Audit log" });
  await log.getByText("Used a recovery code").waitFor();
  await log.getByText("Turned two-factor sign-in on").waitFor();
  await shot(page, "console-audit-log");

  // A visitor asks to be forgotten: the erase asks to type the address.
  const session = await (await fetch(`${server.url}/v1/contact-sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ organizationId: server.orgId, name: "Vera", email: "vera@example.com", metadata: {} }),
  })).json();
  const started = await fetch(`${server.url}/v1/conversations`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${session.contactSessionId}` },
    body: JSON.stringify({ organizationId: server.orgId }),
  });
  assert.equal(started.status, 201);
  await page.getByLabel("Email", { exact: true }).fill("vera@example.com");
  await page.getByRole("button", { name: "Erase..." }).click();
  const confirm = page.getByLabel(/cannot be undone/);
  await confirm.fill("vera@example.co");
  assert.ok(await page.getByRole("button", { name: "Erase everything" }).isDisabled(), "only once typed again");
  await confirm.fill("vera@example.com");
  await shot(page, "console-erase-visitor");
  await page.getByRole("button", { name: "Erase everything" }).click();
  await page.getByText("Erased 1 conversations").waitFor();

  // Requiring a second factor sends a member without one to set it up first.
  await page.getByLabel("Require two-factor sign-in for every member").check();
  await page.getByText("Saved.").waitFor();
  const bobUrl = server.admin("operator", "invite", server.orgId, "--email", "bob@example.com", "--role", "agent", "--public-url", server.url).trim();
  const bob = await newPage(browser, { width: 900, height: 900 });
  await bob.goto(bobUrl);
  await bob.getByLabel("Your name").fill("Bob Agent");
  await bob.getByLabel("Password").fill(PASSWORD);
  await bob.getByRole("button", { name: "Join the team" }).click();
  await bob.getByRole("heading", { name: "Set up two-factor sign-in" }).waitFor();
  await bob.getByRole("img", { name: /QR code/ }).waitFor();
  await shot(bob, "console-two-factor-required");
  const bobSecret = await bob.locator("code.secret").getAttribute("data-secret");
  await bob.getByLabel("Code from the app").fill(totp(bobSecret));
  await bob.getByRole("button", { name: "Turn on" }).click();
  await bob.getByRole("button", { name: "I saved them" }).click();
  await bob.getByText("Live", { exact: true }).waitFor();
  assert.deepEqual(page.errors, []);
  assert.deepEqual(bob.errors, []);
});
