// Business hours in the widget: with the desk closed (hours set relative to
// now, so it is closed whenever the test runs), the header shows the away
// message and when the team is back, in the visitor's language and time
// zone, and the form asks for the email to answer later; in English and
// Arabic. Open again with replies in hours, the header says so. Resolved
// after an answer, the conversation is rated with the keyboard alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer, launchBrowser, newPage, shot, signInWithKey, openSettings, signIn, sessionToken,
  currentConversationId, eventually, hold,
} from "./helpers.mjs";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
let server, browser;
before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function setHours(body) {
  const saved = await server.operator("/v1/operator/business-hours", { method: "PUT", body: JSON.stringify(body) });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
}

test("a closed desk says so, and when it is back, in English and Arabic", async () => {
  // One opening, two days from now (UTC): closed now, whatever the hour.
  const later = new Date(Date.now() + 2 * 86_400_000);
  await setHours({
    enabled: true,
    timeZone: "UTC",
    week: [{ day: DAYS[later.getUTCDay()], open: "10:00", close: "11:00" }],
    holidays: [],
    replyTime: "minutes",
    awayMessage: "We're out fishing. Leave a message!",
  });
  const opening = new Date(Date.UTC(later.getUTCFullYear(), later.getUTCMonth(), later.getUTCDate(), 10));
  const expectedDay = opening.toLocaleDateString("en", { weekday: "long", timeZone: "Asia/Tokyo" });

  const tokyo = await browser.newContext({ timezoneId: "Asia/Tokyo", viewport: { width: 400, height: 640 } });
  const page = await tokyo.newPage();
  await page.goto(server.widgetUrl(`organizationId=${server.orgId}&locale=en`));
  const header = page.locator("header.header");
  await header.getByText("We're out fishing. Leave a message!").waitFor();
  // 10:00 UTC is 19:00 in Tokyo: the visitor's own clock.
  await header.getByText(new RegExp(`^Back ${expectedDay} at 7:00\\sPM$`)).waitFor();
  await page.getByText("leave your name and email, and we'll answer you by email").waitFor();
  await shot(page, "widget-closed-en");

  const arabic = await tokyo.newPage();
  await arabic.goto(server.widgetUrl(`organizationId=${server.orgId}&locale=ar`));
  await arabic.locator("header.header").getByText(/^نعود يوم /).waitFor();
  await arabic.getByText("وسنرد عليك بالبريد الإلكتروني").waitFor();
  assert.equal(await arabic.evaluate(() => document.documentElement.dir), "rtl");
  await shot(arabic, "widget-closed-ar");

  // The visitor writes anyway; the team answers later and resolves it.
  await signIn(page);
  await page.getByRole("button", { name: "Start chat" }).click();
  const box = page.getByLabel("Message", { exact: true });
  await box.fill("Is the shop open on Sunday?");
  await box.press("Enter");
  const token = await sessionToken(page, server.orgId);
  const id = await currentConversationId(server, token);
  assert.equal((await server.reply(id, "Yes, from ten.")).status, 201);
  assert.equal((await server.setStatus(id, "resolved")).status, 200);
  await page.getByText("This conversation has been resolved.").waitFor();

  // Rated with the keyboard: into the group, arrows to 4, a comment, Enter.
  const legend = page.getByText("How satisfied are you with the help you got?");
  await legend.waitFor();
  await page.getByRole("radio", { name: /^1 · Very dissatisfied$/ }).focus();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getByRole("radio", { name: /^4 · Satisfied$/ }).isChecked(), true);
  await page.keyboard.press("Tab");
  await page.keyboard.type("Quick answer");
  await shot(page, "widget-rating");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.getByText("Thanks for your rating!").waitFor();
  const detail = await eventually(async () => {
    const { body } = await server.operator(`/v1/operator/conversations/${id}`);
    return body.rating && body;
  }, { what: "the rating" });
  assert.equal(detail.rating.score, 4);
  assert.equal(detail.rating.comment, "Quick answer");
  await shot(page, "widget-rated");
});

