// Voice with Vapi (a stand-in of ours on a local port, written to Vapi's
// documented shapes: tests/e2e/vapi-standin.mjs). The console's Voice page:
// an admin connects the account, sees the key's last four characters and
// the account's numbers and assistants, a refused key named, chooses the
// widget's assistant and number, and disconnects. The widget: "Call us"
// and a voice call with the assistant from Chromium's fake microphone (a
// tone from a WAV file): the stand-in hears sound, the widget shows the
// lines live and the assistant speaking, the visitor hangs up, and the
// conversation keeps the transcript for the visitor and the console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, newPage, shot, signInWithKey, openSettings, submitForm, sessionToken, eventually } from "./helpers.mjs";
import { startVapi, toneWav, GOOD_KEY as GOOD, HEARD, ANSWER } from "./vapi-standin.mjs";

let server, browser, vapi;
before(async () => {
  vapi = await startVapi();
  const wav = join(mkdtempSync(join(tmpdir(), "echo-voice-")), "tone.wav");
  writeFileSync(wav, toneWav());
  const media = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${wav}`, "--autoplay-policy=no-user-gesture-required"];
  const env = {
    ECHO_SECRETS_KEY: Buffer.alloc(32, 7).toString("base64"),
    ECHO_VAPI_BASE_URL: vapi.url,
  };
  [server, browser] = await Promise.all([startServer({ env }), launchBrowser(media)]);
  server.admin("subscription", "set", server.orgId, "active");
});
after(async () => {
  await browser?.close();
  await server?.stop();
  vapi?.close();
});

test("an admin connects Vapi, sees the account's numbers and assistants, and disconnects", async () => {
  const page = await newPage(browser, { width: 1100, height: 900 });
  await page.goto(`${server.url}/console/`);
  await signInWithKey(page, server.org.operatorKey);
  await openSettings(page, "Voice (Vapi)");
  await page.getByRole("heading", { name: "Voice (Vapi)" }).waitFor();
  await shot(page, "console-voice-empty");

  await page.getByLabel("Private API key").fill("vapi-private-wrong");
  await page.getByLabel("Public API key").fill("vapi-public-0123456789");
  await page.getByRole("button", { name: "Connect Vapi" }).click();
  await page.getByRole("alert").filter({ hasText: "Vapi does not accept this key" }).waitFor();

  await page.getByLabel("Private API key").fill(GOOD);
  await page.getByRole("button", { name: "Connect Vapi" }).click();
  await page.getByText("key ending in E2E1").waitFor();
  await page.locator(".plugin-list").getByText("+14155550100").waitFor();
  await page.locator(".plugin-list").getByText("Front desk").waitFor();
  assert.equal(await page.getByLabel("Private API key").inputValue(), "", "the key is not kept in the page");
  const listed = await server.operator("/v1/operator/plugins");
  assert.equal(JSON.stringify(listed.body).includes(GOOD), false);
  await shot(page, "console-voice-connected");

  // The widget's voice: an assistant for calls and the number for "Call us".
  await page.getByLabel("Assistant for voice calls").selectOption({ label: "Front desk" });
  await page.getByLabel('Number for "Call us"').selectOption({ label: "+14155550100" });
  await page.getByRole("button", { name: "Save voice settings" }).click();
  await page.getByText("Saved: the widget offers it within a minute.").waitFor();
  const config = await (await fetch(`${server.url}/v1/organizations/${server.orgId}/widget`)).json();
  assert.deepEqual(config.voice, { call: true, phoneNumber: "+14155550100" });

  await page.getByRole("button", { name: "Disconnect" }).click();
  await page.getByText("Vapi's keys are forgotten.").waitFor();
  assert.deepEqual((await server.operator("/v1/operator/plugins")).body, { plugins: [] });
});

/** Connects Vapi and chooses the assistant and the number, by the API. */
async function voiceOn() {
  const put = (path, body) => server.operator(path, { method: "PUT", body: JSON.stringify(body) });
  assert.equal((await put("/v1/operator/plugins/vapi", { privateApiKey: GOOD, publicApiKey: "vapi-public-0123456789" })).status, 200);
  const saved = await put("/v1/operator/widget-settings", {
    greetMessage: "Hello! How can we help?", suggestions: [], voice: { assistantId: "asst-1", phoneNumberId: "pn-1" },
  });
  assert.equal(saved.status, 200);
}

test("a visitor calls the assistant, sees what is said, and keeps the transcript", async () => {
  await voiceOn();
  const page = await newPage(browser);
  await page.goto(server.widgetUrl());
  await submitForm(page);

  // "Call us": the number written for reading, to tap or copy.
  await page.getByRole("button", { name: "Call us" }).click();
  const number = page.getByRole("link", { name: "+1 415 555 0100" });
  await number.waitFor();
  assert.equal(await number.getAttribute("href"), "tel:+14155550100");
  await page.getByRole("button", { name: "Copy number" }).click();
  await page.getByRole("button", { name: "Copied" }).waitFor();
  await shot(page, "widget-call-us");
  await page.getByRole("button", { name: "Back", exact: true }).last().click();

  // The team's inbox, open while the call happens.
  const desk = await newPage(browser, { width: 1100, height: 900 });
  await desk.goto(`${server.url}/console/`);
  await signInWithKey(desk, server.org.operatorKey);

  // A call: the microphone (a tone) reaches the stand-in, whose answer
  // plays while the widget says the assistant speaks.
  await page.getByRole("button", { name: "Start voice call" }).click();
  const call = page.getByRole("region", { name: "Voice call" });
  await call.waitFor();
  await eventually(() => vapi.state.loudSamples > 16000, { timeout: 20_000, what: "sound from the microphone at the stand-in" });
  await call.getByText("The assistant is speaking").waitFor({ timeout: 15_000 });
  await shot(page, "widget-voice-call");
  // The team sees the call on the inbox row and, opened, the call live.
  await desk.locator(".row").getByText("On a call").waitFor();
  await desk.locator(".row .item").first().click();
  await desk.getByText("On a voice call with the assistant").waitFor();
  await shot(desk, "console-voice-call-live");
  const messages = page.getByRole("log", { name: "Messages" });
  await messages.getByText(HEARD).waitFor({ timeout: 15_000 });
  await messages.getByText(ANSWER).waitFor({ timeout: 15_000 });
  await call.getByText("Listening...").waitFor({ timeout: 15_000 });
  await call.getByRole("button", { name: "Mute" }).click();
  await call.getByRole("button", { name: "Unmute" }).waitFor();
  await call.getByRole("button", { name: "End call" }).click();
  await call.waitFor({ state: "detached" });
  await eventually(() => vapi.state.reports > 0, { what: "the end-of-call report" });
  assert.deepEqual(page.errors, []);

  // The conversation keeps the lines, marked as said, for the visitor...
  const token = await sessionToken(page, server.orgId);
  const list = await (await fetch(`${server.url}/v1/conversations?organizationId=${server.orgId}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const id = list.conversations[0].conversationId;
  const history = await (await fetch(`${server.url}/v1/conversations/${id}/messages`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const said = history.messages.filter((m) => m.voice).map((m) => [m.role, m.text]);
  assert.deepEqual(said, [["visitor", HEARD], ["assistant", ANSWER]]);

  // ...and for the team, with the call's length (no badge any more).
  await desk.getByText("Visitor (voice call)").waitFor();
  await desk.locator(".row").getByText("On a call").waitFor({ state: "detached" });
  await desk.getByText(/^Voice call, 0:\d\d/).waitFor();
  await shot(desk, "console-voice-call-ended");

  // The call screen in Arabic and dark: laid out right to left.
  const context = await browser.newContext({ viewport: { width: 400, height: 640 }, colorScheme: "dark" });
  const arabic = await context.newPage();
  await arabic.goto(server.widgetUrl(`organizationId=${server.orgId}&locale=ar`));
  await arabic.getByLabel("الاسم").fill("ليلى");
  await arabic.getByLabel("البريد الإلكتروني").fill("layla@example.com");
  await arabic.locator("button[type=submit]").click();
  await arabic.getByRole("button", { name: "اتصل بنا" }).click();
  await arabic.getByRole("link", { name: "+1 415 555 0100" }).waitFor();
  assert.equal(await arabic.evaluate(() => document.documentElement.dir), "rtl");
  await shot(arabic, "widget-call-us-ar-dark");
  await context.close();
});
