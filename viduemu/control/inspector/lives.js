// Live sessions: the table; a session's timings, heartbeat health, billing chart, WebSocket
// messages; a button to the call page and one per documented hangup reason.

import { $, adminToken, api, badge, esc, json, options, patch, secs, table, when } from "./util.js";
import { billingChart } from "./chart.js";

export const HANGUP_REASONS = ["user_end", "timeout", "audit_violation", "credit_insufficient", "sip_closed",
  "provider_closed", "sip_reconnect_timeout", "client_reconnect_timeout", "prepared_sip_disconnected",
  "owner_taken_over", "owner_lease_lost", "ai_output_closed", "external"];
const TYPES = { 0: "error", 1: "conn_init", 2: "conn_init_ack", 5: "hangup", 6: "hangup (forced)",
  7: "audio_interrupted", 9: "user transcript", 10: "character transcript", 99: "text_msg" };
const ENDABLE = ["waiting", "on_live"];

function list(root) {
  root.innerHTML = `
    <section class="card wide">
      <h2>Live sessions</h2>
      <form id="live-filters" class="row filters">
        <label>account <select name="api_key"></select></label>
        <label>status <select name="status"></select></label>
      </form>
      <div id="live-table"></div>
    </section>`;
  $("#live-filters", root).addEventListener("change", () => window.inspector.refresh());
}

async function refreshList(root) {
  const all = (await api("GET", "/lives")).lives;
  const form = $("#live-filters", root);
  const chosen = Object.fromEntries(new FormData(form));
  patch(form.api_key, options(all.map((l) => l.api_key), chosen.api_key));
  patch(form.status, options(["waiting", "on_live", "ending", "ended"], chosen.status));
  const shown = all.filter((l) => (!chosen.api_key || l.api_key === chosen.api_key)
    && (!chosen.status || l.status === chosen.status)).reverse();
  patch($("#live-table", root), table(["session", "account", "mode", "status", "on_live", "credits_cost", "hangup", "created"],
    shown.map((l) => ({
      href: `lives/${l.id}`,
      cells: [`<a href="#lives/${esc(l.id)}"><code>${esc(l.id)}</code></a>`, `<code>${esc(l.api_key)}</code>`,
        esc(l.call_mode), badge(l.status), esc(secs(l.on_live_seconds)), esc(l.credits_cost),
        esc(l.hangup_reason || "–"), esc(when(l.created_at))],
    })), { empty: all.length ? "no session matches the filters" : "no live session yet", className: "lives" }));
}

function detail(root, liveId) {
  root.innerHTML = `
    <p><a href="#lives">← all sessions</a></p>
    <section class="card"><h2>Live session <code>${esc(liveId)}</code></h2>
      <div id="live-facts"></div>
      <p class="row"><a class="button" id="open-call" target="_blank" rel="noopener">Open the call page</a></p>
    </section>
    <section class="card"><h2>Force a hangup</h2>
      <div class="row hangups" id="hangup-buttons">${HANGUP_REASONS.map((r) =>
        `<button type="button" class="danger" data-hangup="${r}">${r}</button>`).join("")}</div>
    </section>
    <section class="card"><h2>Heartbeat</h2><div id="heartbeat"></div></section>
    <section class="card wide"><h2>Billing</h2><div id="billing"></div></section>
    <section class="card wide"><h2>WebSocket messages</h2><div id="live-messages"></div></section>`;
  $("#hangup-buttons", root).addEventListener("click", (event) => {
    const button = event.target.closest("[data-hangup]");
    if (button) {
      window.inspector.act(() => api("POST", `/lives/${encodeURIComponent(liveId)}/hangup`,
        { hangup_reason: button.dataset.hangup }));
    }
  });
}

function heartbeat(conn) {
  if (!conn.connected) {
    return `<p id="heartbeat-state">${badge("no client", "failed")} ${conn.disconnected_at
      ? `disconnected at ${esc(when(conn.disconnected_at))}` : "no signaling client connected"}</p>`;
  }
  const healthy = !conn.ping_unanswered || conn.silent_for < conn.heartbeat_timeout;
  return `<p id="heartbeat-state">${badge(healthy ? "healthy" : "silent", healthy ? "success" : "failed")}</p>
    <dl class="facts"><dt>last heard</dt><dd>${esc(secs(conn.silent_for))} ago</dd>
    <dt>ping unanswered</dt><dd>${conn.ping_unanswered ? "yes" : "no"}</dd>
    <dt>server pings every</dt><dd>${esc(secs(conn.heartbeat_interval))}</dd>
    <dt>drops after</dt><dd>${esc(secs(conn.heartbeat_timeout))} silent</dd></dl>`;
}

function messages(live) {
  return table(["at", "+s", "dir", "type", "message"], live.messages.map((m) => {
    const message = m.message || {};
    const type = message.type !== undefined ? (TYPES[message.type] || message.type)
      : message.close ? `close ${message.close}` : Object.keys(message)[0];
    return {
      cells: [esc(when(m.at).slice(11)), esc((m.at - live.created_at).toFixed(1)),
        m.dir === "in" ? "→ in" : "← out", esc(type),
        `<details><summary><code>${esc(JSON.stringify(message.payload ?? message).slice(0, 80))}</code></summary>`
        + `<pre>${json(message)}</pre></details>`],
    };
  }), { empty: "no signaling message yet", className: "messages" });
}

async function refreshDetail(root, liveId) {
  const live = await api("GET", `/lives/${encodeURIComponent(liveId)}`);
  patch($("#live-facts", root), `<dl class="facts">
    <dt>status</dt><dd id="live-status">${badge(live.status)}</dd>
    <dt>account</dt><dd><code>${esc(live.api_key)}</code></dd>
    <dt>call mode</dt><dd>${esc(live.call_mode)}</dd><dt>character</dt><dd>${esc(live.avatar.name || "–")}
      (${esc(live.avatar.voice || "")})</dd>
    <dt>created</dt><dd>${esc(when(live.created_at))}</dd>
    <dt>on_live from</dt><dd>${esc(when(live.start_time))}</dd><dt>ended</dt><dd>${esc(when(live.end_time))}</dd>
    <dt>on_live time</dt><dd>${esc(secs(live.on_live_seconds))} of ${esc(live.live_duration)} s</dd>
    <dt>billed</dt><dd id="live-cost">${esc(live.credits_cost)} credits for ${esc(live.billed_seconds)} s</dd>
    <dt>hangup</dt><dd>${esc(live.hangup_reason || "–")}${live.close_reason && live.close_reason !== live.hangup_reason
      ? ` (close: ${esc(live.close_reason)})` : ""}</dd></dl>`);
  const admin = adminToken() ? `&admin=${encodeURIComponent(adminToken())}` : "";
  $("#open-call", root).href = `/_emulator/call/${encodeURIComponent(live.id)}#key=${encodeURIComponent(live.api_key)}${admin}`;
  for (const button of root.querySelectorAll("[data-hangup]")) button.disabled = !ENDABLE.includes(live.status);
  patch($("#billing", root), billingChart(live));
  patch($("#heartbeat", root), heartbeat(live.connection));
  patch($("#live-messages", root), messages(live));
}

export default {
  mount(root, arg) { (arg ? detail : list)(root, arg); },
  refresh(root, arg) { return arg ? refreshDetail(root, arg) : refreshList(root); },
};
