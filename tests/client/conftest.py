"""Client tests use the live tests' real-server fixtures too."""

from tests.live.conftest import live_settings  # noqa: F401 (fixture)
