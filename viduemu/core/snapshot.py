"""``viduemu export FILE`` and ``viduemu import FILE``: a ``--state`` file as one JSON snapshot.

A snapshot holds every document (every record of every area, the accounts and their ledgers, fault
rules, pending callbacks, the clock's position and boot count) and the journals' windows, so a team
can prepare a state once and share it. Rendered media are not included: they are drawn again from
the tasks on first download. Neither command ever overwrites silently: ``import`` refuses a state
file that holds anything (documents or journal entries; a clock position alone does not count) and ``export`` an existing FILE, unless ``--overwrite`` is given.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

from viduemu import __version__
from viduemu.core.store import SQLiteStore

FORMAT, VERSION = "viduemu-state", 1


class SnapshotError(Exception):
    """What went wrong, in a sentence for the command line."""


def export(state: str, out: str, overwrite: bool = False) -> dict[str, int]:
    """Write ``state``'s snapshot to ``out``; answers a count of what was written."""
    if not Path(state).is_file():
        raise SnapshotError(f"no state file at {state}")
    if Path(out).exists() and not overwrite:
        raise SnapshotError(f"{out} exists; add --overwrite to replace it")
    # a consistent picture, the WAL of a killed server included; beside a running server too (it holds the lock)
    store = SQLiteStore(state, exclusive=False)
    try:
        dump = store.dump()
    finally:
        store.close()
    snapshot = {"format": FORMAT, "version": VERSION, "viduemu": __version__,
                "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                **dump}
    tmp = Path(f"{out}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(out)  # never a half-written snapshot under the real name
    return counts(dump)


def import_(snapshot_file: str, state: str, overwrite: bool = False) -> dict[str, int]:
    """Load a snapshot into ``state`` (created if missing); answers a count of what was loaded."""
    dump = read(snapshot_file)
    if Path(state).is_file():
        store = SQLiteStore(state)
        holds = store.dump()
        if (counts(holds) or any(holds["journals"].values())) and not overwrite:
            store.close()
            raise SnapshotError(f"{state} already holds a state ({describe(counts(holds))}); "
                                f"add --overwrite to replace it")
    else:
        store = SQLiteStore(state)
    try:
        store.restore(dump)
    finally:
        store.close()
    return counts(dump)


def read(snapshot_file: str) -> dict[str, Any]:
    try:
        snapshot = json.loads(Path(snapshot_file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {snapshot_file}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{snapshot_file} is not a viduemu state snapshot (not JSON: {exc})") from None
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
        raise SnapshotError(f"{snapshot_file} is not a viduemu state snapshot (no \"format\": \"{FORMAT}\")")
    if snapshot.get("version") != VERSION:
        raise SnapshotError(f"{snapshot_file} is a version {snapshot.get('version')!r} snapshot; "
                            f"this viduemu reads version {VERSION}")
    docs, journals = snapshot.get("docs"), snapshot.get("journals")
    if not (isinstance(docs, dict) and all(isinstance(d, dict) and all(isinstance(v, dict) for v in d.values())
                                           for d in docs.values())
            and isinstance(journals, dict) and all(isinstance(j, list) for j in journals.values())):
        raise SnapshotError(f"{snapshot_file} is damaged: \"docs\" must map kinds to documents by key and "
                            f"\"journals\" names to lists")
    return {"docs": docs, "journals": journals}


def counts(dump: dict[str, Any]) -> dict[str, int]:
    return {kind: len(docs) for kind, docs in dump["docs"].items() if not kind.startswith("_") and docs}


def describe(counted: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counted.items())) or "journal entries"
