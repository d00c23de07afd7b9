"""``viduemu replay DIR``: the recorded requests sent to a fresh emulator (manual clock, advanced by the
recorded gaps), each answer compared with the recorded real one: status, reason, shape (keys and types)
and the values of fields that are not per-run (ids, times, URLs, balances).

Ids the real service gave (a task id in a create's answer) are mapped to the emulator's as they appear,
so a later query of the same task asks the emulator about its own task. WebSocket sessions are listed,
not replayed (their messages depend on timing and media the recording does not hold).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from viduemu.proxy.recording import decode_body, load

# Values that differ on every run, real or emulated: not compared, only their presence and type.
PER_RUN = re.compile(r"(?i)(^|_)(id|ids|at|url|urls|uri|time|token|sig|trace_id|etag|credits|remain\w*|"
                     r"balance|created|updated|expires\w*|cover\w*|seed)$|_(at|url|id)$")
ID_KEY = re.compile(r"(?i)(^|_)id$")
REPLAY_KEY = "vda_replay"


@dataclass
class Difference:
    kind: str       # status | reason | shape | field
    where: str      # "status", or the field's path in the answer ("creations[0].url")
    recorded: str   # the real service's
    emulator: str


@dataclass
class Exchange:
    n: int
    request: str
    recorded_status: int | None
    emulator_status: int | None
    differences: list[Difference] = field(default_factory=list)
    note: str = ""


@dataclass
class ReplayReport:
    source: str
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(len(e.differences) for e in self.exchanges)

    def text(self) -> str:
        lines = [f"replay of {self.source}: {len(self.exchanges)} exchange(s), "
                 f"{self.differences} difference(s) between the real answers and the emulator's"]
        for e in self.exchanges:
            verdict = e.note or ("same" if not e.differences else f"{len(e.differences)} difference(s)")
            lines.append(f"#{e.n} {e.request}: real {e.recorded_status}, emulator {e.emulator_status}: {verdict}")
            lines += [f"    [{d.kind}] {d.where}: real {d.recorded}, emulator {d.emulator}" for d in e.differences]
        return "\n".join(lines)

    def write(self, path: str | Path) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"source": self.source, "differences": self.differences,
                       "exchanges": [asdict(e) for e in self.exchanges]}, f, indent=2, ensure_ascii=False)
        with open(f"{path}.txt", "w", encoding="utf-8") as f:
            f.write(self.text() + "\n")


def replay(directory: str | Path, seed: int = 0) -> ReplayReport:
    from viduemu.background import BackgroundEmulator
    from viduemu.config import Settings

    exchanges = load(directory)
    report = ReplayReport(str(directory))
    ids: dict[str, str] = {}
    with BackgroundEmulator(Settings(clock="manual", seed=seed, log_level="warning")) as emulator, \
            httpx.Client(base_url=emulator.base_url, timeout=60) as http:
        last_at: float | None = None
        for recorded in exchanges:
            if last_at is not None and recorded["at"] > last_at:
                http.post("/_emulator/clock/advance", json={"seconds": recorded["at"] - last_at})
            last_at = recorded["at"]
            report.exchanges.append(replay_one(http, recorded, ids))
    return report


def replay_one(http: httpx.Client, recorded: dict[str, Any], ids: dict[str, str]) -> Exchange:
    if recorded["kind"] != "http":
        return Exchange(recorded["n"], f"WebSocket {recorded['path']}", recorded.get("status"), None,
                        note=f"not replayed ({len(recorded.get('messages', []))} messages recorded)")
    method, path, query = recorded["method"], substitute(recorded["path"], ids), substitute(recorded["query"], ids)
    exchange = Exchange(recorded["n"], f"{method} {recorded['path']}", recorded["status"], None)
    if "omitted" in recorded["request_body"]:
        exchange.note = "not replayed (the request body was too large to record)"
        return exchange
    body = substitute(decode_body(recorded["request_body"]).decode("utf-8", "replace"), ids).encode()
    headers = {"Authorization": f"Token {REPLAY_KEY}"}
    if "content-type" in recorded["request_headers"]:
        headers["Content-Type"] = recorded["request_headers"]["content-type"]
    answer = http.request(method, path + (f"?{query}" if query else ""), headers=headers, content=body or None)
    exchange.emulator_status = answer.status_code
    real, emulated = recorded["response_body"].get("json"), _json(answer)
    if recorded["status"] != answer.status_code:
        exchange.differences.append(Difference("status", "status", str(recorded["status"]), str(answer.status_code)))
    if isinstance(real, dict) and isinstance(emulated, dict) and real.get("reason") != emulated.get("reason") \
            and (real.get("reason") or emulated.get("reason")):
        exchange.differences.append(Difference("reason", "reason", str(real.get("reason")),
                                               str(emulated.get("reason"))))
    elif real is not None or emulated is not None:
        exchange.differences += compare(real, emulated, "")
    learn_ids(real, emulated, ids)
    return exchange


def compare(real: Any, emulated: Any, where: str) -> list[Difference]:
    name = where.rsplit(".", 1)[-1].split("[")[0]
    if type(real) is not type(emulated) and not (_number(real) and _number(emulated)):
        return [Difference("shape", where or "(body)", _type(real), _type(emulated))]
    if isinstance(real, dict):
        out = [Difference("shape", _join(where, k), "present", "missing") for k in real if k not in emulated]
        out += [Difference("shape", _join(where, k), "missing", "present") for k in emulated if k not in real]
        for k in real:
            if k in emulated:
                out += compare(real[k], emulated[k], _join(where, k))
        return out
    if isinstance(real, list):
        out = [] if len(real) == len(emulated) else [Difference("field", f"{where} (length)", str(len(real)),
                                                                 str(len(emulated)))]
        for i, (a, b) in enumerate(zip(real, emulated, strict=False)):
            out += compare(a, b, f"{where}[{i}]")
        return out
    if real != emulated and not PER_RUN.search(name):
        return [Difference("field", where, json.dumps(real), json.dumps(emulated))]
    return []


def learn_ids(real: Any, emulated: Any, ids: dict[str, str]) -> None:
    """Map the real service's ids to the emulator's where the two answers have them in the same place."""
    if isinstance(real, dict) and isinstance(emulated, dict):
        for k, v in real.items():
            if ID_KEY.search(k) and isinstance(v, (str, int)) and isinstance(emulated.get(k), (str, int)) \
                    and len(str(v)) >= 6 and str(v) != str(emulated[k]):
                ids[str(v)] = str(emulated[k])
            else:
                learn_ids(v, emulated.get(k), ids)
    elif isinstance(real, list) and isinstance(emulated, list):
        for a, b in zip(real, emulated, strict=False):
            learn_ids(a, b, ids)


def substitute(text: str, ids: dict[str, str]) -> str:
    for real, emulated in ids.items():
        text = text.replace(real, emulated)
    return text


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")
