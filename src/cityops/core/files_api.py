"""Photo upload and download: POST a photo (multipart), read it back or its thumbnail, scoped."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from cityops.core import files
from cityops.core.actor import Actor, Role
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute, require
from cityops.core.errors import Invalid
from cityops.core.schemas import Schema

router = APIRouter(prefix="/api/files", route_class=TransactionalRoute, tags=["files"])
UPLOADERS = (Role.grid_worker, Role.handler, Role.dispatcher, Role.leader, Role.sysadmin)


class FileOut(Schema):
    file_id: int
    name: str
    role: str
    content_type: str
    size: int
    url: str
    thumb_url: str
    gps: list[float] | None


def store_of(request: Request) -> files.FileStore:
    store: files.FileStore | None = getattr(request.app.state, "file_store", None)
    if store is None:
        store = request.app.state.file_store = files.store_for(request.app.state.settings)
    return store


def read_upload(request: Request, upload: UploadFile) -> bytes:
    """Read at most one byte past the limit, so a huge upload is refused without holding it all."""
    limit = int(request.app.state.settings.upload_max_bytes)
    data = upload.file.read(limit + 1)
    if upload.content_type and not upload.content_type.startswith(("image/", "application/octet-stream")):
        raise Invalid(
            f"只接受照片，收到 {upload.content_type} / Only photos are accepted.", code="file.wrong_type", field="file"
        )
    return data


@router.post("", status_code=201)
def upload_photo(
    request: Request,
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(*UPLOADERS))],
    file: Annotated[UploadFile, File(description="a JPEG, PNG or WebP photo")],
) -> FileOut:
    """Store a photo: checked to be a real image, a thumbnail made, its EXIF GPS position read."""
    data = read_upload(request, file)
    limit = int(request.app.state.settings.upload_max_bytes)
    row = files.save_upload(session, actor, store_of(request), data, name=file.filename or "", max_bytes=limit)
    return FileOut(**files.describe(row))


@router.get("/{file_id}", response_class=Response)
def download(file_id: int, request: Request, session: SessionDep, actor: ActorDep) -> Response:
    row = files.access_file(session, actor, file_id)
    return _image(store_of(request).get(row.key), row.content_type)


@router.get("/{file_id}/thumb", response_class=Response)
def thumbnail(file_id: int, request: Request, session: SessionDep, actor: ActorDep) -> Response:
    row = files.access_file(session, actor, file_id)
    return _image(store_of(request).get(row.thumb_key), "image/jpeg")


def _image(data: bytes, content_type: str) -> Response:
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600"})
