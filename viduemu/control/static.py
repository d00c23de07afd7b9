"""A page of the control plane shipped as static files: ``index.html`` plus its ``.js``/``.css``
files in one folder of the package (the call page, the inspector)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request

from viduemu.core.errors import ViduError
from viduemu.core.files import serve

TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def static_page(folder: Path):
    """``(page, asset)`` handlers (for ``control_route``): the folder's index.html, and its files by
    ``{name}`` (no others)."""
    assets = {p.name: TYPES[p.suffix] for p in folder.iterdir() if p.suffix in TYPES}

    async def page(_owner: Any, request: Request):
        return await serve(request, folder / "index.html", "text/html")

    async def asset(_owner: Any, request: Request):
        name = request.path_params["name"]
        if name not in assets:
            raise ViduError("NotFound", "no such file")
        return await serve(request, folder / name, assets[name])

    return page, asset
