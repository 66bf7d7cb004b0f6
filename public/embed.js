/* Echo loader: see README.md, "Embedding". */
(() => {
  const s = document.currentScript, d = s?.dataset;
  if (!d?.organizationId) {
    console.error("Echo: no data-organization-id");
    return;
  }
  const base = new URL("./", s.src), url = new URL(base), origin = base.origin;
  const side = d.position == "bottom-left" ? "left" : "right";
  // The visitor's language: data-locale, else the browser's; the widget
  // gets it too, and the server the launcher's words in it.
  const lang = (d.locale ? [d.locale] : navigator.languages)
    .map((l) => l.split("-")[0].toLowerCase())
    .find((l) => "en es fr de pt ja ar".split(" ").includes(l)) || "en";
  let words = [];
  const query = url.searchParams;
  query.set("organizationId", d.organizationId);
  query.set("locale", lang);
  if (d.server) query.set("server", d.server);
  // The host's signed-in user (data-user-* or identify()), told to the
  // widget when it says hello. (A reset() before the widget first opens
  // needs no word: a widget that hears of no user forgets a verified one.)
  const who = (u) => u?.userId ? { ...u, userId: String(u.userId) } : null;
  let user = who({ userId: d.userId, name: d.userName, email: d.userEmail, userHash: d.userHash });
  // Icons only: the button's aria-label names it.
  const chat = '<svg viewBox="0 0 24 24" fill=currentColor><path d="M3 3h18v13H8l-5 5z"/></svg>';
  const host = document.createElement("div"), root = host.attachShadow({ mode: "open" }), sheet = new CSSStyleSheet();
  // A constructed stylesheet, not a <style> element: a host page's strict
  // CSP (no 'unsafe-inline' styles) blocks the one and allows the other.
  sheet.replaceSync(`:host{all:initial}.l,.p,.b{position:fixed;${side}:20px;z-index:2147483647}.l,.p{box-shadow:0 4px 14px #0004}` +
    ".l{bottom:20px;width:56px;height:56px;border:0;border-radius:50%;background:var(--a,#4f46e5);color:var(--t,#fff);font:24px sans-serif;cursor:pointer;display:grid;place-items:center}" +
    ".p{bottom:88px;width:380px;height:min(600px,100vh - 108px);border-radius:16px;overflow:hidden;background:#fff}" +
    "svg{width:26px}iframe{border:0;width:100%;height:100%}" +
    `.b{${side}:14px;bottom:60px;min-width:10px;height:20px;padding:0 5px;border-radius:10px;background:#d92d20;color:#fff;font:700 12px/20px sans-serif;text-align:center}` +
    // Full screen on a phone, over the launcher (later on the page).
    "@media(max-width:639px){.p{inset:0;width:auto;height:auto;border-radius:0}}");
  root.adoptedStyleSheets = [sheet];
  // The launcher waits for the settings: the brand (custom properties set
  // through the CSSOM, which a strict CSP allows) and the launcher's words.
  // The server refuses them to a site the organization does not allow, and
  // there the loader does nothing.
  const config = fetch(`${d.server || base.origin}/v1/organizations/${d.organizationId}/widget?locale=${lang}`)
    .then((r) => r.json()).catch(() => {});
  root.innerHTML = '<button class="l"></button><span class="b" aria-hidden="true"></span><div class="p"></div>';
  const [button, badge, panel] = root.children, handlers = {};
  let frame, open = false, unread = 0, ready;

  // The host page's listeners (EchoWidget.on): open, close, unread, message.
  // Each on its own task: a listener that throws stops neither the others
  // nor the loader.
  const emit = (name, value) => (handlers[name] || []).forEach((fn) => setTimeout(fn, 0, value));
  // Nothing is posted before the widget's hello: until its page has
  // loaded, the frame's window is another origin's (about:blank).
  const tell = (message) => ready && frame.contentWindow.postMessage(message, origin);
  const identity = (reset) => tell({ type: "echo:identity", user, reset });
  function show(next) {
    open = next;
    panel.hidden = !next;
    button.ariaExpanded = next;
    label();
    button.innerHTML = next ? "\u2715" : chat;
    tell({ type: "echo:visibility", open: next });
  }
  function label() {
    button.ariaLabel = open ? words[1] : unread ? words[2].replace("{}", unread) : words[0];
    if (frame) frame.title = words[3];
    badge.textContent = unread;
    badge.hidden = !unread;
  }
  function openWidget() {
    if (!frame) {
      frame = document.createElement("iframe");
      // Voice calls with the assistant ask for the microphone.
      frame.allow = "microphone";
      frame.src = url;
      panel.appendChild(frame);
    }
    if (!open) emit("open");
    show(true);
    frame.focus();
  }
  function close() {
    if (open) {
      show(false);
      button.focus();
      emit("close");
    }
  }
  const toggle = () => open ? close() : openWidget();
  const onKey = (e) => e.key == "Escape" && close();
  function onMessage(e) {
    const data = e.data || 0, type = data.type;
    if (!frame || e.source != frame.contentWindow || e.origin != origin) return;
    if (type == "echo:close") close();
    if (type == "echo:hello") {
      ready = 1;
      identity();
      show(open);
    }
    if (type == "echo:unread" && unread != (data.count | 0)) {
      unread = data.count | 0;
      label();
      emit("unread", unread);
    }
    if (type == "echo:message") emit("message", { authorName: data.authorName, text: data.text });
  }
  show(false);
  button.addEventListener("click", toggle);
  document.addEventListener("keydown", onKey);
  window.addEventListener("message", onMessage);
  const api = window.EchoWidget = {
    on: (name, fn) => (handlers[name] = handlers[name] || []).push(fn),
    off: (name, fn) => handlers[name] = (handlers[name] || []).filter((f) => f != fn),
    open: openWidget,
    close,
    toggle,
    identify: (u) => (user = who(u), identity()),
    reset: () => (user = null, identity(1)),
    destroy() {
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("message", onMessage);
      host.remove();
      delete window.EchoWidget;
    },
  };
  // Resolves once the launcher is on the page (the body may not exist yet).
  api.ready = Promise.all([config, new Promise((ok) => document.body ? ok() : document.addEventListener("DOMContentLoaded", ok))])
    .then(([c]) => {
      // Refused (or no server): no launcher, and the refusal's reason.
      if (!c?.launcher) {
        c && console.warn("Echo:", c.error?.message);
        return api.destroy();
      }
      label(words = c.launcher);
      host.style.cssText = `--a:${c.accentColor};--t:${c.accentTextColor}`;
      document.body.appendChild(host);
      return api;
    });
})();
