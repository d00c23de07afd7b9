// The viduemu call page: one live session's video call, as a client app built on the vendor's
// steps would make it (docs/call-page.md). Plain browser JavaScript, no dependencies.
//
//   /_emulator/call/{live_id}#key=vda_...[&admin=<admin token>]
//
// 1. GET /_emulator/lives/{id}/rtc (the session's rtc block) and GET /live/v1/lives/{id} (its state;
//    this also checks the key).
// 2. RTC: getUserMedia (mic, + camera in video mode), RTCPeerConnection({iceServers: []}), one
//    non-trickle offer POSTed to /_emulator/rtc/sdp, the answer applied; the character's tracks play.
// 3. Signaling: /live/ws/live/connect?live_id=..&authorization=Token%20.. (browsers cannot set
//    headers), conn_init, NOT_READY retried after 2 s, 4 s, then 8 s (the vendor quickstart's backoff).
// 4. Hang up: type 5 (user_end), then DELETE /_emulator/rtc/sdp/{peer_id}.
// window.viduCall holds the page's state for tests and the curious.
"use strict";

(() => {
  const BACKOFF_MS = [2000, 4000, 8000];
  const POLL_MS = 1000;
  const FINAL = ["ending", "ended"];
  const CONN_INIT = 1, CONN_INIT_ACK = 2, HANGUP = 5, FORCED_HANGUP = 6, ERROR = 0;

  const $ = (id) => document.getElementById(id);
  const liveId = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop());
  const fragment = new URLSearchParams(location.hash.slice(1));
  const adminToken = fragment.get("admin") || "";

  const call = window.viduCall = {
    liveId, callMode: null, rtc: null, session: null, signaling: "closed", media: "new",
    peerId: null, pc: null, local: null, botStreams: {}, framesDecoded: 0, hungUp: false, finished: false,
    error: null, log: [],
  };
  let key = "", ws = null, seq = 0, attempt = 0, retryTimer = null, pollTimer = null, statsTimer = null;

  // -- display ----------------------------------------------------------------------
  function log(text) {
    const line = `${new Date().toISOString().slice(11, 23)} ${text}`;
    call.log.push(line);
    const box = $("log");
    box.textContent += line + "\n";
    box.scrollTop = box.scrollHeight;
  }

  function show(field, value) {
    call[field] = value;
    $(field).textContent = value;
  }

  function fail(text) {
    call.error = text;
    log(`error: ${text}`);
  }

  // -- HTTP -------------------------------------------------------------------------
  async function request(path, { method = "GET", body, vendor = false } = {}) {
    const headers = { Accept: "application/json" };
    if (vendor) headers.Authorization = `Token ${key}`;
    else if (adminToken) headers.Authorization = `Bearer ${adminToken}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let data = null;
    try { data = await resp.json(); } catch (_) { /* an empty or non-JSON body */ }
    return { ok: resp.ok, status: resp.status, data };
  }

  function why(resp) {
    const d = resp.data || {};
    return `${resp.status} ${d.reason || ""}: ${d.message || "request failed"}`;
  }

  // -- the session's state ------------------------------------------------------------
  async function poll() {
    const resp = await request(`/live/v1/lives/${encodeURIComponent(liveId)}`, { vendor: true }).catch(() => null);
    if (resp && resp.ok) showSession(resp.data.live);
    if (call.session === "ended") {
      finish();
      return;
    }
    pollTimer = setTimeout(poll, POLL_MS);
  }

  function showSession(live) {
    const reason = live.hangup_reason ? ` (${live.hangup_reason})` : "";
    show("session", live.status);
    $("session").textContent = live.status + reason;
    $("billed").textContent = `${live.billed_seconds} s, ${live.credits_cost} credits`;
  }

  // -- start ----------------------------------------------------------------------------
  async function start() {
    $("key-form").hidden = true;
    const info = await request(`/_emulator/lives/${encodeURIComponent(liveId)}/rtc`);
    if (!info.ok) return fail(`the session's rtc block: ${why(info)}`);
    const live = await request(`/live/v1/lives/${encodeURIComponent(liveId)}`, { vendor: true });
    if (!live.ok) return fail(`GET /live/v1/lives/${liveId}: ${why(live)}`);
    showSession(live.data.live);
    if (FINAL.includes(live.data.live.status)) return fail("this session has ended: create a new one");
    call.rtc = info.data.rtc;
    call.callMode = info.data.live.call_mode;
    log(`session ${liveId}: ${call.callMode} mode, ${call.session}`);
    $("hangup").disabled = false;
    poll();
    try {
      await joinRtc();
    } catch (err) {  // as the vendor quickstart: no signaling (no on_live, no billing) without media
      return fail(`RTC join: ${err.message || err}`);
    }
    if (!call.hungUp) connect();
  }

  // -- RTC ----------------------------------------------------------------------------
  async function joinRtc() {
    const video = call.callMode === "video";
    try {
      call.local = await navigator.mediaDevices.getUserMedia({ audio: true, video });
      $("self-video").srcObject = video ? call.local : null;
    } catch (err) {
      log(`no microphone${video ? "/camera" : ""} (${err.name}): joining to receive only`);
    }
    const pc = call.pc = new RTCPeerConnection({ iceServers: [] });
    pc.onconnectionstatechange = () => show("media", pc.connectionState);
    pc.ontrack = (ev) => {
      const stream = ev.streams[0];
      call.botStreams[ev.track.kind] = stream ? stream.id : null;
      log(`receiving the character's ${ev.track.kind} (stream ${stream ? stream.id : "-"})`);
      const element = ev.track.kind === "video" ? $("bot-video") : $("bot-audio");
      element.srcObject = new MediaStream([ev.track]);
      if (ev.track.kind === "audio") {
        element.play().catch(() => { $("play-audio").hidden = false; });
      }
    };
    for (const kind of video ? ["audio", "video"] : ["audio"]) {
      const track = call.local && call.local.getTracks().find((t) => t.kind === kind);
      pc.addTransceiver(track || kind, track ? { direction: "sendrecv", streams: [call.local] }
                                            : { direction: "recvonly" });
    }
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const { app_id, channel_id, user_id, token } = call.rtc;
    const resp = await request("/_emulator/rtc/sdp", {
      method: "POST", body: { app_id, channel_id, user_id, token, sdp: pc.localDescription.sdp, type: "offer" },
    });
    if (!resp.ok) throw new Error(`POST /_emulator/rtc/sdp: ${why(resp)}`);
    call.peerId = resp.data.peer_id;
    await pc.setRemoteDescription({ type: "answer", sdp: resp.data.sdp });
    log(`joined channel ${channel_id} as ${user_id} (peer ${call.peerId})`);
    if (call.hungUp) return leaveRtc();  // hung up while the join was under way
    statsTimer = setInterval(stats, 1000);
  }

  function gathered(pc) {  // non-trickle: the offer leaves with every candidate
    return new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 5000);
    });
  }

  async function stats() {
    if (!call.pc) return;
    const report = await call.pc.getStats();
    report.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") {
        call.framesDecoded = r.framesDecoded || 0;
        $("frames").textContent = `${r.frameWidth || "?"}x${r.frameHeight || "?"}, ${call.framesDecoded} frames`;
      }
    });
  }

  async function leaveRtc() {
    clearInterval(statsTimer);
    const peerId = call.peerId;
    call.peerId = null;
    if (peerId) {
      const resp = await request(`/_emulator/rtc/sdp/${encodeURIComponent(peerId)}`, { method: "DELETE" }).catch(() => null);
      if (resp && !resp.ok && resp.status !== 404) log(`leaving the channel: ${why(resp)}`);
    }
    if (call.pc) call.pc.close();
    if (call.local) call.local.getTracks().forEach((t) => t.stop());
    show("media", "closed");
  }

  // -- signaling --------------------------------------------------------------------------
  function signalingUrl() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/live/ws/live/connect?live_id=${encodeURIComponent(liveId)}`
      + `&authorization=${encodeURIComponent(`Token ${key}`)}`;
  }

  function send(sock, type, payload) {
    seq += 1;  // one counter for the page, not reset on reconnect (as the vendor quickstart)
    sock.send(JSON.stringify({ type, live_id: liveId, seq_id: seq, payload }));
  }

  function connect(onOpen) {
    const sock = ws = new WebSocket(signalingUrl());
    show("signaling", "connecting");
    sock.onopen = () => {
      show("signaling", "open");
      if (onOpen) onOpen(sock);
      else send(sock, CONN_INIT, { conn_init: { version: 1 } });
    };
    sock.onmessage = (ev) => {
      let message;
      try { message = JSON.parse(ev.data); } catch (_) { return log(`not JSON: ${ev.data}`); }
      if (sock === ws) receive(sock, message);
    };
    sock.onclose = (ev) => {
      if (sock !== ws) return;  // a socket we replaced (NOT_READY retry)
      ws = null;
      show("signaling", `closed (${ev.code}${ev.reason ? " " + ev.reason : ""})`);
    };
  }

  function receive(sock, message) {
    const payload = message.payload || {};
    if (message.type === CONN_INIT_ACK) {
      const ack = payload.conn_init_ack || {};
      if (ack.success === true) {
        attempt = 0;
        show("signaling", "on_live");
        log("conn_init: success, on live");
      } else if (ack.error_code === "NOT_READY") {
        const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
        attempt += 1;
        log(`conn_init: NOT_READY, retrying in ${wait / 1000} s`);
        ws = null;
        sock.close(1000, "NOT_READY retry");
        show("signaling", `not ready, retry in ${wait / 1000} s`);
        retryTimer = setTimeout(() => { if (!call.hungUp) connect(); }, wait);
      } else {
        fail(`conn_init: ${ack.error_code || "unknown error"} ${ack.error_msg || ""}`);
      }
    } else if (message.type === FORCED_HANGUP) {
      const reason = (payload.hangup || {}).hangup_reason || "unknown";
      log(`the session was hung up: ${reason}`);
      end();
    } else if (message.type === ERROR) {
      log(`signaling error: ${JSON.stringify(payload.error || payload)}`);
    } else {
      log(`message type ${message.type}: ${JSON.stringify(payload)}`);
    }
  }

  // -- the end ----------------------------------------------------------------------------
  async function hangup() {
    if (call.hungUp) return;
    log("hanging up");
    const bye = (sock) => {
      send(sock, HANGUP, { hangup: { hangup_reason: "user_end" } });
      setTimeout(() => sock.close(1000, "hung up"), 2000);  // the server closes first, normally
    };
    clearTimeout(retryTimer);
    if (ws && ws.readyState === WebSocket.OPEN) bye(ws);
    else if (ws) { const sock = ws; sock.addEventListener("open", () => bye(sock)); }
    else if (!FINAL.includes(call.session)) connect(bye);  // between NOT_READY retries: a socket just to hang up
    await end();
  }

  async function end() {
    call.hungUp = true;
    $("hangup").disabled = true;
    clearTimeout(retryTimer);
    await leaveRtc();
  }

  function finish() {
    if (call.finished) return;
    call.finished = true;
    clearTimeout(pollTimer);
    if (!call.hungUp) end();
    log("session ended");
  }

  // -- wiring -----------------------------------------------------------------------------
  window.addEventListener("pagehide", () => {  // the tab goes away mid-call: leave the channel
    if (call.peerId) fetch(`/_emulator/rtc/sdp/${encodeURIComponent(call.peerId)}`, {
      method: "DELETE", keepalive: true, headers: adminToken ? { Authorization: `Bearer ${adminToken}` } : {},
    });
  });
  $("live-id").textContent = liveId;
  $("hangup").addEventListener("click", hangup);
  $("play-audio").addEventListener("click", () => { $("bot-audio").play(); $("play-audio").hidden = true; });
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    key = $("key").value.trim().replace(/^Token\s+/i, "");
    if (key) start();
  });
  key = (fragment.get("key") || "").replace(/^Token\s+/i, "");
  if (key) start();
  else $("key-form").hidden = false;
})();
