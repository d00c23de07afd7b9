"""core/signing.py: one random secret per state (issue 13 #3, #6, #7) and what is signed with it."""

from __future__ import annotations

import base64

from viduemu.config import Settings
from viduemu.core.context import Core
from viduemu.core.signing import MAX_TOKEN, Signer
from viduemu.core.store import MemoryStore


def test_a_token_opens_only_for_its_purpose_and_unaltered():
    signer = Signer.of(MemoryStore())
    token = signer.token("page", [1.5, "abc"])
    assert signer.open("page", token) == [1.5, "abc"]
    assert signer.open("rtc", token) is None                       # another purpose's key space
    assert signer.open("page", token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert signer.open("page", "x" + token) is None
    assert Signer.of(MemoryStore()).open("page", token) is None     # another state's secret


def test_malformed_or_oversized_tokens_are_none_never_an_exception():
    signer = Signer.of(MemoryStore())
    nested = base64.urlsafe_b64encode(b"[" * 5000).decode()
    for bad in ("", ".", "abc", nested, nested + "." + "0" * 64, "é.x", None, 42, ["a"],
                "a" * (MAX_TOKEN + 1), "a." + "g" * 64):
        assert signer.open("page", bad) is None


def test_a_signed_url_holds_for_its_path_until_it_expires():
    signer = Signer.of(MemoryStore())
    url = signer.url("/files/a/b.mp4", 1000)
    path, _, query = url.partition("?")
    params = dict(p.split("=") for p in query.split("&"))
    assert signer.url_valid(path, params["expires"], params["sig"], now=999)
    assert not signer.url_valid(path, params["expires"], params["sig"], now=1000)       # expired
    assert not signer.url_valid("/files/a/c.mp4", params["expires"], params["sig"], now=0)
    assert not signer.url_valid(path, "2000", params["sig"], now=0)                     # extended
    assert not signer.url_valid(path, params["expires"], None, now=0)
    assert not signer.url_valid(path, "-1", params["sig"], now=0)


def test_the_secret_is_random_kept_across_a_restart_and_new_after_a_reset(tmp_path):
    settings = Settings(clock="manual", seed=1234, state=str(tmp_path / "state.sqlite"))
    first = Core(settings)
    token = first.signer.token("p", ["x"])
    assert Signer.of(MemoryStore()).open("p", token) is None   # --seed does not make it predictable
    first.close()
    again = Core(settings)
    assert again.signer.open("p", token) == ["x"]
    again.reset()
    assert again.signer.open("p", token) is None
    renewed = again.signer.token("p", ["y"])
    again.close()
    last = Core(settings)
    assert last.signer.open("p", renewed) == ["y"]
    last.close()


def test_the_secret_travels_in_an_export_and_import(tmp_path):
    from viduemu.core import snapshot
    settings = Settings(clock="manual", state=str(tmp_path / "a.sqlite"))
    core = Core(settings)
    token = core.signer.token("p", ["x"])
    core.close()
    snapshot.export(settings.state, str(tmp_path / "snap.json"))
    snapshot.import_(str(tmp_path / "snap.json"), str(tmp_path / "b.sqlite"))
    imported = Core(Settings(clock="manual", state=str(tmp_path / "b.sqlite")))
    assert imported.signer.open("p", token) == ["x"]
    imported.close()
