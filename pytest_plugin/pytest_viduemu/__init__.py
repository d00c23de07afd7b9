"""pytest-viduemu: Vidu API fixtures for pytest, on the emulator or the real service.

Loaded through the ``pytest11`` entry point of the viduemu distribution; see docs/pytest-plugin.md.
"""

from pytest_viduemu.plugin import *  # noqa: F401,F403  (hooks and fixtures, found by name)
from pytest_viduemu.plugin import __all__  # noqa: F401
