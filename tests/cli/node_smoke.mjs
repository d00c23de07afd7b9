// A Node suite's smallest test, run by `viduemu exec --clock manual -- node tests/cli/node_smoke.mjs`:
// everything it knows of the emulator comes from the environment viduemu exec sets.
const base = process.env.VIDU_BASE_URL;
const auth = { Authorization: `Token ${process.env.VIDU_API_KEY}`, "Content-Type": "application/json" };

async function call(method, url, body) {
  const r = await fetch(url, { method, headers: auth, body: body && JSON.stringify(body) });
  const answer = await r.json();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(answer)}`);
  return answer;
}

const task = await call("POST", `${base}/ent/v2/img2video`,
  { model: "viduq1", images: ["https://example.com/a.png"], prompt: "a lighthouse at dusk" });
await call("POST", `${process.env.VIDUEMU_URL}/_emulator/clock/advance`, { seconds: 120 });
const done = await call("GET", `${base}/ent/v2/tasks/${task.task_id}/creations`);
if (done.state !== "success" || !done.creations[0]?.url) throw new Error(`not finished: ${JSON.stringify(done)}`);
const video = await fetch(done.creations[0].url);
if (!video.ok || (await video.arrayBuffer()).byteLength === 0) throw new Error(`no video at ${done.creations[0].url}`);
console.log(`node: ${task.task_id} ${done.state}, video ${done.creations[0].url}`);
