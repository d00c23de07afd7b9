"""State behind one interface.

Documents are JSON-able dicts grouped by ``kind`` (one per record type: core/records.py)
and keyed by a string. Reads always come from memory. ``MemoryStore`` keeps nothing else;
``SQLiteStore`` writes every change through to a SQLite file (WAL) before the caller answers,
and loads it back on start, so a restart loses nothing that was acknowledged.

Callers mutate a document they got and then ``put`` it: that is the write. Documents are kept as
packed JSON (core/packing.py), not as Python objects: a stored task or live session takes a fraction of
the memory, so a server that runs for days holds its state in little space; ``get`` hands out a
fresh Doc each time, so only a ``put`` changes what is stored. A kind read and written whole on every
request (an account and its ledger, on every charge) may be held as objects instead (``hold_as_objects``):
packing it on each write would cost more than it saves; its records copy what they read
(core/records.py), so the rule stays the same.
Journals are append-only lists with a bounded in-memory window.

A write that fails changes nothing anywhere (docs/decisions.md, "A full disk"): inside ``atomic()`` each
change to memory is first noted in an undo log, and if the block raises (a SQLite write or the COMMIT
failing, ``database or disk is full``, or the caller's own error) memory is put back exactly as it was
and the file's transaction is rolled back; a single write outside ``atomic()`` is undone the same way.
A write the file refuses is raised as ``ViduError("InternalServiceFailure")``, answered in the envelope.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import orjson

from viduemu.core.errors import ViduError
from viduemu.core.packing import Packer

Doc = dict[str, Any]     # a stored document or journal entry, as JSON
Held = bytes | str       # how a packed document is held in memory (core/packing.py)

log = logging.getLogger("viduemu.store")

JOURNAL_WINDOW = 2_000   # newest entries of each journal kept in memory (all of them on disk with --state)


def _encode(doc: Doc) -> bytes | str:
    # orjson (bytes) for speed; the standard library (str) for what orjson cannot hold exactly:
    # integers beyond 64 bits (an echoed huge seed), which orjson would read back as floats.
    try:
        return bytes(memoryview(orjson.dumps(doc)))   # a copy: orjson's own bytes keep an 8 KB buffer
    except TypeError:
        return json.dumps(doc, separators=(",", ":"))


def _decode(raw: bytes | str) -> Doc:
    doc: Doc = orjson.loads(raw) if isinstance(raw, bytes) else json.loads(raw)
    return doc


_ABSENT = object()   # in the undo log: the key held nothing before


def unwritable(exc: BaseException) -> ViduError:
    """The answer to a write the state file refused (a full disk, an I/O error)."""
    return ViduError("InternalServiceFailure", f"the state could not be written: {exc}")


class MemoryStore:
    location = "memory"

    def __init__(self, packer: Packer | None = None) -> None:
        self.packer = packer or Packer()
        self._docs: dict[str, dict[str, Doc | bytes | str]] = {}
        self._journals: dict[str, deque[Held]] = {}
        self._objects: set[str] = set()   # kinds held as objects, not packed
        self._undo: list[tuple[Any, ...]] | None = None   # inside atomic(): how to put memory back

    def hold_as_objects(self, kind: str) -> None:
        self._objects.add(kind)

    def _unpack(self, held: bytes | str | Doc) -> Doc:
        return held if isinstance(held, dict) else _decode(self.packer.unpack(held))

    # documents
    def get(self, kind: str, key: str) -> Doc | None:
        raw = self._docs.get(kind, {}).get(key)
        return None if raw is None else self._unpack(raw)

    def put(self, kind: str, key: str, doc: Doc) -> Doc:
        before = self._docs.get(kind, {}).get(key, _ABSENT)
        written = self._keep(kind, key, doc)
        self._written(("doc", kind, key, before), self._write, kind, key, written)
        return doc

    def _written(self, undo: tuple[Any, ...], write: Any, *args: Any) -> None:
        """Write a change already made in memory through to the file; ``undo`` puts memory back if the
        write fails now (outside ``atomic()``) or the block it belongs to fails later (inside)."""
        if self._undo is not None:
            self._undo.append(undo)
            write(*args)
            return
        try:
            write(*args)
        except BaseException:
            self._revert([undo])
            raise

    def _revert(self, undo: list[tuple[Any, ...]]) -> None:
        """Undo the changes noted in ``undo``, newest first, leaving memory exactly as it was."""
        for entry in reversed(undo):
            if entry[0] == "doc":
                _, kind, key, before = entry
                docs = self._docs.setdefault(kind, {})
                if before is _ABSENT:
                    docs.pop(key, None)
                    if not docs:
                        del self._docs[kind]
                else:
                    docs[key] = before   # back in its old place: a re-put key keeps its order
            elif entry[0] == "journal":
                _, journal, dropped = entry
                window = self._journals[journal]
                window.pop()
                if dropped is not _ABSENT:
                    window.appendleft(dropped)
                if not window:
                    del self._journals[journal]
            else:   # "all": clear() — everything as it was
                _, docs, journals = entry
                self._docs.clear()
                self._docs.update(docs)
                self._journals.clear()
                self._journals.update(journals)

    def _keep(self, kind: str, key: str, doc: Doc) -> Doc | bytes | str:
        """Hold ``doc`` as this store keeps it; answers what a file would store: its JSON, or the
        document itself when it is shared (encoded only if there is a file)."""
        if kind in self._objects:
            self._docs.setdefault(kind, {})[key] = doc
            return doc
        written = _encode(doc)
        self._docs.setdefault(kind, {})[key] = self.packer.pack(written)
        return written

    def has(self, kind: str, key: str) -> bool:
        return key in self._docs.get(kind, {})

    def delete(self, kind: str, key: str) -> None:
        before = self._docs.get(kind, {}).pop(key, None)
        if before is not None:
            self._written(("doc", kind, key, before), self._write, kind, key, None)

    def all(self, kind: str) -> Iterator[Doc]:
        """Documents of a kind, oldest first."""
        return map(self._unpack, list(self._docs.get(kind, {}).values()))

    def count(self, kind: str) -> int:
        return len(self._docs.get(kind, {}))

    # journals
    def append(self, journal: str, entry: Doc) -> Doc:
        raw = _encode(entry)
        window = self._journals.setdefault(journal, deque(maxlen=JOURNAL_WINDOW))
        dropped = window[0] if len(window) == window.maxlen else _ABSENT
        window.append(self.packer.pack(raw))
        self._written(("journal", journal, dropped), self._write_journal, journal, raw)
        return entry

    def journal(self, journal: str) -> Iterator[Doc]:
        return map(self._unpack, list(self._journals.get(journal, ())))

    # meta (small key/value facts, e.g. the clock position)
    def get_meta(self, key: str, default: Any = None) -> Any:
        return (self.get("_meta", key) or {}).get("value", default)

    def set_meta(self, key: str, value: Any) -> None:
        self.put("_meta", key, {"value": value})

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group writes so that they land together, or not at all: in memory and on disk."""
        if self._undo is not None:   # nested: part of the outer block
            yield
            return
        self._undo = undo = cast(list[tuple[Any, ...]], [])
        try:
            self._begin()
            yield
            self._commit()
        except BaseException:
            self._rollback()
            self._revert(undo)
            raise
        finally:
            self._undo = None

    def dump(self) -> Doc:
        """Every document and the journals' windows, as one JSON-able Doc (core/snapshot.py)."""
        return {"docs": {kind: {key: self._unpack(raw) for key, raw in docs.items()}
                         for kind, docs in self._docs.items()},
                "journals": {name: [self._unpack(e) for e in entries] for name, entries in self._journals.items()}}

    def restore(self, dump: Doc) -> None:
        """Replace everything with a ``dump()`` (in one transaction with --state)."""
        with self.atomic():
            self.clear()
            for kind, docs in dump["docs"].items():
                for key, doc in docs.items():
                    self.put(kind, key, doc)
            for name, entries in dump["journals"].items():
                for entry in entries:
                    self.append(name, entry)

    def clear(self) -> None:
        undo = ("all", dict(self._docs), dict(self._journals))
        self._docs.clear()
        self._journals.clear()
        self._written(undo, self._wipe)

    def close(self) -> None:
        pass

    # persistence hooks (no-ops in memory)
    def _begin(self) -> None:
        pass

    def _commit(self) -> None:
        pass

    def _rollback(self) -> None:
        pass

    def _write(self, kind: str, key: str, raw: bytes | str | Doc | None) -> None:
        pass

    def _write_journal(self, journal: str, raw: bytes | str) -> None:
        pass

    def _wipe(self) -> None:
        pass


