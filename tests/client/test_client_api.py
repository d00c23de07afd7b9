"""The client package's public surface: a docstring on every public name and full annotations
(the package ships ``py.typed``, so type checkers trust them)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

import viduemu.client

MODULES = ["viduemu.client", "viduemu.client.http", "viduemu.client.live", "viduemu.client.signature",
           "viduemu.client.rtc"]


def public_callables():
    """(qualified name, function) for every public function, class and method defined in the package."""
    for module_name in MODULES[1:]:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
                continue
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj
            elif inspect.isclass(obj):
                yield f"{module_name}.{name}", obj
                for attr, member in vars(obj).items():
                    function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                    if (not attr.startswith("_") or attr == "__init__") and inspect.isfunction(function):
                        yield f"{module_name}.{name}.{attr}", function
                for base in obj.__mro__[1:]:   # methods inherited from private bases (the operations table)
                    if base.__name__.startswith("_") and base.__module__ == module_name:
                        for attr, member in vars(base).items():
                            if not attr.startswith("_") and inspect.isfunction(member):
                                yield f"{module_name}.{base.__name__}.{attr}", member


def test_every_public_name_has_a_docstring():
    missing = sorted({name for name, obj in public_callables()
                      if not name.endswith(".__init__") and not inspect.getdoc(obj)})
    assert missing == []
    assert all(importlib.import_module(m).__doc__ for m in MODULES)


def test_every_public_function_is_fully_annotated():
    unannotated = []
    for name, obj in public_callables():
        if inspect.isclass(obj):
            continue
        signature = inspect.signature(obj)
        bare = [p.name for p in signature.parameters.values()
                if p.annotation is inspect.Parameter.empty and p.name not in ("self", "cls")]
        # PEP 484: an __init__ with annotated parameters needs no "-> None".
        returns = name.endswith(".__init__") or signature.return_annotation is not inspect.Signature.empty
        if bare or not returns:
            unannotated.append(name)
    assert unannotated == []


def test_the_package_is_marked_typed_and_ships_the_marker():
    assert (Path(viduemu.client.__file__).parent / "py.typed").is_file()
    pyproject = (Path(viduemu.client.__file__).parents[2] / "pyproject.toml").read_text()
    assert '"client/py.typed"' in pyproject


@pytest.mark.parametrize("name", viduemu.client.__all__)
def test_the_package_exports(name):
    assert getattr(viduemu.client, name) is not None
