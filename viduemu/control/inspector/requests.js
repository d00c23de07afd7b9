// Requests: the request journal, newest first, filtered by status and path; a request's detail
// shows the first 4 KB of its body and of the answer (kept for the latest 500 requests).

import { $, api, badge, esc, patch, table, when } from "./util.js";

const STATUS = [["", "any"], ["2", "2xx"], ["4", "4xx"], ["5", "5xx"], ["err", "errors (4xx, 5xx)"]];
const SHOWN = 300;

function statusClass(status) {
  return status < 300 ? "success" : status < 500 ? "warning" : "failed";
}

function list(root) {
  root.innerHTML = `
    <section class="card wide">
      <h2>Requests</h2>
      <form id="request-filters" class="row filters">
        <label>status <select name="status">${STATUS.map(([v, l]) => `<option value="${v}">${l}</option>`).join("")}</select></label>
        <label>path <input name="path" type="search" placeholder="/ent/v2/..."></label>
      </form>
      <div id="request-table"></div>
    </section>`;
  const form = $("#request-filters", root);
  form.addEventListener("input", () => window.inspector.refresh());
  form.addEventListener("submit", (event) => event.preventDefault());
}

function matches(entry, status, path) {
  const code = String(entry.status);
  const statusOk = !status || (status === "err" ? entry.status >= 400 : code.startsWith(status));
  return statusOk && (!path || entry.path.includes(path));
}

async function refreshList(root) {
  const all = (await api("GET", "/requests")).requests;
  const form = $("#request-filters", root);
  const status = form.status.value, path = form.path.value.trim();
  const shown = all.filter((e) => matches(e, status, path)).reverse();
  patch($("#request-table", root), table(["at", "method", "path", "status", "reason", "latency", "key"],
    shown.slice(0, SHOWN).map((e) => ({
      href: e.trace_id ? `requests/${e.trace_id}` : null,
      cells: [esc(when(e.at)), esc(e.method), `<code>${esc(e.path)}${e.query ? "?" + esc(e.query) : ""}</code>`,
        badge(e.status, statusClass(e.status)), esc(e.reason || "") + warned(e), `${esc(e.latency_ms)} ms`,
        `<code>${esc(e.api_key || "–")}</code>`],
    })), { empty: all.length ? "no request matches the filters" : "no request yet", className: "requests" })
    + (shown.length > SHOWN ? `<p>the newest ${SHOWN} of ${shown.length} shown</p>` : ""));
}

// What the emulator accepted but ignored (the answer's Viduemu-Warning header).
function warned(e) {
  return (e.warnings || []).map((w) => ` <span class="warning" title="${esc(w)}">⚠ ${esc(w)}</span>`).join("");
}

function pretty(text, size) {
  if (text === null) return `<p class="empty">no longer kept (only the latest requests' bodies are)</p>`;
  if (!size) return `<p class="empty">empty</p>`;
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* cut or not JSON: as is */ }
  const cut = size > new TextEncoder().encode(text).length;
  return `<pre>${esc(shown)}</pre>${cut ? `<p>first 4 KB of ${esc(size)} bytes</p>` : ""}`;
}

function detail(root, traceId) {
  root.innerHTML = `
    <p><a href="#requests">← all requests</a></p>
    <section class="card wide"><h2>Request <code>${esc(traceId)}</code></h2><div id="request-facts"></div></section>
    <section class="card"><h2>Body</h2><div id="request-body"></div></section>
    <section class="card"><h2>Answer</h2><div id="response-body"></div></section>`;
}

async function refreshDetail(root, traceId) {
  const e = await api("GET", `/requests/${encodeURIComponent(traceId)}`);
  patch($("#request-facts", root), `<dl class="facts"><dt>at</dt><dd>${esc(when(e.at))}</dd>
    <dt>call</dt><dd><code>${esc(e.method)} ${esc(e.path)}${e.query ? "?" + esc(e.query) : ""}</code></dd>
    <dt>status</dt><dd>${badge(e.status, statusClass(e.status))} ${esc(e.reason || "")}</dd>
    <dt>latency</dt><dd>${esc(e.latency_ms)} ms</dd><dt>key</dt><dd><code>${esc(e.api_key || "–")}</code></dd>
    <dt>trace id</dt><dd><code>${esc(e.trace_id)}</code></dd>
    ${e.warnings ? `<dt>warnings</dt><dd class="warnings">${e.warnings.map(esc).join("<br>")}</dd>` : ""}</dl>`);
  patch($("#request-body", root), pretty(e.request_body, e.request_bytes));
  patch($("#response-body", root), pretty(e.response_body, e.response_bytes));
}

export default {
  mount(root, arg) { (arg ? detail : list)(root, arg); },
  refresh(root, arg) { return arg ? refreshDetail(root, arg) : refreshList(root); },
};
