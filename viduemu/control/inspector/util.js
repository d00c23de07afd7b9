// Shared helpers of the inspector: the control-plane client, formatting and small DOM tools.

const TOKEN_KEY = "viduemu.adminToken";

// #admin=T (for a server started with --admin-token; alone or after the view: #tasks&admin=T) is
// kept for this tab and dropped from the address bar. A fragment never leaves the browser.
(() => {
  const found = location.hash.match(/[#&]admin=([^&]*)/);
  if (found) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(found[1]));
    const rest = location.hash.replace(/[#&]admin=[^&]*/, "").replace(/^&/, "");
    history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest.replace(/^#/, "") : ""));
  }
})();

export const adminToken = () => sessionStorage.getItem(TOKEN_KEY);

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.reason ? `${status} ${body.reason}: ${body.message}` : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// A control-plane call: api("GET", "/clock"), api("POST", "/faults", {...}).
export async function api(method, path, body) {
  const headers = {};
  const token = adminToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/_emulator${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);

// Virtual unix seconds as "2026-11-21 07:59:17.827" (UTC).
export function when(seconds) {
  if (seconds === null || seconds === undefined || seconds === 0) return "–";
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 23);
}

export const clockTime = (seconds) => when(seconds).slice(11);

export function secs(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return `${Number(value).toFixed(digits).replace(/\.0+$/, "")} s`;
}

export const json = (value) => esc(JSON.stringify(value, null, 2));

export function badge(text, kind = text) {
  return `<span class="badge badge-${esc(kind)}">${esc(text)}</span>`;
}

// Replace an element's HTML only when it changed (keeps focus, scroll and playing media).
export function patch(element, html) {
  if (element && element.dataset.html !== html) {
    element.innerHTML = html;
    element.dataset.html = html;
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);

export function table(columns, rows, options = {}) {
  if (!rows.length) return `<p class="empty">${esc(options.empty || "nothing yet")}</p>`;
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const body = rows.map((r) => {
    const attrs = r.href ? ` data-href="${esc(r.href)}" class="link"` : "";
    return `<tr${attrs}>${r.cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  }).join("");
  return `<div class="scroll"><table class="${esc(options.className || "")}"><thead><tr>${head}</tr></thead>`
    + `<tbody>${body}</tbody></table></div>`;
}

export function countBy(items, key) {
  const counts = {};
  for (const item of items) counts[item[key]] = (counts[item[key]] || 0) + 1;
  return counts;
}

// Selected value of a filter <select>, or "" for any.
export function options(values, selected, anyLabel = "any") {
  const unique = [...new Set(values.filter((v) => v !== null && v !== undefined && v !== ""))].sort();
  return [`<option value="">${esc(anyLabel)}</option>`]
    .concat(unique.map((v) => `<option${v === selected ? " selected" : ""}>${esc(v)}</option>`)).join("");
}
