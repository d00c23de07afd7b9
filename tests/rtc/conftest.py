"""RTC tests run against a real server (the live tests' fixture) with plain aiortc clients."""

from tests.live.conftest import live_settings, server  # noqa: F401 (fixtures)
