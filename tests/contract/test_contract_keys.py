"""The contracts hold each key once: YAML keeps the last of two equal keys silently, so a path or schema
written twice (a merge, a copy) would hide the first without any test noticing."""

from __future__ import annotations

import pytest
import yaml

from viduemu.core.contracts import contract_path


class _Strict(yaml.SafeLoader):
    pass


def _mapping(loader: _Strict, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise AssertionError(f"{key!r} twice: lines {seen[key]} and {key_node.start_mark.line + 1}")
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@pytest.mark.parametrize("name", ["openapi.yaml", "asyncapi.yaml"])
def test_every_key_of_the_contract_is_written_once(name):
    yaml.load(contract_path(name).read_text(encoding="utf-8"), Loader=_Strict)
