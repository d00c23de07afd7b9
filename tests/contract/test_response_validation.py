"""The ``client`` fixture checks every answer against the contract: an undescribed one fails the test."""

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
