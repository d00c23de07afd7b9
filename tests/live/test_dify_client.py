"""The vendor's Dify plugin client (shengshu-ai/vidu-s1-api plugins/dify/provider/vidu_client.py) accepts
viduemu's create, query and voices answers.

The client is imported, unmodified, from a fetched copy of the repository (see tests/support/vendor.py);
without one these tests skip. It talks to a real server (``BackgroundEmulator``) over https (a
certificate made for the test, trusted through REQUESTS_CA_BUNDLE as ``requests`` allows); only its
base URL is pointed at the emulator (``client.api_base_url``: the client knows api.vidu.cn and api.vidu.com only).

What the plugin checks (docs/s1-clients.md): ``create_live_session`` raises ValueError unless
``live.{id,status,live_duration,call_mode}`` and ``rtc.{app_id,channel_id,user_id,token,token_expire_at}``
are all present and non-empty and ``live_duration`` is a positive int (not a bool, not a string); any
HTTP error or non-object body becomes ``ViduApiError("Vidu API request failed.")``; the tools then
declare output schemas (tools/*.yaml) that the answers must fit: ``live_duration``, ``billed_seconds``
and ``credits_cost`` integers, ``token_expire_at`` a string, ``voices`` a list of objects.
"""

from __future__ import annotations

import gc
import importlib
import ssl
import sys
from types import SimpleNamespace

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.conftest import AUTH, KEY
from tests.support import vendor
from tests.support.media import png
from viduemu.background import BackgroundEmulator
from viduemu.core import tls

pytestmark = pytest.mark.slow

PERSONA = "A friendly support agent who answers briefly."
VENDOR_MODULES = ("provider", "provider.vidu_client", "tools", "tools.common")


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    """The Dify plugin folder of the fetched vendor repository, its modules importable."""
    repo = vendor.S1_API.locate()
    if repo is None:
        pytest.skip(vendor.S1_API.skip_reason())
    pytest.importorskip("requests", reason="the Dify client needs the requests package")
    folder = vendor.export(repo, "plugins/dify", tmp_path_factory.mktemp("vendor"))
    sys.path.insert(0, str(folder))
    try:
        yield {"folder": folder, "client": importlib.import_module("provider.vidu_client"),
               "common": importlib.import_module("tools.common")}
    finally:
        sys.path.remove(str(folder))
        for name in VENDOR_MODULES:
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    tls._generate(cert, key)
    trust = ssl.create_default_context(cafile=str(cert))
    with BackgroundEmulator(clock="manual", tls_cert=str(cert), tls_key=str(key)) as running:
        url = running.base_url  # https: the certificate and key above
        probe = httpx.post(url + "/live/v1/lives", headers=AUTH, verify=trust, json={
            "call_mode": "audio", "avatar": {"persona": PERSONA, "image_uri": png(512, 512)}})
        if probe.status_code == 404:
            pytest.skip("live API not implemented yet (POST /live/v1/lives answers 404)")
        yield SimpleNamespace(url=url, cert=str(cert), trust=trust)
        # A request the client failed on leaves its response (and TLS connection) in a reference cycle
        # with the exception; freed now, the server's graceful shutdown need not wait out its TLS close.
        gc.collect()


@pytest.fixture
def trusted(server, monkeypatch):
    """``requests`` (and so the vendor client) trusts the emulator's certificate."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cert)
    return server


@pytest.fixture
def client(plugin, trusted):
    """The vendor's ViduClient for the test key, sending to the emulator over verified https."""
    return vendor_client(plugin, trusted, KEY)


def vendor_client(plugin, server, key: str):
    made = plugin["client"].ViduClient(api_key=key, region="global")
    made.api_base_url = server.url
    return made


def output_schema(plugin, tool: str) -> Draft202012Validator:
    declared = yaml.safe_load((plugin["folder"] / "tools" / f"{tool}.yaml").read_text(encoding="utf-8"))
    return Draft202012Validator(declared["output_schema"])


def assert_fits(validator: Draft202012Validator, value: dict) -> None:
    errors = [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(value)]
    assert not errors, errors


def test_credential_check_lists_voices(plugin, client):
    # ViduS1Provider._validate_credentials: list_voices(timeout=10) must not raise
    data = client.list_voices(timeout=10)
    assert data == {"voices": []}  # a new account has no clones; an empty list is normal
    assert_fits(output_schema(plugin, "list_voices"), {"voices": data.get("voices", [])})


@pytest.mark.parametrize("call_mode", ["video", "audio"])
def test_create_answer_passes_the_client_checks(plugin, client, call_mode):
    data = client.create_live_session(persona=PERSONA, image_uri=png(512, 512), name="Mia", voice="Tina",
                                      call_mode=call_mode)  # raises ValueError on any missing field
    compact = plugin["common"].compact_live_response(data)
    assert_fits(output_schema(plugin, "create_live_session"), compact)
    assert compact["status"] == "waiting" and compact["call_mode"] == call_mode
    assert compact["rtc"]["user_id"].endswith(f"-{compact['live_id']}")


def test_create_without_name_and_voice(plugin, client):
    # the client leaves out empty name and voice; the session gets the default voice
    data = client.create_live_session(persona=PERSONA, image_uri=png(512, 512))
    live = client.get_live_session(data["live"]["id"])["live"]
    assert live["avatar"]["voice"] == "Tina" and live["call_mode"] == "video"


def test_query_answer_fits_the_get_live_session_tool(plugin, client):
    created = client.create_live_session(persona=PERSONA, image_uri=png(512, 512), call_mode="audio")
    data = client.get_live_session(created["live"]["id"])
    assert set(data) == {"live"}  # "the GET session response top-level shape is stable" (SKILL.md)
    live = data["live"]
    # GetLiveSessionTool's compact form, field by field as tools/get_live_session.py builds it
    compact = {"live_id": live.get("id"), "status": live.get("status", ""), "live_duration": live.get("live_duration"),
               "billed_seconds": live.get("billed_seconds"), "credits_cost": live.get("credits_cost"),
               "call_mode": live.get("call_mode", "")}
    assert_fits(output_schema(plugin, "get_live_session"), compact)
    assert compact == {"live_id": created["live"]["id"], "status": "waiting",
                       "live_duration": created["live"]["live_duration"], "billed_seconds": 0, "credits_cost": 0,
                       "call_mode": "audio"}


def test_unknown_session_is_a_sanitized_client_error(plugin, client):
    with pytest.raises(plugin["client"].ViduApiError) as raised:
        client.get_live_session("123456789012345678")
    assert str(raised.value) == "Vidu API request failed." and KEY not in str(raised.value)


def test_cloned_voice_is_listed_and_usable(plugin, trusted):
    server = trusted
    key, name = "vda_compat_cloner", "compat_voice_1"  # an account of its own: the others have no clones
    client = vendor_client(plugin, server, key)
    r = httpx.post(server.url + "/live/v1/voices/clone", headers={"Authorization": f"Token {key}"}, verify=server.trust,
                   json={"audio_url": "https://example.com/sample.mp3", "voice": name, "language": "en"})
    assert r.status_code == 200 and r.json() == {"voice": name}, r.text
    data = client.list_voices()
    assert data["voices"] == [{"voice": name}]
    assert_fits(output_schema(plugin, "list_voices"), {"voices": data["voices"]})
    created = client.create_live_session(persona=PERSONA, image_uri=png(512, 512), voice=name)
    assert client.get_live_session(created["live"]["id"])["live"]["avatar"]["voice"] == name
