"""Image uploads (file-uploads.txt), in three steps:

1. ``POST /tools/v2/files/uploads`` ``{"scene": "vidu"}`` -> ``{id, put_url, expires_at}``;
2. ``PUT <put_url>`` with the raw bytes -> 200, an empty body and the bytes' ``ETag`` (quoted MD5 hex, as S3);
3. ``PUT /tools/v2/files/uploads/{id}/finish`` ``{"etag": ...}`` -> ``{"uri": "ssupload:?id=<id>"}``.

The older forms public clients use are served too: ``POST`` on the finish path, and the S1 notes'
``POST /tools/v2/files/uploads/finish`` with the id in the body.

The put URL is this emulator's own (``PUT_PATH``), signed with the state's secret for a purpose of its
own (``PUT_PURPOSE``) and valid ``rules.UPLOAD_PUT_SECONDS`` on the virtual clock; it takes at most
``rules.UPLOAD_LIMIT`` bytes. The bytes live in the media directory's blobs (``Outputs.keep``), the record
in the state, so both survive a ``--state`` restart. The documented image rules (format, ratio) are
checked at finish; an operation then checks the upload like any image of its own (vidu/inputs.py:
``Sources`` reads it for the request's caller, and no other key can).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from viduemu.core.context import Core
from viduemu.core.errors import ViduError, invalid, lacking
from viduemu.core.http import base_url, read_body, read_valid, route
from viduemu.core.records import Table
from viduemu.ent import rules
from viduemu.ent.models import Upload
from viduemu.ent.outputs import Outputs
from viduemu.vidu.auth import caller
from viduemu.vidu.inputs import UPLOAD_SCHEME, image_size, sniff_image
from viduemu.vidu.tasks import iso

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea

UPLOADS = "/tools/v2/files/uploads"
PUT_PATH = UPLOADS + "/{id}/object"
PUT_PURPOSE = "upload.put"


class Uploads:
    def __init__(self, core: Core, outputs: Outputs) -> None:
        self.core, self.outputs = core, outputs
        self.table = Table(core.store, Upload)

    def create(self, api_key: str) -> Upload:
        now = self.core.clock.now()
        return self.table.put(Upload(id=self.core.ids.new_id(), api_key=api_key, created_at=now,
                                     put_until=float(int(now + rules.UPLOAD_PUT_SECONDS))))

    def put_url(self, base: str, upload: Upload) -> str:
        expires = int(upload.put_until)
        return (f"{base}{PUT_PATH.format(id=upload.id)}?expires={expires}"
                f"&sig={self.core.signer.sign(PUT_PURPOSE, f'{upload.id}|{expires}')}")

    def to_put(self, upload_id: str, expires: str | None, sig: str | None) -> Upload:
        """The upload a put URL names, if this state signed it and it has not expired: else 403 (as S3)."""
        if not (expires or "").isdigit() or not self.core.signer.check(PUT_PURPOSE, f"{upload_id}|{expires}", sig):
            raise ViduError("Forbidden", "the put URL's signature is missing or wrong: use the put_url answered")
        upload = self.table.get(upload_id)
        if upload is None:
            raise ViduError("NotFound", f"upload not found: {upload_id}")
        if self.core.clock.now() >= int(str(expires)):
            raise ViduError("Forbidden", "the put URL has expired: create another upload")
        if upload.finished:
            raise ViduError("Forbidden", "the upload is finished: its bytes cannot change")
        return upload

    async def put(self, upload: Upload, data: bytes) -> str:
        """Keep the bytes; their ETag (MD5 hex, as S3's for a single-part PUT)."""
        upload.blob = await self.outputs.keep(data, ".upload")
        upload.etag = await asyncio.to_thread(_md5, data)   # 10 MB: ~20 ms, off the loop
        upload.put_at = self.core.clock.now()
        self.table.put(upload)
        return upload.etag

    def owned(self, api_key: str, upload_id: str) -> Upload:
        upload = self.table.get(upload_id)
        if upload is None or upload.api_key != api_key:
            raise ViduError("NotFound", f"upload not found: {upload_id}")
        return upload

    async def finish(self, upload: Upload, etag: str) -> str:
        if not upload.blob:
            raise invalid("etag", "nothing was uploaded to the put_url yet")
        if etag.strip('"').lower() != upload.etag:
            raise invalid("etag", "it is not the ETag the put_url answered")
        _check_upload(await self._bytes(upload, "etag"))
        upload.finished = True
        self.table.put(upload)
        return f"{UPLOAD_SCHEME}?id={upload.id}"

    async def read(self, upload_id: str, field: str, api_key: str) -> bytes:
        """The bytes of ``api_key``'s finished upload (``Sources.upload``); anything else refused naming ``field``."""
        upload = self.table.get(upload_id)
        if upload is None or upload.api_key != api_key or not upload.finished:
            raise invalid(field, f"no finished upload {upload_id} of this API key")
        if self.core.clock.now() >= upload.put_at + rules.UPLOAD_KEEP_SECONDS:
            raise invalid(field, f"upload {upload_id} has expired (uploads are kept 7 days)")
        return await self._bytes(upload, field)

    async def _bytes(self, upload: Upload, field: str) -> bytes:
        try:
            return await asyncio.to_thread((self.outputs.blobs() / upload.blob).read_bytes)
        except OSError:
            raise invalid(field, f"the bytes of upload {upload.id} are gone from the media directory") from None


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _check_upload(data: bytes) -> None:
    """The page's rules: png/webp/jpeg/jpg, a ratio within 1:4..4:1 (each operation checks the rest)."""
    if sniff_image(data) not in rules.UPLOAD_FORMATS.values():
        raise ViduError("ImageFormatInvalid", "the upload is not a png, webp, jpeg or jpg image", fields="etag")
    width, height = image_size(data, "etag")
    if max(width, height) / min(width, height) > rules.MAX_ANY_RATIO:
        raise ViduError("PageSizeOutOfRange", f"the upload's aspect ratio {width}:{height} is outside 1:4..4:1",
                        fields="etag")


# -- handlers ------------------------------------------------------------------------------------------------
async def create_upload(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    await read_valid(request)
    upload = ent.uploads.create(api_key)
    return {"id": upload.id, "put_url": ent.uploads.put_url(base_url(request), upload),
            "expires_at": iso(upload.put_until)}


async def put_object(ent: EntArea, request: Request):
    """The put URL: no Authorization (its signature is the credential), the raw bytes, an ``ETag``."""
    upload = ent.uploads.to_put(request.path_params["id"], request.query_params.get("expires"),
                                request.query_params.get("sig"))
    data = await read_body(request, rules.UPLOAD_LIMIT)
    if not data:
        raise ViduError("BadRequest", "the body is empty: PUT the image's bytes")
    etag = await ent.uploads.put(upload, data)
    return Response(b"", headers={"ETag": f'"{etag}"'})


async def finish_upload(ent: EntArea, request: Request):
    """``/uploads/{id}/finish`` (PUT as documented, POST too) or ``/uploads/finish`` with the id in the body."""
    api_key = caller(ent.accounts, request.headers)
    body = await read_valid(request)
    upload_id = request.path_params.get("id") or body.get("id")
    if not upload_id:
        raise lacking("id")
    return {"uri": await ent.uploads.finish(ent.uploads.owned(api_key, str(upload_id)), body["etag"])}


def routes(ent: EntArea) -> list[BaseRoute]:
    return [
        route(UPLOADS, create_upload, ent, methods=["POST"]),
        route(PUT_PATH, put_object, ent, methods=["PUT"]),
        route(f"{UPLOADS}/{{id}}/finish", finish_upload, ent, methods=["PUT", "POST"]),
        route(f"{UPLOADS}/finish", finish_upload, ent, methods=["POST"]),
    ]
