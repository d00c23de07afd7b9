#!/usr/bin/env bash
# Run the vendor's Node quickstart (shengshu-ai/vidu-s1-api, examples/node-quickstart), unmodified,
# against `viduemu serve --tls`, and drive it as its browser page would (scripts/node_quickstart_driver.py).
#
#   scripts/run_node_quickstart.sh [REPO]
#
# REPO: a checkout or a git directory of shengshu-ai/vidu-s1-api (default: $VIDU_S1_API_REPO, else
# /work/.mirror/shengshu-ai+vidu-s1-api/repo). Nothing of it is copied into this repository: the example
# is exported to a temporary directory and its dependencies installed there with `npm ci`.
#
# Environment: PYTHON (an interpreter with viduemu's dependencies; default /work/venv/bin/python if
# present, else python3), VIDUEMU_PORT / NODE_QUICKSTART_PORT (default: free ports), KEEP=1 (keep the
# temporary directory with viduemu.log and node.log), HOLD (seconds on_live before hanging up, default 7).
#
# Exit status: 0 passed; 1 a check failed; 2 the live API is not in this viduemu yet; 3 a prerequisite
# (node >= 20, npm, git, the repository) is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=${1:-${VIDU_S1_API_REPO:-/work/.mirror/shengshu-ai+vidu-s1-api/repo}}
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /work/venv/bin/python ]]; then PYTHON=/work/venv/bin/python; else PYTHON=python3; fi
fi
KEY=vda_node_quickstart

say() { printf '%s\n' "$*"; }
need() { command -v "$1" >/dev/null || { say "missing prerequisite: $1"; exit 3; }; }
need node; need npm; need git; need curl
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { say "the quickstart needs node >= 20 (package.json engines), found $(node --version)"; exit 3; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/viduemu-node-quickstart.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP:-0}" == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# 1. The example, exported as it is in the vendor's repository (its .env files are looked up in the
#    example's folder and two levels up: neither exists in $WORK, so only our environment counts).
if [[ -d "$REPO/examples/node-quickstart" ]]; then
  mkdir -p "$WORK/examples" && cp -R "$REPO/examples/node-quickstart" "$WORK/examples/"
  COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
elif git --git-dir="$REPO" cat-file -e HEAD:examples/node-quickstart/server.js 2>/dev/null; then
  git --git-dir="$REPO" archive --format=tar HEAD examples/node-quickstart | tar -x -C "$WORK"
  COMMIT=$(git --git-dir="$REPO" rev-parse --short HEAD)
else
  say "no shengshu-ai/vidu-s1-api copy at '$REPO' (pass it as the first argument or VIDU_S1_API_REPO)"; exit 3
fi
EXAMPLE="$WORK/examples/node-quickstart"
say "vendor quickstart at commit $COMMIT, in $EXAMPLE"
(cd "$EXAMPLE" && npm ci --no-audit --no-fund --loglevel=error) || { say "npm ci failed"; exit 3; }

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
VIDUEMU_PORT=${VIDUEMU_PORT:-$(free_port)}
NODE_PORT=${NODE_QUICKSTART_PORT:-$(free_port)}

# 2. viduemu over TLS, on the real clock (the quickstart's retry timers are wall-clock timers). With
#    --state its self-signed certificate is written beside the state file.
(cd "$ROOT" && PYTHONPATH="$ROOT" exec "$PYTHON" -m viduemu serve --tls --port "$VIDUEMU_PORT" \
    --state "$WORK/viduemu.sqlite" >"$WORK/viduemu.log" 2>&1) &
PIDS+=($!)
CERT="$WORK/viduemu-cert.pem"
EMU="https://127.0.0.1:$VIDUEMU_PORT"
for _ in $(seq 150); do
  [[ -f "$CERT" ]] && curl -fsS --cacert "$CERT" "$EMU/_emulator/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS --cacert "$CERT" "$EMU/_emulator/health" >/dev/null || { say "viduemu did not start:"; cat "$WORK/viduemu.log"; exit 1; }
say "viduemu serving $EMU"

PROBE=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CERT" -X POST "$EMU/live/v1/lives" \
  -H "Authorization: Token $KEY" -H 'Content-Type: application/json' -d '{}')
if [[ "$PROBE" == 404 ]]; then
  say "live API not implemented yet: POST /live/v1/lives answers 404 on this viduemu"; exit 2
fi

# 3. The quickstart, configured only through its documented environment variables.
(cd "$EXAMPLE" && VIDU_HOST="127.0.0.1:$VIDUEMU_PORT" VIDU_API_KEY="$KEY" NODE_QUICKSTART_PORT="$NODE_PORT" \
    NODE_TLS_REJECT_UNAUTHORIZED=0 VIDU_CALL_MODE=video \
    VIDU_AVATAR_PERSONA="You are a friendly real-time avatar." VIDU_AVATAR_NAME=Tina VIDU_AVATAR_VOICE=Tina \
    exec node server.js >"$WORK/node.log" 2>&1) &
PIDS+=($!)
NODE="http://127.0.0.1:$NODE_PORT"
for _ in $(seq 100); do curl -fsS "$NODE/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$NODE/health" || { say "the quickstart did not start:"; cat "$WORK/node.log"; exit 1; }
say ""

# 4. The page's part.
status=0
PYTHONPATH="$ROOT" "$PYTHON" "$ROOT/scripts/node_quickstart_driver.py" --node "$NODE" --emulator "$EMU" \
  --cert "$CERT" --hold "${HOLD:-7}" || status=$?
if [[ $status != 0 ]]; then
  say "--- node.log"; tail -n 40 "$WORK/node.log"
  say "--- viduemu.log"; tail -n 40 "$WORK/viduemu.log"
fi
exit $status
