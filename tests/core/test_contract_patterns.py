"""Issue 13 #9: the contract's ``pattern``s match whole strings. Every one is anchored ``^...$``, and the
validator reads ``$`` as ECMA-262 does (the end of the string; Python's ``re`` also matches before a
final newline). The app-level proof is tests/ent/test_reference2video.py (``"16:9\\n"`` refused)."""

from __future__ import annotations

import pytest

from viduemu.core.contracts import Contracts, ecma_regex


def _patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


PATTERNS = sorted(set(_patterns(Contracts().document)))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_openapi_pattern_is_anchored_at_both_ends(pattern):
    assert pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"), pattern


@pytest.mark.parametrize("pattern", PATTERNS)
def test_no_pattern_lets_a_trailing_newline_through(pattern):
    regex = ecma_regex(pattern)
    for candidate in ("16:9", "1", "#FFFFFF", "0.5", "live-user-1-2", "POST /x", "0" * 18, "a" * 32):
        if regex.search(candidate):
            assert not regex.search(candidate + "\n"), (pattern, candidate)


def test_dollar_signs_that_are_not_the_end_anchor_keep_their_meaning():
    assert ecma_regex(r"^a\$$").search("a$") and not ecma_regex(r"^a\$$").search("a$\n")
    assert ecma_regex("^[$]$").search("$") and not ecma_regex("^[$]$").search("$\n")
