"""Ids like the vendor's: numeric strings of 18 digits; deterministic under ``--seed``.

Separate random streams for ids, trace ids and generation seeds, so that (for instance) an
extra error answer does not shift the ids of the tasks that follow.
"""

from __future__ import annotations

import random


class Ids:
    def __init__(self, seed: int | None = None):
        self.seed = seed

        # Unseeded streams start from the OS's entropy once (not a syscall per id).
        def make(salt: str) -> random.Random:
            if seed is not None:
                return random.Random(f"{seed}:{salt}")
            return random.Random(random.SystemRandom().getrandbits(128))

        self._ids, self._traces, self._seeds, self._nonces = (
            make("id"), make("trace"), make("seed"), make("nonce"))

    def new_id(self) -> str:
        return str(self._ids.randrange(10**17, 10**18))

    def trace_id(self) -> str:
        return f"{self._traces.getrandbits(128):032x}"

    def generation_seed(self) -> int:
        return self._seeds.randrange(1, 2**31)

    def nonce(self) -> str:
        h = f"{self._nonces.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"