class StateFileError(Exception):
    """The state file cannot be used (held by another server, not a database, not writable, ...): one
    sentence for the command line."""


class SQLiteStore(MemoryStore):
    """``path`` is held for this store's life: an exclusive ``flock`` on ``<path>.lock`` (which names the
    holder's pid), so that two servers never share one state (each would spend what the other spent).
    A file that cannot serve as the state (a directory, not a database, damaged, read-only) raises
    ``StateFileError`` before anything is served. ``exclusive=False`` (``viduemu export``) reads a state
    beside the server that holds it: no lock, no write at open.
    """

    def __init__(self, path: str | Path, packer: Packer | None = None, *, exclusive: bool = True) -> None:
        super().__init__(packer)
        self.location = str(Path(path).resolve())
        if Path(self.location).is_dir():
            raise StateFileError(f"the state file {self.location} is a directory; give --state a file's path")
        self._lock = _hold(self.location) if exclusive else -1
        try:
            self._db = sqlite3.connect(self.location, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # durable against process death in WAL mode
            self._db.execute("CREATE TABLE IF NOT EXISTS docs (kind TEXT, key TEXT, doc TEXT, "
                             "PRIMARY KEY (kind, key))")
            self._db.execute("CREATE TABLE IF NOT EXISTS journals (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                             "journal TEXT, entry TEXT)")
            if exclusive:  # a write now, not at the first request: a read-only file is refused before serving
                self._db.execute("BEGIN IMMEDIATE")
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                self._db.execute(f"PRAGMA user_version={int(version)}")
                self._db.execute("COMMIT")
            self._load()
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a document that is not JSON
            if hasattr(self, "_db"):
                self._db.close()
            self.unlock()
            raise StateFileError(f"the state file {self.location} cannot be used: {exc} "
                                 "(not a viduemu state, damaged, or not writable)") from None

    def _begin(self) -> None:
        self._run("BEGIN")

    def _commit(self) -> None:
        self._run("COMMIT")

    def _rollback(self) -> None:
        # SQLite may already have rolled the transaction back itself (SQLITE_FULL can end it)
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("could not roll back the state file %s", self.location)

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        try:
            self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise unwritable(exc) from None

    def _load(self) -> None:
        for kind, key, doc in self._db.execute("SELECT kind, key, doc FROM docs ORDER BY rowid"):
            self._keep(kind, key, json.loads(doc))
        rows = self._db.execute(
            "SELECT journal, entry FROM (SELECT seq, journal, entry FROM journals ORDER BY seq DESC LIMIT ?) "
            "ORDER BY seq", (JOURNAL_WINDOW,))
        for journal, entry in rows:
            self._journals.setdefault(journal, deque(maxlen=JOURNAL_WINDOW)).append(self.packer.pack(_encode(json.loads(entry))))

    def _write(self, kind: str, key: str, raw: bytes | str | Doc | None) -> None:
        if isinstance(raw, dict):
            raw = _encode(raw)
        if raw is None:
            self._run("DELETE FROM docs WHERE kind=? AND key=?", (kind, key))
        else:
            self._run("INSERT INTO docs (kind, key, doc) VALUES (?, ?, ?) "
                      "ON CONFLICT (kind, key) DO UPDATE SET doc=excluded.doc",
                      (kind, key, raw.decode() if isinstance(raw, bytes) else raw))

    def _write_journal(self, journal: str, raw: bytes | str) -> None:
        self._run("INSERT INTO journals (journal, entry) VALUES (?, ?)",
                  (journal, raw.decode() if isinstance(raw, bytes) else raw))

    def _wipe(self) -> None:
        with self.atomic():   # both tables, or neither
            self._run("DELETE FROM docs")
            self._run("DELETE FROM journals")

    def close(self) -> None:
        self._db.close()
        self.unlock()

    def unlock(self) -> None:
        """Let another store open the file (``close`` does; a process that dies does, by the kernel)."""
        if self._lock >= 0:
            os.close(self._lock)  # releases the flock
            self._lock = -1


def _hold(location: str) -> int:
    """An exclusive, non-blocking flock on ``<location>.lock``, its descriptor; the file names our pid."""
    lock_path = f"{location}.lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StateFileError(f"cannot lock the state file {location}: {lock_path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise StateFileError(f"the state file {location} is in use by another viduemu server (pid {holder}); "
                             "stop it, or give this one another --state") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def open_store(path: str | None, packer: Packer | None = None) -> MemoryStore:
    return SQLiteStore(path, packer) if path else MemoryStore(packer)
