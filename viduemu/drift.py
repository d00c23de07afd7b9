"""The drift report: where the target's answers differ from the contracts, as JSON and as text (the
conformance suite's ``--vidu-drift-report`` and ``viduemu proxy``'s; stdlib only, no pytest).

Each entry names the test, the operation, what the contract (or the test) expected and what came back.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field


@dataclass
class Drift:
    test: str
    operation: str   # "GET /ent/v2/credits", or "ws <message type>"
    kind: str        # schema | status | reason | message
    expected: str
    observed: str
    detail: str = ""


@dataclass
class DriftReport:
    path: str | None
    entries: list[Drift] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    def add(self, drift: Drift) -> None:
        self.entries.append(drift)

    def text(self) -> str:
        if not self.entries:
            return "no drift: every answer matched the contracts"
        lines = [f"{len(self.entries)} difference(s) from the contracts:"]
        for d in self.entries:
            lines.append(f"- {d.operation} [{d.kind}] expected {d.expected}, got {d.observed}  ({d.test})")
            if d.detail:
                lines.append(f"    {d.detail}")
        return "\n".join(lines)

    def write(self) -> None:
        if not self.path:
            return
        report = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **self.meta,
                  "drift": [asdict(d) for d in self.entries]}
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)
        with open(f"{self.path}.txt", "w", encoding="utf-8") as f:
            f.write(self.text() + "\n")
