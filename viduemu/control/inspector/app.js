// The inspector's shell: the hash router (#view/arg), the header clock, and the poll loop that
// re-reads the control plane every second (?poll=ms to change it) and re-renders the open view.

import { $, api, clockTime, esc, when } from "./util.js";
import overview from "./overview.js";
import tasks from "./tasks.js";
import lives from "./lives.js";
import requests from "./requests.js";
import faults from "./faults.js";

const VIEWS = { overview, tasks, lives, requests, faults };
const POLL_MS = Number(new URLSearchParams(location.search).get("poll")) || 1000;

// State the page shares with its views and shows to tests (window.inspector).
const state = { view: null, arg: null, refreshes: 0, error: null, clock: null, busy: false };
window.inspector = state;

export function showStatus(message, kind = "error") {
  const status = $("#status");
  status.hidden = !message;
  status.className = kind;
  status.textContent = message || "";
  state.error = kind === "error" ? message : null;
}

// Run an action (a POST/PUT/DELETE), report its failure, then refresh at once.
export async function act(action) {
  try {
    const result = await action();
    showStatus("");
    return result;
  } catch (err) {
    showStatus(err.message);
    return null;
  } finally {
    await refresh();
  }
}
state.act = act;

function route() {
  const [name, ...rest] = (location.hash.replace(/^#/, "") || "overview").split("/");
  return { name: VIEWS[name] ? name : "overview", arg: rest.length ? decodeURIComponent(rest.join("/")) : null };
}

function open() {
  const { name, arg } = route();
  state.view = name;
  state.arg = arg;
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.dataset.view === name);
  }
  const root = $("#view");
  root.innerHTML = "";
  root.className = `view-${name}`;
  VIEWS[name].mount(root, arg, state);
  refresh();
}

function showClock(clock) {
  state.clock = clock;
  const now = $("#clock-now");
  now.textContent = clockTime(clock.now);
  now.title = `virtual time ${when(clock.now)} UTC`;
  $("#clock-mode").innerHTML = esc(clock.mode === "speed" ? `speed ×${clock.speed}` : clock.mode);
}

let pending = null;
export function refresh() {
  // One refresh at a time; a call while one runs waits for it and runs once more after it.
  if (pending) {
    pending.again = true;
    return pending.done;
  }
  pending = { again: false };
  pending.done = (async () => {
    do {
      pending.again = false;
      try {
        showClock(await api("GET", "/clock"));
        await VIEWS[state.view].refresh($("#view"), state.arg, state);
        state.refreshes += 1;
        if (state.error && state.error.startsWith("control plane unreachable")) showStatus("");
      } catch (err) {
        showStatus(err.status ? err.message : `control plane unreachable: ${err.message}`);
      }
    } while (pending.again);
    pending = null;
  })();
  return pending.done;
}
state.refresh = refresh;

export function advance(seconds) {
  return act(() => api("POST", "/clock/advance", { seconds }));
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-advance]");
  if (button) advance(Number(button.dataset.advance));
  const row = event.target.closest("tr[data-href]");
  if (row && !event.target.closest("a, button")) location.hash = row.dataset.href;
});
window.addEventListener("hashchange", open);
open();
setInterval(refresh, POLL_MS);

// Reset, after a confirmation: everything is forgotten
const resetDialog = document.getElementById("reset-dialog");
document.getElementById("reset").addEventListener("click", () => resetDialog.showModal());
resetDialog.addEventListener("close", () => {
  if (resetDialog.returnValue === "reset") act(() => api("POST", "/reset"));
});
