// The console's Voice page: an admin connects the organization's Vapi
// account (a stand-in of ours on a local port, written to Vapi's documented
// list shapes), sees the key's last four characters and the account's phone
// numbers and assistants, a refused key named, chooses the widget's
// assistant and number (which the public widget settings then carry), and
// disconnects.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launchBrowser, newPage, shot, signInWithKey, openSettings } from "./helpers.mjs";

const GOOD = "vapi-private-0123456789-E2E1";

function startVapi() {
  const at = "2026-01-01T00:00:00.000Z";
  const lists = {
    "/assistant": [{ id: "asst-1", orgId: "o", name: "Front desk", createdAt: at, updatedAt: at }],
    "/phone-number": [{ id: "pn-1", orgId: "o", provider: "vapi", number: "+14155550100", name: "Main line", createdAt: at, updatedAt: at }],
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (req.headers.authorization !== `Bearer ${GOOD}`) {
      res.writeHead(401, { "content-type": "application/json" });
      return res.end(JSON.stringify({ message: "Invalid Key", statusCode: 401 }));
    }
    res.writeHead(lists[path] ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(lists[path] ?? { message: "Not Found" }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

let server, browser, vapi;
before(async () => {
  vapi = await startVapi();
  const env = {
    ECHO_SECRETS_KEY: Buffer.alloc(32, 7).toString("base64"),
    ECHO_VAPI_BASE_URL: `http://127.0.0.1:${vapi.address().port}`,
  };
  [server, browser] = await Promise.all([startServer({ env }), launchBrowser()]);
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
