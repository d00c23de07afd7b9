#!/usr/bin/env bash
# The documented full schemathesis run (issue 7): every operation of contracts/openapi.yaml, every
# phase (examples, coverage, fuzzing, stateful), every check, a fixed seed, against a real
# `viduemu serve` started here on a free port.
#
#   scripts/schemathesis_full.sh [EXAMPLES [SEED]]      # defaults: 100 examples per operation, seed 42
#
# The server runs with `--clock manual --seed 1 --log-level warning`: a manual clock, so nothing moves
# unless the run itself calls /_emulator/clock/advance (tasks, lives and timers then run in order, not
# racing the run's requests); a fixed id seed, so a run repeats exactly. schemathesis.toml (repository
# root) gives the aggregator its Bearer key and says where the schema cannot decide acceptance alone.
#
# Environment: PYTHON (default /work/venv/bin/python if present, else python3), SCHEMATHESIS (default:
# the schemathesis next to PYTHON), KEEP=1 keeps the temporary directory (server.log, the report).
#
# Exit status: 0 no failure and a clean server log; 1 schemathesis found failures, or the server logged
# an error or a traceback; 3 a prerequisite is missing or the server did not start.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXAMPLES=${1:-100}
SEED=${2:-42}
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /work/venv/bin/python ]]; then PYTHON=/work/venv/bin/python; else PYTHON=python3; fi
fi
SCHEMATHESIS=${SCHEMATHESIS:-$(dirname "$PYTHON")/schemathesis}
[[ -x "$SCHEMATHESIS" ]] || SCHEMATHESIS=$(command -v schemathesis) || { echo "schemathesis not found"; exit 3; }

WORK=$(mktemp -d)
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$ROOT"
PYTHONPATH="$ROOT" "$PYTHON" -m viduemu serve --port "$PORT" --clock manual --seed 1 --log-level warning \
  >"$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  if [[ -n "${KEEP:-}" ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

for _ in $(seq 150); do
  curl -fs "http://127.0.0.1:$PORT/_emulator/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; echo "the server exited"; exit 3; }
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/_emulator/health" >/dev/null || { echo "the server did not start"; exit 3; }

status=0
"$SCHEMATHESIS" run contracts/openapi.yaml --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Token vda_schemathesis" --checks all --phases examples,coverage,fuzzing,stateful \
  --seed "$SEED" --max-examples "$EXAMPLES" --workers 1 --no-color \
  --report junit --report-dir "$WORK/report" || status=1

# Every answer above was < 500 (the checks say so); an exception may still have been logged by a
# background task (a timer, a callback delivery) or by uvicorn itself.
if grep -E "Traceback|ERROR|Exception in ASGI" "$WORK/server.log"; then
  echo "the server logged an error (above)"
  status=1
fi
curl -fs "http://127.0.0.1:$PORT/_emulator/health" >/dev/null || { echo "the server no longer answers health"; status=1; }
exit $status
