// Shared set-up for the browser tests: the real server binary on a free port
// with a fresh SQLite file, the release widget build from dist/, and Debian's
// Chromium driven by playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = process.env.ECHO_SERVER_BIN || join(ROOT, "target/debug/echo-server");
const DIST = process.env.ECHO_WIDGET_DIR || join(ROOT, "dist");
export const SHOTS = join(ROOT, "target/e2e-screenshots");
mkdirSync(SHOTS, { recursive: true });

/** Starts `echo-server serve` with a new database (in a new directory
 * under `dbParent`, the system's temporary directory unless given) and an
 * organization. */
export async function startServer({ env = {}, greet = "Hello! How can we help?", suggestions = ["Pricing", "Shipping"], dbParent = tmpdir() } = {}) {
  mkdirSync(dbParent, { recursive: true });
  const dir = mkdtempSync(join(dbParent, "echo-e2e-"));
  const db = `sqlite://${dir}/echo.db`;
  const admin = (...args) => execFileSync(BIN, ["--database-url", db, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const org = JSON.parse(admin("org", "create", "--name", "Acme Outfitters"));
  admin("widget-settings", "set", org.organizationId, "--greet", greet, ...suggestions.flatMap((s) => ["--suggestion", s]));
  const serve = async (bind) => {
    const proc = spawn(BIN, ["serve", "--bind", bind, "--database-url", db, "--widget-dir", DIST], {
      env: { ...process.env, RUST_LOG: "info", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const port = await new Promise((resolve, reject) => {
      let log = "";
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
      proc.stderr.on("data", (chunk) => {
        log += chunk;
        const match = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      proc.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
    });
    if (process.env.ECHO_E2E_LOG) proc.stderr.on("data", (c) => process.stderr.write(c));
    proc.stderr.resume();
    return { proc, port };
  };
  let { proc, port } = await serve("127.0.0.1:0");
  const stopProcess = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.on("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
  };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    org,
    orgId: org.organizationId,
    admin,
    widgetUrl: (query = `organizationId=${org.organizationId}`) => `${url}/?${query}`,
    /** Calls the operator API with the organization's key. */
    async operator(path, init = {}) {
      const response = await fetch(`${url}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${org.operatorKey}`, "Content-Type": "application/json" },
      });
      return { status: response.status, body: await response.json() };
    },
    reply(conversationId, text) {
      return this.operator(`/v1/operator/conversations/${conversationId}/messages`, {
        method: "POST",
        body: JSON.stringify({ text }),
      });
    },
    setStatus(conversationId, status) {
      return this.operator(`/v1/operator/conversations/${conversationId}`, {
        method: "PATCH",
        body: JSON.stringify({ status }),
      });
    },
    /** Stops the server process (the database stays). */
    halt: stopProcess,
    /** Starts it again on the same port and database. */
    async resume() {
      ({ proc } = await serve(`127.0.0.1:${port}`));
    },
    async stop() {
      await stopProcess();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

/** A new page in a fresh context (its own localStorage), with errors surfaced. */
export async function newPage(browser, viewport = { width: 400, height: 640 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  // A blocked script or style shows as a console error, not a page error.
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) page.errors.push(m.text());
  });
  return page;
}

/** On the console's sign-in page: signs in with an API key instead of a password. */
export async function signInWithKey(page, key) {
  await page.getByRole("button", { name: "Use an API key instead" }).click();
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core on the page as it stands (every rule, every impact) and
 * fails on any violation. Injected by evaluation, not a script tag, so the
 * pages' strict CSP stays as it is.
 */
export async function assertAccessible(page, name) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () =>
    (await window.axe.run(document)).violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
  );
  if (violations.length) throw new Error(`axe-core found in ${name}:\n  ${violations.join("\n  ")}`);
}

/** Every screenshot is also an accessibility audit of that screen. */
export async function shot(page, name) {
  await assertAccessible(page, name);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/**
 * Holds the widget's wasm for `page` (and its frames) until `release()`:
 * the page is what the server sent, its first screen before the widget's
 * code runs.
 */
export async function holdWasm(page) {
  return hold(page, "**/*_bg.wasm");
}

/**
 * Holds the requests `page` makes to `url` (a route pattern; only those of
 * `method` when it is given) until `release()`.
 */
export async function hold(page, url, method) {
  let release;
  const held = new Promise((r) => (release = r));
  await page.route(url, async (route) => {
    if (!method || route.request().method() === method) await held;
    await route.continue();
  });
  return release;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function eventually(check, { timeout = 10_000, every = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}: ${last}`);
}

/** Fills the auth form and presses Continue. */
export async function submitForm(page, { name = "Ada Lovelace", email = "ada@example.com" } = {}) {
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
}

/** Fills the auth form and waits for the selection screen. */
export async function signIn(page, visitor) {
  await submitForm(page, visitor);
  await page.getByRole("button", { name: "Start chat" }).waitFor();
}

export async function sessionToken(page, orgId) {
  return page.evaluate((key) => localStorage.getItem(key), `echo_contact_session_${orgId}`);
}

/** Calls the public API as the visitor whose session the page holds. */
export async function api(server, token, path, init = {}) {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...(init.headers || {}) },
  });
  return { status: response.status, body: await response.json() };
}

export async function currentConversationId(server, token) {
  const { body } = await api(server, token, "/v1/conversations?limit=1");
  return body.conversations[0].conversationId;
}

/**
 * A scripted OpenAI-compatible chat-completions server on a free port:
 * `answer(body)` returns `{ content }` or `{ tool, args }` (or a promise of
 * one) for each request; every request body is kept in `requests`.
 */
export async function startScriptedLlm(answer) {
  const { createServer } = await import("node:http");
  const requests = [];
  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw);
    requests.push(body);
    const reply = await answer(body);
    const message = reply.tool
      ? {
          role: "assistant",
          content: null,
          tool_calls: [{ id: `call_${requests.length}`, type: "function", function: { name: reply.tool, arguments: JSON.stringify(reply.args || {}) } }],
        }
      : { role: "assistant", content: reply.content };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      id: "chatcmpl-e2e",
      object: "chat.completion",
      created: 1,
      model: "scripted-model",
      choices: [{ index: 0, message, finish_reason: reply.tool ? "tool_calls" : "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Opens one of the console's pages in its Settings menu. */
export async function openSettings(page, name) {
  await page.getByRole("navigation", { name: "Pages" }).getByRole("button", { name: "Settings" }).click();
  await page.locator("#settings-menu").getByRole("button", { name, exact: true }).click();
}

const PYTHON = process.env.ECHO_SMTP_PYTHON || join(ROOT, "target/smtp-venv/bin/python");

export async function freePort() {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

/** A real SMTP server (scripts/smtp-sink.py, aiosmtpd) keeping each mail as JSON. */
export async function startSmtp() {
  const dir = mkdtempSync(join(tmpdir(), "echo-smtp-"));
  const port = await freePort();
  const proc = spawn(PYTHON, [join(ROOT, "scripts/smtp-sink.py"), "--port", String(port), "--dir", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    proc.stdout.once("data", (line) => (String(line).startsWith("ready") ? resolve() : reject(new Error(String(line)))));
    proc.on("exit", (code) => reject(new Error(`the SMTP sink exited with ${code}`)));
  });
  const mails = () =>
    readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to: (address) => mails().filter((m) => m.rcptTo.includes(address)),
    stop: () => proc.kill("SIGTERM"),
  };
}
