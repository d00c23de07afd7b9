"""docs/client.md runs: every python block, after the page's preamble (its first block), against a
real emulator on a manual clock (each block with an account of its own), and every public method
of both clients has an example there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.client.harness import public_methods
from viduemu.background import BackgroundEmulator
from viduemu.client import AsyncViduClient, ViduClient
from viduemu.config import Settings

PAGE = Path(__file__).parents[2] / "docs" / "client.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    """(the heading above it, code) for each python block of the page, in order."""
    text = PAGE.read_text()
    found = []
    for match in BLOCK.finditer(text):
        headings = re.findall(r"^#+ (.+)$", text[:match.start()], re.M)
        found.append((headings[-1] if headings else "top", match.group(1)))
    return found


PREAMBLE, EXAMPLES = blocks()[0][1], blocks()[1:]


@pytest.fixture(scope="module")
def emulator():
    with BackgroundEmulator(Settings(clock="manual", seed=7, log_level="warning")) as running:
        yield running


@pytest.mark.parametrize("number", range(len(EXAMPLES)),
                         ids=[f"{i}-{re.sub(r'[^a-z0-9]+', '-', h.lower()).strip('-')}"
                              for i, (h, _) in enumerate(EXAMPLES)])
def test_the_example_runs(number, emulator, monkeypatch, capsys):
    monkeypatch.setenv("VIDU_BASE_URL", emulator.base_url)
    monkeypatch.setenv("VIDU_API_KEY", f"vda_docs_{number}")
    namespace: dict = {"__name__": "docs_example"}
    exec(compile(PREAMBLE, f"{PAGE}:preamble", "exec"), namespace)
    try:
        exec(compile(EXAMPLES[number][1], f"{PAGE}:example {number}", "exec"), namespace)
    finally:
        namespace["client"].close()
        namespace["emulator"].close()


def test_the_preamble_comes_first_and_builds_client_and_emulator_from_the_environment():
    assert "ViduClient()" in PREAMBLE and "emulator =" in PREAMBLE and "def advance" in PREAMBLE


def test_every_public_method_has_an_example():
    code = "\n".join(code for _, code in EXAMPLES)
    methods = public_methods(ViduClient) | public_methods(AsyncViduClient)
    missing = sorted(name for name in methods if not re.search(rf"\.{name}\(", code))
    assert missing == []


@pytest.mark.parametrize("name", ["LiveConnection", "verify_callback_signature", "ViduError", "TaskTimeout",
                                  "AsyncViduClient", "RtcCall", "hangup_reason"])
def test_the_other_public_names_have_an_example(name):
    assert any(name in code for _, code in EXAMPLES)
