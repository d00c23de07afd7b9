"""The ``client`` fixture checks every answer against the contract, and tests/contract_guard.py checks
every other client's: an undescribed answer fails the test."""

import pytest
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import AUTH
from viduemu.core.contracts import ContractViolation


async def test_an_answer_outside_the_contract_fails_at_the_call(app, client):
    async def undocumented(request):
        return JSONResponse({"hello": "world"})

    app.router.routes.insert(0, Route("/ent/v2/undocumented", undocumented))
    with pytest.raises(ContractViolation, match="does not describe"):
        await client.get("/ent/v2/undocumented", headers=AUTH)


async def test_a_wrong_shape_on_a_documented_path_fails_at_the_call(app, client):
    async def bad_credits(request):
        return JSONResponse({"remains": [{"credit_remain": "lots"}]})

    app.router.routes.insert(0, Route("/ent/v2/credits", bad_credits))
    with pytest.raises(ContractViolation, match="body at remains/0"):
        await client.get("/ent/v2/credits", headers=AUTH)


async def test_the_contract_guard_checks_a_client_that_carries_no_check_of_its_own(app):
    """tests/contract_guard.py: a plain httpx client (no response hook) is checked all the same."""
    import httpx

    async def bad_credits(request):
        return JSONResponse({"remains": [{"credit_remain": "lots"}]})

    app.router.routes.insert(0, Route("/ent/v2/credits", bad_credits))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as plain:
        with pytest.raises(ContractViolation, match="body at remains/0"):
            await plain.get("/ent/v2/credits", headers=AUTH)
