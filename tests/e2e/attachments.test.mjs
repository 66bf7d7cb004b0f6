// Attachments end to end: the visitor pastes a screenshot and sends it; the
// console shows its thumbnail live and opens it full size; the operator
// attaches a PDF in the console and sends it; the widget shows it as a
// named chip that downloads; a file over the limit shows the error in words.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, shot, signIn, signInWithKey } from "./helpers.mjs";

let server, browser;
before(async () => {
  [server, browser] = await Promise.all([
    startServer({ env: { ECHO_MAX_ATTACHMENT_BYTES: "300000" } }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const PDF = Buffer.from("%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "latin1");

test("a pasted screenshot reaches the console live; a PDF from the console downloads in the widget", async () => {
  const widget = await newPage(browser);
  await widget.goto(server.widgetUrl());
  await signIn(widget, { name: "Pia Paste", email: "pia@example.com" });
  await widget.getByRole("button", { name: "Start chat" }).click();
  const box = widget.getByRole("textbox", { name: "Message", exact: true });
  await box.waitFor();

  const consolePage = await newPage(browser, { width: 1200, height: 760 });
  await consolePage.goto(`${server.url}/console/`);
  await signInWithKey(consolePage, server.org.operatorKey);
  await consolePage.getByText("Live", { exact: true }).waitFor();

  // Paste a screenshot (a PNG drawn on a canvas) into the message box.
  await box.evaluate(async (textarea) => {
    const canvas = document.createElement("canvas");
    canvas.width = 900;
    canvas.height = 600;
    const g = canvas.getContext("2d");
    g.fillStyle = "#e11d48";
    g.fillRect(0, 0, 900, 600);
    g.fillStyle = "#fff";
    g.font = "64px sans-serif";
    g.fillText("Error 500", 250, 320);
    const blob = await new Promise((r) => canvas.toBlob(r, "image/png"));
    const data = new DataTransfer();
    data.items.add(new File([blob], "screenshot.png", { type: "image/png" }));
    textarea.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await widget.locator(".file").getByText("Ready").waitFor({ timeout: 10_000 });
  await shot(widget, "widget-attachment-ready");
  // Files alone: the text may stay empty; inbox rows then say so.
  await box.press("Enter");
  const sent = widget.locator(".msg.visitor .thumb img");
  await sent.waitFor({ timeout: 10_000 });
  assert.equal(await widget.locator(".pending .file").count(), 0, "the upload left the composer");

  // The console: the conversation's thumbnail arrives live.
  const row = consolePage.getByRole("button", { name: /Pia Paste/ });
  await row.getByText("Sent a file").waitFor({ timeout: 10_000 });
  await row.click();
  const thumb = consolePage.locator(".msg.visitor .thumb img");
  await thumb.waitFor({ timeout: 10_000 });
  assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 480));
  const [full] = await Promise.all([consolePage.context().waitForEvent("page"), thumb.click()]);
  await full.waitForLoadState();
  assert.match(full.url(), /\/v1\/attachments\/[0-9a-f-]+\?expires=\d+&signature=[0-9a-f]{64}$/);
  assert.equal(await full.evaluate(() => document.images[0]?.naturalWidth), 900, "opens full size");
  await full.close();
  await shot(consolePage, "console-attachment-thumbnail");

  // The operator attaches a PDF and sends it.
  await consolePage.getByLabel("Attach a file").setInputFiles({ name: "returns-guide.pdf", mimeType: "application/pdf", buffer: PDF });
  await consolePage.locator(".file").getByText("Ready").waitFor({ timeout: 10_000 });
  await consolePage.getByLabel("Reply").fill("Our returns guide");
  await consolePage.getByLabel("Reply").press("Enter");
  await consolePage.locator(".msg.operator .file-chip").getByText("returns-guide.pdf").waitFor();

  const chip = widget.locator(".msg.operator .file-chip");
  await chip.waitFor({ timeout: 10_000 });
  assert.match(await chip.innerText(), /returns-guide\.pdf\s+\d+ B/);
  const [download] = await Promise.all([widget.waitForEvent("download"), chip.click()]);
  assert.equal(download.suggestedFilename(), "returns-guide.pdf");
  await shot(widget, "widget-attachments");

  // Over the limit: the error in words, nothing to send.
  await widget.getByLabel("Attach a file").setInputFiles({ name: "huge.txt", mimeType: "text/plain", buffer: Buffer.alloc(400_000, "a") });
  await widget.getByText("This file is too large to send.").waitFor({ timeout: 10_000 });
  await shot(widget, "widget-attachment-too-large");
  assert.deepEqual(widget.errors, []);
  assert.deepEqual(consolePage.errors, []);
});
