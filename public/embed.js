/* Echo loader: see README.md, "Embedding". */
(function () {
  var s = document.currentScript, d = s && s.dataset;
  if (!d || !d.organizationId) {
    console.error("Echo: the embed script needs data-organization-id");
    return;
  }
  var base = new URL("./", s.src), url = new URL(base.href), origin = base.origin;
  url.searchParams.set("organizationId", d.organizationId);
  if (d.server) url.searchParams.set("server", d.server);
  var side = d.position === "bottom-left" ? "left" : "right";
  var chat = '<svg width="26" height="26" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var cross = '<svg width="22" height="22" viewBox="0 0 24 24" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  var host = document.createElement("div"), root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>:host{all:initial}" +
    ".l,.p{position:fixed;" + side + ":20px;z-index:2147483647}" +
    ".l{bottom:20px;width:56px;height:56px;border:0;border-radius:50%;background:#4f46e5;color:#fff;cursor:pointer;display:grid;place-items:center;box-shadow:0 4px 14px #0004}" +
    ".l:focus-visible{outline:3px solid #fff;box-shadow:0 0 0 6px #4f46e5}" +
    ".p{bottom:88px;width:380px;height:600px;max-height:calc(100vh - 108px);border-radius:16px;overflow:hidden;box-shadow:0 8px 32px #0004;background:#fff}" +
    ".p[hidden]{display:none}iframe{border:0;width:100%;height:100%}" +
    ".b{position:fixed;" + side + ":14px;bottom:60px;z-index:2147483647;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#d92d20;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}.b[hidden]{display:none}" +
    "@media(max-width:639px){.p{inset:0;width:100%;height:100%;max-height:none;border-radius:0}.o .l,.o .b{display:none}}</style>" +
    '<div><div class="p" hidden></div><button class="l" aria-expanded="false"></button><span class="b" aria-hidden="true" hidden></span></div>';
  var wrap = root.firstElementChild.nextElementSibling, panel = wrap.firstChild, button = panel.nextSibling, badge = button.nextSibling, frame, open = false, unread = 0, handlers = {};

  // The host page's listeners (EchoWidget.on): open, close, unread, message.
  function emit(name, value) {
    (handlers[name] || []).slice().forEach(function (fn) {
      try { fn(value); } catch (e) { console.error(e); }
    });
  }

  function show(next) {
    open = next;
    panel.hidden = !next;
    wrap.className = next ? "o" : "";
    button.setAttribute("aria-expanded", next);
    label();
    button.innerHTML = next ? cross : chat;
    if (frame) frame.contentWindow.postMessage({ type: "echo:visibility", open: next }, origin);
  }
  function label() {
    button.setAttribute("aria-label", open ? "Close chat" : unread ? "Open chat, " + unread + " unread" : "Open chat");
    badge.textContent = unread;
    badge.hidden = !unread;
  }
  function openWidget() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = "Chat";
      frame.src = url.href;
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
  function toggle() {
    open ? close() : openWidget();
  }
  function onKey(e) {
    if (e.key === "Escape") close();
  }
  function onMessage(e) {
    var data = e.data || {};
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
    if (data.type === "echo:close") close();
    if (data.type === "echo:unread" && unread !== (data.count | 0)) {
      unread = data.count | 0;
      label();
      emit("unread", unread);
    }
    if (data.type === "echo:message") emit("message", { authorName: String(data.authorName), text: String(data.text) });
  }
  show(false);
  button.addEventListener("click", toggle);
  document.addEventListener("keydown", onKey);
  window.addEventListener("message", onMessage);
  var resolveReady, api = window.EchoWidget = {
    ready: new Promise(function (resolve) { resolveReady = resolve; }),
    on: function (name, fn) {
      (handlers[name] = handlers[name] || []).push(fn);
    },
    off: function (name, fn) {
      handlers[name] = (handlers[name] || []).filter(function (f) { return f !== fn; });
    },
    open: openWidget,
    close: close,
    toggle: toggle,
    destroy: function () {
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("message", onMessage);
      host.remove();
      delete window.EchoWidget;
    },
  };
  function mount() {
    document.body.appendChild(host);
    resolveReady(api);
  }
  document.body ? mount() : document.addEventListener("DOMContentLoaded", mount);
})();
