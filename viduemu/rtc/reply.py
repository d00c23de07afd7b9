"""What the character says back to a ``text_msg`` (WebSocket type 99): a short reply from a small
seeded grammar, and how long it takes to say.

The reply picks up the message's longest word as its topic, so a transcript reads as an answer to
what was asked; it is 10 to 20 words, said at ``WORDS_PER_SECOND`` (150 words a minute, an ordinary
speaking rate), so an answer lasts 4 to 8 s. docs/decisions.md, "S1 extras (issue 15)".
"""

from __future__ import annotations

import random
import re

WORDS_PER_SECOND = 2.5
MIN_SECONDS = 1.0

OPENERS = ("Sure.", "Good question.", "Happy to help.", "Of course.", "Let me think.", "Ah, I like that.")
BODIES = (
    "When it comes to {topic}, start with the basics.",
    "I can tell you a little about {topic}.",
    "{topic} is something I enjoy talking about.",
    "There is more to {topic} than most people think.",
    "My short answer on {topic} is yes.",
)
CLOSERS = ("Anything else?", "Shall I go on?", "What would you like to know next?", "Does that help?")
TOPIC_FALLBACK = "that"
_WORD = re.compile(r"[^\W\d_]+")


def topic(content: str) -> str:
    """The message's longest word (the first of equals), or "that"."""
    words = _WORD.findall(content)
    return max(words, key=len) if words else TOPIC_FALLBACK


def reply(rng: random.Random, content: str) -> str:
    """A reply to ``content``: an opener, a sentence about its topic, a question back."""
    body = rng.choice(BODIES).format(topic=topic(content)[:40])
    return " ".join((rng.choice(OPENERS), body[0].upper() + body[1:], rng.choice(CLOSERS)))


def seconds(text: str) -> float:
    """How long ``text`` takes to say."""
    return max(MIN_SECONDS, len(text.split()) / WORDS_PER_SECOND)
