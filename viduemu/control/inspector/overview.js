// Overview: the clock (mode, speed, advance), accounts with balances, tasks by state, lives by status.

import { $, api, badge, countBy, esc, patch, table, when } from "./util.js";

const TASK_STATES = ["created", "queueing", "processing", "success", "failed"];
const LIVE_STATES = ["waiting", "on_live", "ending", "ended"];

function counts(all, states) {
  const by = countBy(all, states === TASK_STATES ? "state" : "status");
  return `<ul class="counts">${states.map((s) => `<li>${badge(s)}<strong>${by[s] || 0}</strong></li>`).join("")}</ul>`;
}

export default {
  mount(root, arg, page) {
    root.innerHTML = `
      <section class="card" id="clock-card">
        <h2>Clock</h2>
        <div id="clock-facts"></div>
        <form id="clock-mode-form" class="row">
          <label>mode <select name="mode"><option>manual</option><option>real</option><option>speed</option></select></label>
          <label>speed <input name="speed" type="number" min="0.001" step="any" value="1"></label>
          <button type="submit">Switch</button>
        </form>
        <form id="advance-form" class="row">
          <button type="button" data-advance="5">+5 s</button>
          <button type="button" data-advance="60">+1 min</button>
          <button type="button" data-advance="600">+10 min</button>
          <label>custom <input name="seconds" type="number" min="0" step="any" placeholder="seconds" required></label>
          <button type="submit">Advance</button>
        </form>
      </section>
      <section class="card"><h2>Tasks by state</h2><div id="task-counts"></div></section>
      <section class="card"><h2>Live sessions by status</h2><div id="live-counts"></div></section>
      <section class="card wide"><h2>Accounts</h2><div id="accounts"></div></section>`;
    $("#clock-mode-form", root).addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const body = { mode: form.get("mode") };
      if (form.get("mode") === "speed") body.speed = Number(form.get("speed"));
      page.act(() => api("PUT", "/clock", body));
    });
    $("#advance-form", root).addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = Number(new FormData(event.target).get("seconds"));
      page.act(() => api("POST", "/clock/advance", { seconds }));
    });
    this.synced = false;
  },

  async refresh(root, arg, page) {
    const [accounts, tasks, lives] = await Promise.all([
      api("GET", "/accounts"), api("GET", "/tasks"), api("GET", "/lives").catch(() => ({ lives: [] }))]);
    const clock = page.clock;
    patch($("#clock-facts", root), `<dl class="facts"><dt>now</dt><dd id="overview-now">${esc(when(clock.now))} UTC</dd>`
      + `<dt>mode</dt><dd id="overview-mode">${esc(clock.mode)}</dd><dt>speed</dt><dd>×${esc(clock.speed)}</dd></dl>`);
    if (!this.synced) {  // the form starts from the clock's state, then is the user's
      const form = $("#clock-mode-form", root);
      form.mode.value = clock.mode;
      form.speed.value = clock.speed;
      this.synced = true;
    }
    patch($("#task-counts", root), counts(tasks.tasks, TASK_STATES));
    patch($("#live-counts", root), counts(lives.lives, LIVE_STATES));
    patch($("#accounts", root), table(["api key", "credits", "ledger entries"], accounts.accounts.map((a) => ({
      cells: [`<code>${esc(a.api_key)}</code>`, `<strong>${esc(a.credits)}</strong>`, esc(a.entries)],
    })), { empty: "no account yet: any vda_... key gets one on first use", className: "accounts" }));
  },
};
