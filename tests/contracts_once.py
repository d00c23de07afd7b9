"""Plugin ``tests.contracts_once`` (named in tests/conftest.py's ``pytest_plugins``): contracts/openapi.yaml
is parsed once per test process instead of once per app.

``create_app`` builds a ``viduemu.core.contracts.Contracts``, which reads the 60 kB contract with PyYAML's
pure-Python ``safe_load``: about 0.2 s, paid again by every test that makes an app (some 1,400 of them,
most of the quick tier's time). For the whole session this plugin replaces the ``yaml`` module *as seen
by viduemu/core/contracts.py* with one whose ``safe_load`` parses a given text once and then hands out a
fresh copy of the result each time (a pickle round trip, 0.5 ms): every app still gets a document of its
own, equal to what the file says, so no test can change another's. Nothing else is patched: the emulator
reads, validates and answers exactly as it does outside the tests.

If viduemu/core/contracts.py stops importing ``yaml`` under that name, the patch fails loudly at the start
of the session (it never silently stops applying).
"""

from __future__ import annotations

import pickle

import pytest
import yaml


class _ParsedOnce:
    """``yaml`` for viduemu/core/contracts.py: ``safe_load(text)`` memoised by the text, a fresh copy each call."""

    def __init__(self) -> None:
        self._parsed: dict[str, bytes] = {}

    def safe_load(self, stream):
        if not isinstance(stream, str):
            return yaml.safe_load(stream)
        if stream not in self._parsed:
            self._parsed[stream] = pickle.dumps(yaml.safe_load(stream), pickle.HIGHEST_PROTOCOL)
        return pickle.loads(self._parsed[stream])

    def __getattr__(self, name: str):
        return getattr(yaml, name)


@pytest.fixture(scope="session", autouse=True)
def contracts_parsed_once():
    from viduemu.core import contracts

    patch = pytest.MonkeyPatch()
    patch.setattr(contracts, "yaml", _ParsedOnce())
    yield
    patch.undo()