test("the console shows a rating on the row and in the conversation", async () => {
  const page = await newPage(browser, { width: 1100, height: 800 });
  await page.goto(`${server.url}/console/`);
  await signInWithKey(page, server.org.operatorKey);
  await page.getByRole("tab", { name: "Resolved", exact: true }).click();
  await page.getByText("Rated 4 of 5: satisfied").waitFor();
  await page.locator(".list .item").first().click();
  await page.getByText("Rated 4 of 5 (satisfied)").waitFor();
  await page.getByText("Quick answer").waitFor();
  await shot(page, "console-rating");
});

test("the Reports page charts the day, lists every figure and downloads CSV", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme });
    const page = await context.newPage();
    await page.goto(`${server.url}/console/`);
    await signInWithKey(page, server.org.operatorKey);
    await page.getByRole("button", { name: "Reports" }).click();
    await page.getByRole("heading", { name: "Reports" }).waitFor();
    // Today's row: the conversation created, resolved and rated above.
    const today = await page.evaluate(() => {
      const d = new Date();
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    });
    const row = page.getByRole("row", { name: new RegExp(`^${today}`) });
    await row.waitFor();
    assert.match(await row.innerText(), /^\S+\s+1\s+1\s+\d+\s/);
    assert.match(await row.innerText(), /4\.0 \(100% satisfied, 1\)/);
    await page.getByRole("img", { name: /^Conversations: 30 rows/ }).waitFor();
    await shot(page, `console-reports-${colorScheme}`);
    if (colorScheme === "light") {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Export the conversations (CSV)" }).click(),
      ]);
      const { readFileSync } = await import("node:fs");
      const text = readFileSync(await download.path(), "utf8");
      assert.match(text, /^id,created,resolved,status,assignee,labels,visitorName,visitorEmail/);
      assert.match(text, /,Ada Lovelace,ada@example.com,.*,4,Quick answer\r\n$/);
      await page.getByLabel("Rows", { exact: true }).selectOption("operator");
      await page.getByRole("row", { name: /^Unassigned/ }).waitFor();
    }
    await context.close();
  }
});

test("an open desk states its reply time", async () => {
  await setHours({
    enabled: false,
    timeZone: "UTC",
    week: [],
    holidays: [],
    replyTime: "hours",
    awayMessage: "Away",
  });
  const page = await newPage(browser);
  await page.goto(server.widgetUrl(`organizationId=${server.orgId}&locale=en`));
  await page.locator("header.header").getByText("We typically reply in a few hours").waitFor();
});

test("the console's Business hours page sets them", async () => {
  const page = await newPage(browser, { width: 1100, height: 900 });
  // The hours are held back until the page is checked: an edit made
  // before they arrive would be drawn over, so none can be made.
  const release = await hold(page, "**/v1/operator/business-hours", "GET");
  await page.goto(`${server.url}/console/`);
  await signInWithKey(page, server.org.operatorKey);
  await openSettings(page, "Business hours");
  await page.getByRole("heading", { name: "Business hours" }).waitFor();
  const enabled = page.getByLabel("Use business hours (off: always open)");
  assert.ok(await enabled.isDisabled(), "no edit before the hours are read");
  release();
  await enabled.check();
  await page.getByLabel("Time zone").fill("Europe/Lisbon");
  await page.getByRole("button", { name: "Add an opening" }).click();
  await page.getByLabel("Day of opening 1").selectOption("Saturday");
  await page.getByLabel("Opens, opening 1").fill("22:00");
  await page.getByLabel("Closes, opening 1").fill("02:00");
  await page.getByRole("button", { name: "Add a holiday" }).click();
  await page.getByLabel("Date of holiday 1").fill("2027-12-25");
  await page.getByLabel("Name of holiday 1").fill("Christmas");
  await page.getByLabel("We typically reply").selectOption("day");
  await page.getByLabel("Away message").fill("Back soon.");
  await shot(page, "console-business-hours");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved: the widget follows within a minute.").waitFor();
  const saved = await server.operator("/v1/operator/business-hours");
  assert.deepEqual(saved.body, {
    enabled: true,
    timeZone: "Europe/Lisbon",
    week: [{ day: "sat", open: "22:00", close: "02:00" }],
    holidays: [{ date: "2027-12-25", name: "Christmas" }],
    replyTime: "day",
    awayMessage: "Back soon.",
  });
  // A broken rule is shown where it was made.
  await page.getByLabel("Time zone").fill("Nowhere/Special");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "timeZone" }).waitFor();
});
