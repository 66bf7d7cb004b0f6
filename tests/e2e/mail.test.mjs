// Email notifications end to end: the real server mails through a real SMTP
// server (scripts/smtp-sink.py, aiosmtpd). A visitor writes while the
// operator's console is closed; the mail reaches the SMTP server, and its
// console link, opened in a fresh browser, signs in and opens that very
// conversation. The operator turns notifications off on the Notifications
// page; the visitor asks for a transcript from the widget.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSmtp, startServer, launchBrowser, newPage, shot, signIn, eventually, openSettings } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
let smtp, server, browser;
before(async () => {
  smtp = await startSmtp();
  [server, browser] = await Promise.all([
    startServer({
      env: {
        ECHO_SMTP_URL: smtp.url,
        ECHO_MAIL_FROM: "support@echo.test",
        ECHO_NOTIFY_AFTER_SECS: "1",
        ECHO_NOTIFY_BATCH_SECS: "1",
      },
    }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  smtp?.stop();
});

test("a visitor writes while the console is closed; the mail's link opens the conversation", async () => {
  const invitation = server.admin("operator", "invite", server.orgId, "--email", "ops@example.com", "--role", "admin", "--public-url", server.url).trim();
  const first = await newPage(browser, { width: 1200, height: 760 });
  await first.goto(invitation);
  await first.getByLabel("Your name").fill("Olga Operator");
  await first.getByLabel("Password").fill(PASSWORD);
  await first.getByRole("button", { name: "Join the team" }).click();
  await first.getByText("Live", { exact: true }).waitFor();
  await first.context().close(); // the console is closed from here on

  const widget = await newPage(browser);
  await widget.goto(server.widgetUrl());
  await signIn(widget, { name: "Vera Visitor", email: "vera@example.com" });
  await widget.getByRole("button", { name: "Start chat" }).click();
  const box = widget.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("My package is late");
  await box.press("Enter");

  const [mail] = await eventually(() => (smtp.to("ops@example.com").length ? smtp.to("ops@example.com") : null), {
    timeout: 20_000,
    what: "the operator's mail",
  });
  assert.match(mail.headers.from, /^Acme Outfitters <support@echo\.test>/);
  assert.match(mail.text, /My package is late/);
  const link = mail.text.match(/https?:\/\/\S+\/console\/#conversation=[0-9a-f-]+/)[0];
  assert.ok(link.startsWith(server.url));

  // The link in a browser with no session: sign in, and the conversation opens.
  const ops = await newPage(browser, { width: 1200, height: 760 });
  await ops.goto(link);
  await ops.getByLabel("Email").fill("ops@example.com");
  await ops.getByLabel("Password").fill(PASSWORD);
  await ops.getByRole("button", { name: "Sign in", exact: true }).click();
  await ops.getByRole("heading", { name: "Vera Visitor" }).waitFor();
  await ops.locator(".msg").filter({ hasText: "My package is late" }).waitFor();
  assert.equal(new URL(ops.url()).hash, "", "the link left the address bar");
  await shot(ops, "console-opened-from-mail");

  // Notifications off, from the console's own page.
  await openSettings(ops, "Notifications");
  const toggle = ops.getByRole("checkbox", { name: /Email me when a visitor writes/ });
  assert.equal(await toggle.isChecked(), true);
  await shot(ops, "console-notifications");
  await toggle.uncheck();
  await ops.getByText("Notification emails are off.").waitFor();
  const me = await ops.evaluate(async () => (await fetch("/v1/auth/me")).json());
  assert.equal(me.emailNotifications, false);
  assert.deepEqual(ops.errors, []);

  // The visitor asks for the conversation by mail.
  const email = widget.getByRole("button", { name: "Email me this conversation" });
  await email.click();
  // A typed address confirms first: the widget says where the link went.
  await widget.getByText("We sent a link to vera@example.com: confirm your address there and the conversation follows.").waitFor();
  await shot(widget, "widget-transcript-requested");
  const confirmation = await eventually(
    () => smtp.to("vera@example.com").find((m) => /^Confirm your email address/.test(m.headers.subject)),
    { timeout: 20_000, what: "the confirmation mail" },
  );
  assert.doesNotMatch(confirmation.text, /My package is late|Vera/);
  const confirmLink = confirmation.text.match(/https?:\/\/\S+\/v1\/mail\/confirm\/mc_\S+/)[0];
  const page = await newPage(browser);
  await page.goto(confirmLink);
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByText("Your address is confirmed").waitFor();
  const transcript = await eventually(
    () => smtp.to("vera@example.com").find((m) => /Your conversation with Acme Outfitters/.test(m.headers.subject)),
    { timeout: 20_000, what: "the transcript" },
  );
  assert.match(transcript.text, /My package is late/);
  assert.deepEqual(widget.errors, []);
});
