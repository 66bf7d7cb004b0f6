// Submitting the widget's forms the ways visitors do: with the mouse after
// fixing a field (the error line must not move the button away), and with
// Enter in the last field (the field is removed with its screen while
// focused; its blur handler must not touch the gone screen). Any page error
// fails the test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("fixing the email and clicking Continue with the mouse moves on", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await page.getByLabel("Name").fill("Mia Mouse");
  await page.getByLabel("Email").fill("mia@");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByText("Email must be a valid email address").waitFor();
  await shot(page, "auth-email-error");
  const before = await page.getByRole("button", { name: "Continue" }).boundingBox();
  await page.getByLabel("Email").fill("mia@example.com");
  // A real click: the pointer goes to where the button is now, the email
  // field blurs (its error clears), then the press and release land.
  const box = await page.getByRole("button", { name: "Continue" }).boundingBox();
  assert.deepEqual(box, before, "the button has not moved");
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  assert.deepEqual(page.errors, []);
});

test("Enter in the email field submits, and the chat then opens", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await page.getByLabel("Name").fill("Kim Keys");
  await page.getByLabel("Email").fill("kim@example.com");
  await page.getByLabel("Email").press("Enter");
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  // Enter on the focused button of the next screen too.
  await page.getByRole("button", { name: "Start chat" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("textbox", { name: "Message", exact: true }).waitFor();
  assert.deepEqual(page.errors, []);
});

test("Enter in the name field submits too, and a click on Start chat works", async () => {
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await page.getByLabel("Email").fill("lee@example.com");
  await page.getByLabel("Name").fill("Lee Enter");
  await page.getByLabel("Name").press("Enter");
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByRole("textbox", { name: "Message", exact: true }).waitFor();
  assert.deepEqual(page.errors, []);
});
