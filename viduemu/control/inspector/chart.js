// The billing chart of a live session (SVG): the account balance and the session's credits_cost
// over on_live time, each 6 s deduction a step (the last one, at the hangup, the final settle),
// the expected 6 s ticks as a faint grid, and the hangup marked.

import { esc } from "./util.js";

const W = 640, H = 300, LEFT = 52, RIGHT = 16, TOP = 24, GAP = 40, BOTTOM = 24;
const PANEL = (H - TOP - GAP - BOTTOM) / 2;

function steps(points, x, y) {
  // A staircase through (t, value) points: flat until the next point, then a vertical step.
  let d = `M${x(points[0][0]).toFixed(1)},${y(points[0][1]).toFixed(1)}`;
  for (let i = 1; i < points.length; i++) {
    d += ` H${x(points[i][0]).toFixed(1)} V${y(points[i][1]).toFixed(1)}`;
  }
  return d;
}

function axis(y0, label, low, high) {
  return `<text class="axis-label" x="${LEFT}" y="${y0 - 6}">${esc(label)}</text>`
    + `<text class="tick" x="${LEFT - 4}" y="${y0 + 4}" text-anchor="end">${high}</text>`
    + `<text class="tick" x="${LEFT - 4}" y="${y0 + PANEL}" text-anchor="end">${low}</text>`
    + `<line class="frame" x1="${LEFT}" x2="${W - RIGHT}" y1="${y0 + PANEL}" y2="${y0 + PANEL}"/>`;
}

export function billingChart(live) {
  const bill = live.billing;
  if (live.start_time === null) {
    return `<p class="empty" id="billing-chart-empty">never on_live: nothing billed</p>`;
  }
  const start = live.start_time;
  const end = live.end_time ?? live.now;
  const span = Math.max(end - start, bill.tick_seconds);
  const x = (t) => LEFT + ((t - start) / span) * (W - LEFT - RIGHT);
  const settle = (d) => live.end_time !== null && Math.abs(d.at - live.end_time) < 1e-6;

  const before = bill.balance_before;
  const balances = [[start, before], ...bill.deductions.map((d) => [d.at, d.balance]), [end, null]];
  balances[balances.length - 1][1] = balances[balances.length - 2][1];
  let cost = 0;
  const costs = [[start, 0], ...bill.deductions.map((d) => [d.at, (cost -= d.delta)]), [end, cost]];

  const lowBalance = Math.min(...balances.map((p) => p[1]));
  const balanceRange = Math.max(before - lowBalance, 1);
  const yBalance = (v) => TOP + (1 - (v - lowBalance) / balanceRange) * PANEL;
  const costTop = Math.max(cost, 1);
  const y1 = TOP + PANEL + GAP;
  const yCost = (v) => y1 + (1 - v / costTop) * PANEL;

  let grid = "";
  for (let t = bill.tick_seconds; t < span; t += bill.tick_seconds) {
    grid += `<line class="grid" x1="${x(start + t).toFixed(1)}" x2="${x(start + t).toFixed(1)}" y1="${TOP}" y2="${y1 + PANEL}"/>`;
  }
  const marks = bill.deductions.map((d, i) => {
    const kind = settle(d) ? "deduction settle" : "deduction";
    const at = (d.at - start).toFixed(3).replace(/\.?0+$/, "");
    return `<g class="${kind}" data-at="${at}" data-delta="${d.delta}"><title>+${at} s: ${d.delta} credits `
      + `(balance ${d.balance})${settle(d) ? ", final settle at the hangup" : ""}</title>`
      + `<circle cx="${x(d.at).toFixed(1)}" cy="${yBalance(d.balance).toFixed(1)}" r="3.5"/>`
      + `<circle cx="${x(d.at).toFixed(1)}" cy="${yCost(costs[i + 1][1]).toFixed(1)}" r="3.5"/></g>`;
  }).join("");
  const hangup = live.end_time === null ? "" : `<g class="hangup"><line x1="${x(live.end_time).toFixed(1)}" `
    + `x2="${x(live.end_time).toFixed(1)}" y1="${TOP - 4}" y2="${y1 + PANEL}"/>`
    + `<text x="${(x(live.end_time) - 4).toFixed(1)}" y="${TOP - 8}" text-anchor="end">hangup: `
    + `${esc(live.hangup_reason || live.close_reason)}</text></g>`;
  const labels = [0, span / 2, span].map((t) => `<text class="tick" x="${x(start + t).toFixed(1)}" `
    + `y="${H - 10}" text-anchor="middle">${t.toFixed(0)} s</text>`).join("");

  return `<svg id="billing-chart" viewBox="0 0 ${W} ${H}" role="img" data-deductions="${bill.deductions.length}"
      data-credits-cost="${cost}" aria-label="billing: ${bill.deductions.length} deductions, ${cost} credits">
    ${grid}${axis(TOP, "balance", lowBalance, before)}${axis(y1, "credits_cost", 0, costTop)}
    <path class="balance" d="${steps(balances, x, yBalance)}"/>
    <path class="cost" d="${steps(costs, x, yCost)}"/>
    ${marks}${hangup}${labels}
  </svg>
  <p class="legend"><span class="key balance"></span>balance <span class="key cost"></span>credits_cost
    · each dot a deduction (every ${bill.tick_seconds} s of on_live time; the last one settles the rest at the
    hangup) · ${bill.credits_per_unit} credits per ${bill.unit_seconds} s, rounded up</p>`;
}
