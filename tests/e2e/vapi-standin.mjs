// A stand-in for Vapi, ours, written to its documented shapes: the two
// lists (https://docs.vapi.ai/api-reference), `POST /call` with the
// WebSocket transport answering a call socket here
// (https://docs.vapi.ai/calls/websocket-transport), the control URL's
// `end-call` (https://docs.vapi.ai/calls/call-features), and server
// messages posted to the call's server URL with its secret as
// `X-Vapi-Secret` (https://docs.vapi.ai/server-url/events).
//
// The call socket takes 16-bit PCM. Once it has heard a second of sound
// (not silence) it "hears" the visitor (a partial then a final transcript
// line), answers with two seconds of a tone in 20 ms frames, and says its
// line; a `hangup` control message, the socket closing or `end-call` ends
// the call with an end-of-call report.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

export const GOOD_KEY = "vapi-private-0123456789-E2E1";
export const HEARD = "I need help with my order.";
export const ANSWER = "Of course. What is the order number?";

export async function startVapi() {
  const at = "2026-01-01T00:00:00.000Z";
  const lists = {
    "/assistant": [{ id: "asst-1", orgId: "o", name: "Front desk", createdAt: at, updatedAt: at }],
    "/phone-number": [{ id: "pn-1", orgId: "o", provider: "vapi", number: "+14155550100", name: "Main line", createdAt: at, updatedAt: at }],
  };
  const calls = new Map();
  const state = { calls, loudSamples: 0, receivedBytes: 0, reports: 0 };
  let base = "";

  const post = async (call, message) => {
    const server = call.body.assistantOverrides.server;
    await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-vapi-secret": server.secret },
      body: JSON.stringify({ message: { ...message, timestamp: Date.now(), call: { id: call.id } } }),
    });
  };
  const end = async (call, reason) => {
    if (call.ended) return;
    call.ended = true;
    call.socket?.close();
    const durationSeconds = (Date.now() - call.started) / 1000;
    await post(call, { type: "end-of-call-report", endedReason: reason, durationSeconds });
    state.reports++;
  };

  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const body = await new Promise((ok) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => ok(text ? JSON.parse(text) : null));
    });
    const reply = (status, value) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const control = path.match(/^\/(call-\d+)\/control$/);
    if (control && req.method === "POST") {
      const call = calls.get(control[1]);
      if (!call) return reply(404, { message: "Not Found" });
      if (body?.type === "end-call") await end(call, "call.ended-by-api");
      return reply(200, {});
    }
    if (req.headers.authorization !== `Bearer ${GOOD_KEY}`) return reply(401, { message: "Invalid Key", statusCode: 401 });
    if (path === "/call" && req.method === "POST") {
      const id = `call-${calls.size}`;
      calls.set(id, { id, body, started: Date.now(), ended: false });
      const socket = base.replace("http://", "ws://");
      return reply(201, {
        id, assistantId: body.assistantId, type: "vapi.websocketCall", status: "queued", orgId: "o", createdAt: at, updatedAt: at,
        transport: { provider: "vapi.websocket", websocketCallUrl: `${socket}/${id}/transport` },
        monitor: { listenUrl: `${socket}/${id}/listen`, controlUrl: `${base}/${id}/control` },
      });
    }
    reply(lists[path] ? 200 : 404, lists[path] ?? { message: "Not Found" });
  });

  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (socket, req) => {
    const call = calls.get(req.url.split("/")[1]);
    if (!call) return socket.close();
    call.socket = socket;
    let heardSound = 0, answered = false;
    socket.on("message", async (data, binary) => {
      if (!binary) {
        if (JSON.parse(data.toString()).type === "hangup") await end(call, "customer-ended-call");
        return;
      }
      state.receivedBytes += data.length;
      const pcm = new Int16Array(data.buffer, data.byteOffset, Math.floor(data.length / 2));
      const loud = pcm.filter((s) => Math.abs(s) > 300).length;
      state.loudSamples += loud;
      if (loud > pcm.length / 4) heardSound += pcm.length;
      if (heardSound >= 16000 && !answered) {
        answered = true;
        await post(call, { type: "transcript", role: "user", transcriptType: "partial", transcript: "I need help" });
        await post(call, { type: "transcript", role: "user", transcriptType: "final", transcript: HEARD });
        await post(call, { type: "transcript", role: "assistant", transcriptType: "partial", transcript: "Of course." });
        // Two seconds of a 440 Hz tone, paced as it would be spoken.
        for (let frame = 0; frame < 100 && socket.readyState === 1; frame++) {
          const out = new Int16Array(320);
          for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frame * 320 + i)) / 16000));
          socket.send(Buffer.from(out.buffer));
          await new Promise((r) => setTimeout(r, 20));
        }
        await post(call, { type: "transcript", role: "assistant", transcriptType: "final", transcript: ANSWER });
      }
    });
    socket.on("close", () => end(call, "customer-ended-call"));
  });

  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
  return { url: base, state, close: () => (sockets.close(), server.close()) };
}

/** A WAV file of a steady tone, for Chromium's fake microphone. */
export function toneWav(seconds = 30, rate = 16000) {
  const samples = seconds * rate, data = Buffer.alloc(44 + samples * 2);
  data.write("RIFF", 0);
  data.writeUInt32LE(36 + samples * 2, 4);
  data.write("WAVEfmt ", 8);
  data.writeUInt32LE(16, 16);
  data.writeUInt16LE(1, 20);
  data.writeUInt16LE(1, 22);
  data.writeUInt32LE(rate, 24);
  data.writeUInt32LE(rate * 2, 28);
  data.writeUInt16LE(2, 32);
  data.writeUInt16LE(16, 34);
  data.write("data", 36);
  data.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 300 * i) / rate)), 44 + i * 2);
  return data;
}
