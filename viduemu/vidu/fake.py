"""Made-up text from Faker, seeded: the same seed and locale give the same words (MV lyrics; the demo's
prompts, names and personas are Faker's too, control/demo.py)."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker


@cache
def faker(locale: str) -> Faker:
    from faker import Faker  # imported on first use: loading its providers takes a moment

    return Faker(locale)


def seed_of(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).digest()[:8], "big")


def locale_of(text: str) -> str:
    """The Faker locale of the language ``text`` is written in, judged by its script."""
    if any("\u3040" <= ch <= "\u30ff" for ch in text):
        return "ja_JP"
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "zh_CN"
    return "en_US"


def sentence(seed: int, locale: str, words: int = 8) -> str:
    """A sentence of ``words`` words (exactly) in ``locale``."""
    fake = faker(locale)
    fake.seed_instance(seed)
    return fake.sentence(nb_words=words, variable_nb_words=False)
