// Tasks: a filterable table across accounts; a task's request, state history, callbacks and media.

import { $, api, badge, clockTime, esc, json, options, patch, secs, table, when } from "./util.js";

const AGES = [["", "any time"], ["60", "last minute"], ["600", "last 10 min"], ["3600", "last hour"]];
const SIGNATURE_HEADERS = ["X-HMAC-SIGNATURE", "X-HMAC-SIGNED-HEADERS", "X-HMAC-ALGORITHM", "X-HMAC-ACCESS-KEY",
  "x-request-nonce", "Date"];

function list(root) {
  root.innerHTML = `
    <section class="card wide">
      <h2>Tasks</h2>
      <form id="task-filters" class="row filters">
        <label>account <select name="api_key"></select></label>
        <label>model <select name="model"></select></label>
        <label>state <select name="state"></select></label>
        <label>created <select name="age">${AGES.map(([v, l]) => `<option value="${v}">${l}</option>`).join("")}</select></label>
        <label>id <input type="search" name="id" placeholder="task id" autocomplete="off"></label>
      </form>
      <div id="task-table"></div>
    </section>`;
  $("#task-filters", root).addEventListener("change", () => window.inspector.refresh());
  $("#task-filters", root).addEventListener("input", () => window.inspector.refresh());
  $("#task-filters", root).addEventListener("submit", (event) => event.preventDefault());
}

async function refreshList(root, page) {
  const all = (await api("GET", "/tasks")).tasks;
  const form = $("#task-filters", root);
  const chosen = Object.fromEntries(new FormData(form));
  for (const [name, values] of [["api_key", all.map((t) => t.api_key)], ["model", all.map((t) => t.model)],
    ["state", ["created", "queueing", "processing", "success", "failed"]]]) {
    patch(form[name], options(values, chosen[name]));
  }
  const since = chosen.age ? page.clock.now - Number(chosen.age) : null;
  const shown = all.filter((t) => (!chosen.api_key || t.api_key === chosen.api_key)
    && (!chosen.model || t.model === chosen.model) && (!chosen.state || t.state === chosen.state)
    && (since === null || t.created_at >= since) && (!chosen.id || t.task_id.includes(chosen.id.trim()))).reverse();
  patch($("#task-table", root), table(["task", "account", "type", "model", "prompt", "state", "credits", "created", "updated"],
    shown.map((t) => ({
      href: `tasks/${t.task_id}`,
      cells: [`<a href="#tasks/${esc(t.task_id)}"><code>${esc(t.task_id)}</code></a>`, `<code>${esc(t.api_key)}</code>`,
        esc(t.type), esc(t.model ?? "–"), `<span class="prompt" title="${esc(t.prompt)}">${esc(t.prompt || "–")}</span>`, badge(t.state) + (t.err_code ? ` <small>${esc(t.err_code)}</small>` : ""),
        esc(t.credits), esc(when(t.created_at)), esc(when(t.updated_at))],
    })), { empty: all.length ? "no task matches the filters" : "no task yet", className: "tasks" }));
}

function detail(root, taskId) {
  root.innerHTML = `
    <p><a href="#tasks">← all tasks</a></p>
    <section class="card"><h2>Task <code>${esc(taskId)}</code></h2><div id="task-facts"></div></section>
    <section class="card" id="task-media"><h2>Media</h2><div id="task-media-body"></div></section>
    <section class="card"><h2>State history</h2><div id="task-history"></div></section>
    <section class="card wide"><h2>Callbacks</h2><div id="task-callbacks"></div></section>
    <section class="card wide"><h2>Request</h2><div id="task-request"></div></section>`;
}

function callbackRows(task) {
  return task.callbacks.map((c) => ({
    cells: [esc(c.attempt), esc(when(c.at)), c.body?.state ? badge(c.body.state) : "–",
      c.status === null ? "–" : badge(c.status, c.error ? "failed" : "success"),
      esc(c.error || ""), `<code>${esc(c.url)}</code>`,
      `<dl class="headers">${SIGNATURE_HEADERS.filter((h) => c.headers[h] !== undefined)
        .map((h) => `<dt>${esc(h)}</dt><dd><code>${esc(c.headers[h])}</code></dd>`).join("")}</dl>`,
      `<details><summary>body</summary><pre>${json(c.body)}</pre></details>`],
  }));
}

// a creation's markup by its file's kind (the URL's suffix): an image shown, an audio file playable, a video
const MEDIA = [
  [/\.(png|jpe?g|webp)$/i, (c) => `<figure><img class="image" alt="image" src="${esc(c.url)}">
      <figcaption><a href="${esc(c.url)}">image</a></figcaption></figure>`],
  [/\.(mp3|wav|m4a)$/i, (c) => `<figure><audio controls preload="metadata" src="${esc(c.url)}"></audio>
      <figcaption><a href="${esc(c.url)}">audio</a></figcaption></figure>`],
  [/./, (c) => `<figure><video controls preload="metadata" src="${esc(c.url)}" poster="${esc(c.cover_url)}"></video>
      <figcaption><a href="${esc(c.url)}">MP4</a> · <a href="${esc(c.cover_url)}">cover</a></figcaption>
      <img class="cover" alt="cover" src="${esc(c.cover_url)}"></figure>`],
];

function creationMedia(c) {
  const path = c.url.split("?")[0];
  return MEDIA.find(([suffix]) => suffix.test(path))[1](c);
}

async function refreshDetail(root, taskId) {
  const task = await api("GET", `/tasks/${encodeURIComponent(taskId)}`);
  patch($("#task-facts", root), `<dl class="facts">
    <dt>state</dt><dd id="task-state">${badge(task.state)}${task.err_code ? ` ${esc(task.err_code)}` : ""}</dd>
    <dt>account</dt><dd><code>${esc(task.api_key)}</code></dd><dt>type</dt><dd>${esc(task.type)}</dd>
    <dt>model</dt><dd>${esc(task.model ?? "–")}</dd><dt>credits</dt><dd>${esc(task.credits)}</dd>
    <dt>off-peak</dt><dd>${task.off_peak ? "yes" : "no"}</dd><dt>created</dt><dd>${esc(when(task.created_at))}</dd>
    <dt>callback_url</dt><dd>${task.callback_url ? `<code>${esc(task.callback_url)}</code>` : "–"}</dd></dl>`);
  patch($("#task-media-body", root), task.creations.length
    ? task.creations.map(creationMedia).join("")
    : `<p class="empty">${task.state === "failed" ? "failed: no media" : "media appears when the task succeeds"}</p>`);
  patch($("#task-history", root), table(["state", "at", "+"], task.history.map((h) => ({
    cells: [badge(h.state), esc(clockTime(h.at)), esc(secs(h.at - task.created_at, 3))],
  })), { className: "history" }));
  patch($("#task-callbacks", root), task.callback_url
    ? table(["attempt", "at", "state carried", "status", "error", "url", "signature headers", "body"], callbackRows(task),
      { empty: "no delivery yet", className: "callbacks" })
      + (task.callbacks_pending ? `<p>${esc(task.callbacks_pending)} callback(s) waiting to be delivered</p>` : "")
    : `<p class="empty">no callback_url: no callbacks</p>`);
  patch($("#task-request", root), `<pre>${json(task.request)}</pre>`);
}

export default {
  mount(root, arg) { (arg ? detail : list)(root, arg); },
  refresh(root, arg, page) { return arg ? refreshDetail(root, arg) : refreshList(root, page); },
};
