// The abuse limits as a visitor meets them: a message over the per-session
// rate is refused in words and stays in the box, ready to send again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signIn, eventually } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([
    startServer({ env: { ECHO_LIMIT_MESSAGES_PER_MINUTE: "2" } }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a message over the rate limit is explained and kept as the draft", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await signIn(page);
  await page.getByRole("button", { name: "Start chat" }).click();
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  for (const text of ["one", "two"]) {
    await box.fill(text);
    await box.press("Enter");
    await page.locator(".msg.visitor:not(.queued)").getByText(text, { exact: true }).waitFor();
    // The push stream can show the message before its send is answered,
    // and the box takes a new message only once it is (it empties then).
    await eventually(async () => (await box.inputValue()) === "", { what: `the box emptied after "${text}"` });
  }
  await box.fill("three, too fast");
  await box.press("Enter");
  await page.getByText("You're sending messages too quickly, try again in a moment.").waitFor();
  assert.equal(await box.inputValue(), "three, too fast");
  await shot(page, "chat-rate-limited");
  assert.deepEqual(page.errors, []);
});
