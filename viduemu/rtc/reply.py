"""What the character says: Faker's words in the session's language, seeded, and how long they take to say.

A reply to a ``text_msg`` (WebSocket type 99) opens on the message's longest word, so a transcript reads
as an answer to what was asked, then 9 to 19 of Faker's words: 10 to 20 words in all, said at
``WORDS_PER_SECOND`` (150 words a minute, an ordinary speaking rate; Chinese and Japanese, written without
spaces, at ``CHARS_PER_SECOND``), so an answer lasts 4 to 8 s. What the user said aloud (type 9) and the
answer to it (type 10) are Faker sentences too: the emulator hears no words. The language is the script of
the message, else of the avatar's persona (vidu/fake.locale_of). docs/decisions.md, "S1 extras (issue 15)".
"""

from __future__ import annotations

import random
import re

from viduemu.vidu import fake

WORDS_PER_SECOND = 2.5
CHARS_PER_SECOND = 4.0   # a wide (CJK) character is about a syllable
MIN_SECONDS = 1.0
REPLY_WORDS = (9, 19)    # Faker's words after the topic
TOPIC_FALLBACK = "that"
_WORD = re.compile(r"[^\W\d_]+")


def topic(content: str) -> str:
    """The message's longest word (the first of equals), or "that"."""
    words = _WORD.findall(content)
    return max(words, key=len) if words else TOPIC_FALLBACK


def words(rng: random.Random, locale: str, count: int) -> str:
    """A sentence of ``count`` of Faker's words in ``locale``, drawn from ``rng``."""
    return fake.sentence(rng.getrandbits(63), locale, count)


def reply(rng: random.Random, content: str, locale: str | None = None) -> str:
    """A reply to ``content``: its topic, then Faker's words (in ``locale``, else the message's language)."""
    locale = locale or fake.locale_of(content)
    return f"{topic(content)[:40]}: {words(rng, locale, rng.randint(*REPLY_WORDS))}"


def seconds(text: str) -> float:
    """How long ``text`` takes to say."""
    wide = sum(1 for ch in text if "\u3040" <= ch <= "\u9fff")
    return max(MIN_SECONDS, len(text.split()) / WORDS_PER_SECOND, wide / CHARS_PER_SECOND)
