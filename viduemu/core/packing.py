"""How the store holds a JSON document in memory: zlib with a preset dictionary made of samples of the
documents it will hold, so the field names and usual values cost almost nothing (a task, ~1 KB of JSON,
packs into ~0.1 KB; a live session into ~0.2 KB) for a few microseconds a write. Memory only: nothing
packed ever reaches a file, so the dictionary may change freely from one version to the next.

The samples come from the records that declare one (``Record.SAMPLE``, core/records.py) and from the
request journal; the most common text goes last (zlib prefers the end of a dictionary). A document too
small to gain, or too big to pack on every write (a 1,000-entry ledger rewritten on each charge), stays
plain JSON. A JSON object starts with "{"; a zlib stream never does.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

PACKED_SIZES = range(128, 16 * 1024)
# An 8 KB window holds the dictionary (~2 KB) and a usual document; a smaller memLevel than zlib's
# default makes each compressor cheaper to set up (5.7 us a pack instead of 7.0), for the same output.
WBITS, MEM_LEVEL = 13, 5


class Packer:
    def __init__(self, samples: Sequence[str] = ()) -> None:
        self.zdict = "".join(samples).encode()

    def pack(self, raw: bytes | str) -> bytes | str:
        """What the store keeps for a document's JSON (bytes from orjson, or str from the json module)."""
        if isinstance(raw, str) or len(raw) not in PACKED_SIZES:
            return raw
        packer = zlib.compressobj(1, zlib.DEFLATED, WBITS, MEM_LEVEL, zdict=self.zdict or b"")
        return packer.compress(raw) + packer.flush()

    def unpack(self, held: bytes | str) -> bytes | str:
        """The JSON that ``pack`` was given."""
        if isinstance(held, str) or held[:1] == b"{":
            return held
        unpacker = zlib.decompressobj(WBITS, zdict=self.zdict or b"")
        return unpacker.decompress(held) + unpacker.flush()
