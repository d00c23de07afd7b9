"""Fixtures of the ent tests."""

import pytest

from tests.conftest import KEY
from tests.ent.support import PLENTY


@pytest.fixture
async def plenty_of_credits(client):
    """Rule tests create many tasks; give the test key enough credits (``usefixtures`` in those modules)."""
    r = await client.put(f"/_emulator/accounts/{KEY}", json={"credits": PLENTY})
    assert r.status_code == 200
