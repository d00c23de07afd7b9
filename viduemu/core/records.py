"""Typed records over the store: one path to and from a stored document, one rule for copies.

A record is a dataclass naming its store ``KIND`` and the field that keys it (``KEY``). ``to_doc`` and
``from_doc`` are the only way between a record and the JSON document the store holds; a field the
stored document lacks takes the field's default (documents written by an older version load), and a
key the record does not declare is dropped.

``Table(store, RecordType)`` is a kind of the store seen as records. The rule is the same for every
kind: ``get`` and ``all`` hand out records the caller owns, and only ``put`` (or ``delete``) changes
what is stored. Fields holding JSON values (lists, dicts) are the caller's to change on its own copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Generic, TypeVar

from viduemu.core.store import MemoryStore

R = TypeVar("R", bound="Record")


@dataclass
class Record:
    KIND: ClassVar[str]
    KEY: ClassVar[str]
    PACKED: ClassVar[bool] = True   # False: the store holds the documents as objects (store.py)
    SAMPLE: ClassVar[str | None] = None   # a typical document's JSON, for the store's packing (packing.py)

    def to_doc(self) -> dict[str, Any]:
        return dict(self.__dict__)   # the fields, in their order (a record sets no other attribute)

    @classmethod
    def from_doc(cls: type[R], doc: dict[str, Any]) -> R:
        if doc.keys() == _fields(cls):   # what to_doc wrote: filled in without __init__ (the store's hot path)
            record = object.__new__(cls)
            record.__dict__.update(doc)
            return record
        # a document of an older version: keys it lacks take their defaults, keys no longer declared go
        return cls(**{name: doc[name] for name in _names(cls) if name in doc})

    @property
    def key(self) -> str:
        return str(getattr(self, self.KEY))


def samples() -> list[str]:
    """The SAMPLE of every record type defined so far (shortest first: the richest goes last)."""
    found, todo = [], list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.SAMPLE:
            found.append(cls.SAMPLE)
    return sorted(set(found), key=len)


_NAMES: dict[type, tuple[str, ...]] = {}
_FIELDS: dict[type, frozenset[str]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _fields(cls: type) -> frozenset[str]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = frozenset(_names(cls))
    return found


class Table(Generic[R]):
    def __init__(self, store: MemoryStore, record: type[R]) -> None:
        self.store, self.record, self.kind = store, record, record.KIND
        if not record.PACKED:
            store.hold_as_objects(self.kind)

    def get(self, key: str) -> R | None:
        doc = self.store.get(self.kind, key)
        return None if doc is None else self.record.from_doc(doc)

    def has(self, key: str) -> bool:
        return self.store.has(self.kind, key)

    def put(self, record: R) -> R:
        self.store.put(self.kind, record.key, record.to_doc())
        return record

    def delete(self, key: str) -> None:
        self.store.delete(self.kind, key)

    def all(self) -> Iterator[R]:
        """Every record of the kind, oldest first."""
        return map(self.record.from_doc, self.store.all(self.kind))

    def count(self) -> int:
        return self.store.count(self.kind)
