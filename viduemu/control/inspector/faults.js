// Faults: the active rules (delete any), and a form that builds the control plane's fault-rule
// JSON for the common cases; the JSON is shown as it is built and can be edited before adding.

import { $, api, esc, patch, table } from "./util.js";

const KINDS = {
  not_ready: "NOT_READY on conn_init (× N)",
  init_failed: "LIVE_CONN_INIT_FAILED on conn_init",
  task_fails: "a task fails with err_code",
  http_status: "HTTP status for a path",
  delay: "delay (a path, or a task's finish)",
};
const ERR_CODES = ["CreationPolicyViolation", "InternalServiceFailure", "TaskPromptPolicyViolation",
  "AuditSubmitIllegal", "ModelUnavailable", "UserCancelled", "Canceled"];
const STATUS_REASONS = { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
  429: "TooManyRequests", 500: "InternalServiceFailure", 503: "" };
const METHODS = ["POST", "GET", "PUT", "DELETE"];

// Which inputs each kind uses (the rest are hidden).
const FIELDS = {
  not_ready: ["times"], init_failed: ["times"], task_fails: ["err_code", "times"],
  http_status: ["method", "path", "status", "reason", "times"], delay: ["target", "method", "path", "delay_ms", "times"],
};

export function buildRule(f) {
  const times = f.times === "" || f.times === undefined ? undefined : Number(f.times);
  const operation = `${f.method} ${f.path.trim()}`;
  let rule;
  if (f.kind === "not_ready" || f.kind === "init_failed") {
    rule = { match: { operation: "ws.conn_init" },
      action: { error_code: f.kind === "not_ready" ? "NOT_READY" : "LIVE_CONN_INIT_FAILED" } };
  } else if (f.kind === "task_fails") {
    rule = { match: { operation: "task.finish" }, action: { err_code: f.err_code.trim() } };
  } else if (f.kind === "http_status") {
    const action = { status: Number(f.status) };
    if (f.reason.trim()) action.reason = f.reason.trim();
    rule = { match: { operation }, action };
  } else {
    rule = { match: { operation: f.target === "task" ? "task.finish" : operation },
      action: { delay_ms: Number(f.delay_ms) } };
  }
  if (f.api_key.trim()) rule.match.api_key = f.api_key.trim();
  if (times !== undefined) rule.times = times;
  return rule;
}

function showFields(form) {
  const used = new Set([...FIELDS[form.kind.value], "kind", "api_key"]);
  const pathless = form.kind.value === "delay" && form.target.value === "task";
  for (const label of form.querySelectorAll("[data-field]")) {
    const name = label.dataset.field;
    label.hidden = !used.has(name) || (pathless && (name === "method" || name === "path"));
  }
}

function preview(form) {
  showFields(form);
  $("#fault-json").value = JSON.stringify(buildRule(Object.fromEntries(new FormData(form))), null, 2);
}

export default {
  mount(root) {
    root.innerHTML = `
      <section class="card wide"><h2>Active fault rules</h2><div id="fault-table"></div></section>
      <section class="card wide">
        <h2>Add a fault</h2>
        <form id="fault-form" class="fault-form">
          <label data-field="kind">what <select name="kind">${Object.entries(KINDS)
            .map(([v, l]) => `<option value="${v}">${esc(l)}</option>`).join("")}</select></label>
          <label data-field="target">on <select name="target"><option value="http">an HTTP path</option>
            <option value="task">a task's finish</option></select></label>
          <label data-field="method">method <select name="method">${METHODS.map((m) => `<option>${m}</option>`).join("")}</select></label>
          <label data-field="path">path <input name="path" value="/ent/v2/img2video" placeholder="/ent/v2/tasks/{task_id}/creations"></label>
          <label data-field="status">status <select name="status">${Object.keys(STATUS_REASONS)
            .map((s) => `<option${s === "429" ? " selected" : ""}>${s}</option>`).join("")}</select></label>
          <label data-field="reason">reason <input name="reason" value="TooManyRequests"></label>
          <label data-field="err_code">err_code <input name="err_code" list="err-codes" value="CreationPolicyViolation"></label>
          <datalist id="err-codes">${ERR_CODES.map((c) => `<option value="${c}">`).join("")}</datalist>
          <label data-field="delay_ms">delay ms <input name="delay_ms" type="number" min="0" value="1500"></label>
          <label data-field="api_key">only key <input name="api_key" placeholder="any key"></label>
          <label data-field="times">times <input name="times" type="number" min="1" value="1" placeholder="until deleted"></label>
          <label class="json">rule (JSON, editable) <textarea id="fault-json" name="json" rows="11" spellcheck="false"></textarea></label>
          <p class="row"><button type="submit" id="fault-add">Add fault</button></p>
        </form>
      </section>`;
    const form = $("#fault-form", root);
    form.addEventListener("input", (event) => { if (event.target.name !== "json") preview(form); });
    form.status.addEventListener("change", () => { form.reason.value = STATUS_REASONS[form.status.value]; preview(form); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let rule;
      try { rule = JSON.parse($("#fault-json").value); } catch (err) {
        window.inspector.act(() => { throw new Error(`the rule is not valid JSON: ${err.message}`); });
        return;
      }
      window.inspector.act(() => api("POST", "/faults", rule));
    });
    root.addEventListener("click", (event) => {
      const button = event.target.closest("[data-delete-fault]");
      if (button) window.inspector.act(() => api("DELETE", `/faults/${encodeURIComponent(button.dataset.deleteFault)}`));
    });
    preview(form);
  },

  async refresh(root) {
    const { faults } = await api("GET", "/faults");
    patch($("#fault-table", root), table(["id", "operation", "key", "action", "times", "hits", ""], faults.map((f) => ({
      cells: [`<code>${esc(f.id)}</code>`, `<code>${esc(f.match.operation)}</code>`, esc(f.match.api_key || "any"),
        `<code>${esc(JSON.stringify(f.action))}</code>`, esc(f.times ?? "until deleted"), esc(f.hits),
        `<button type="button" class="danger" data-delete-fault="${esc(f.id)}">Delete</button>`],
    })), { empty: "no fault rule: the emulator behaves", className: "faults" }));
  },
};
