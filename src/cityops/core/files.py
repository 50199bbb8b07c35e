"""Uploaded files (photos) for every domain: checked, stored, thumbnailed, and linked to the objects they
belong to (an event, a patrol check-in, later a risk inspection) through the `attachment` table.

A photo is accepted only if it really is an image of an allowed type (Pillow decodes it; the file name
and the browser's content type are not trusted) and not larger than the configured limit. Its EXIF GPS
position, when present, is read so a report can be located by the photo. Bytes live in a `FileStore`:
a local directory by default, an S3-compatible bucket with `CITYOPS_FILE_STORE=s3` (core/files_s3.py), or
another store implementing the same three methods named as `CITYOPS_FILE_STORE=package.module:factory`.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from cityops.core import audit, clock
from cityops.core.actor import Actor
from cityops.core.db import Base
from cityops.core.errors import Invalid, NotFound
from cityops.core.hooks import Hooks, UnitChanged
from cityops.core.paths import rewrite_paths
from cityops.core.settings import Settings

# Pillow format -> the content type we serve it with. Only formats a phone camera or browser produces.
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
THUMB_EDGE = 320
MAX_PIXELS = 40_000_000  # decompression bombs are refused before decoding
GPS_IFD = 0x8825


class FileNotFound(NotFound):
    message = "文件不存在 / File not found."


class StoredFile(Base):
    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # where the store keeps the bytes
    thumb_key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))  # the uploader's file name, shown only
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    gps_lon: Mapped[float | None]
    gps_lat: Mapped[float | None]
    # Whose subtree sees the file: the uploader's unit, then the unit of the object it is attached to.
    unit_path: Mapped[str] = mapped_column(String(255), index=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime]


class Attachment(Base):
    """A file linked to an object of any domain (subject_type names its table)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_subject", "subject_type", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # photo | before | after
    created_at: Mapped[datetime]


class FileStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class LocalFileStore:
    """Files in a directory, two levels of fan-out by key prefix; writes are atomic (rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"bad file key {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise FileNotFound(key=key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def store_for(settings: Settings) -> FileStore:
    if settings.file_store == "local":
        return LocalFileStore(settings.files_dir)
    if settings.file_store == "s3":
        from cityops.core.files_s3 import s3_store  # boto3 is loaded only when the store is used

        return s3_store(settings)
    module, _, attr = settings.file_store.partition(":")
    factory = getattr(importlib.import_module(module), attr)
    store: FileStore = factory(settings)
    return store


@dataclass(frozen=True)
class CheckedImage:
    format: str
    content_type: str
    width: int
    height: int
    gps: tuple[float, float] | None
    thumbnail: bytes


def check_image(data: bytes, *, max_bytes: int) -> CheckedImage:
    """Refuse anything that is not a real JPEG/PNG/WebP photo within the size limit (422 naming why)."""
    if not data:
        raise Invalid("文件为空 / The file is empty.", code="file.empty", field="file")
    if len(data) > max_bytes:
        raise Invalid(
            f"文件过大（上限 {max_bytes // (1024 * 1024)} MB）/ The file is larger than {max_bytes} bytes.",
            code="file.too_large",
            field="file",
            size=len(data),
            max_bytes=max_bytes,
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if fmt not in ALLOWED_FORMATS:
                raise Invalid(
                    f"只接受 JPEG、PNG、WebP 照片，收到 {fmt or '未知格式'} / Only JPEG, PNG or WebP photos.",
                    code="file.wrong_type",
                    field="file",
                    format=fmt,
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise Invalid("图片像素过多 / The image has too many pixels.", code="file.too_large", field="file")
            probe.verify()  # structural check; the image must be reopened to decode
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            gps = _gps_of(img)
            width, height = img.size
            thumb = ImageOps.exif_transpose(img).convert("RGB")
            thumb.thumbnail((THUMB_EDGE, THUMB_EDGE))
            out = io.BytesIO()
            thumb.save(out, "JPEG", quality=80)
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Invalid(
            "文件不是可识别的图片 / The file is not an image (it could not be decoded).",
            code="file.not_an_image",
            field="file",
        ) from None
    return CheckedImage(fmt, ALLOWED_FORMATS[fmt], width, height, gps, out.getvalue())


def _gps_of(img: Image.Image) -> tuple[float, float] | None:
    """(lon, lat) from the EXIF GPS block, or None when absent or malformed."""
    try:
        gps: dict[int, Any] = dict(img.getexif().get_ifd(GPS_IFD))
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (lon == 0 and lat == 0):
        return None
    return round(lon, 6), round(lat, 6)


def _degrees(dms: Any, ref: Any) -> float:
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    return -value if str(ref).upper() in ("S", "W") else value


def save_upload(
    session: Session, actor: Actor, store: FileStore, data: bytes, *, name: str, max_bytes: int
) -> StoredFile:
    """Check and store one uploaded photo with its thumbnail; the row is visible to the uploader's subtree."""
    checked = check_image(data, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    now = clock.now()
    key = secrets.token_hex(20)  # never derived from the content: two uploads of one photo are two files
    store.put(key, data)
    store.put(f"{key}t", checked.thumbnail)
    row = StoredFile(
        key=key,
        thumb_key=f"{key}t",
        name=(name or "photo")[:200],
        content_type=checked.content_type,
        size=len(data),
        width=checked.width,
        height=checked.height,
        sha256=digest,
        gps_lon=checked.gps[0] if checked.gps else None,
        gps_lat=checked.gps[1] if checked.gps else None,
        unit_path=actor.unit_path,
        uploaded_by=actor.user_id,
        uploaded_at=now,
    )
    return audit.add_new(session, actor, "file.uploaded", row, size=row.size, type=row.content_type, gps=checked.gps)


def own_files(session: Session, actor: Actor, file_ids: list[int]) -> list[StoredFile]:
    """Files the actor uploaded (a report may only attach its reporter's own uploads)."""
    if not file_ids:
        return []
    rows = list(session.scalars(select(StoredFile).where(StoredFile.id.in_(file_ids))))
    found = {f.id: f for f in rows if f.uploaded_by is not None and f.uploaded_by == actor.user_id}
    missing = [i for i in file_ids if i not in found]
    if missing:
        raise Invalid(
            "照片不存在或不是您上传的 / unknown photo id", code="file.not_yours", field="photo_ids", ids=missing
        )
    return [found[i] for i in file_ids]


def attach(
    session: Session, file: StoredFile, subject_type: str, subject_id: int, *, role: str, unit_path: str
) -> Attachment:
    """Link a file to an object; the file is then seen by the subtree that sees the object's place."""
    file.unit_path = unit_path
    row = Attachment(
        file_id=file.id, subject_type=subject_type, subject_id=subject_id, role=role, created_at=clock.now()
    )
    session.add(row)
    return row


def describe(file: StoredFile, role: str = "photo") -> dict[str, Any]:
    """The metadata an object keeps about its photo (shown with its thumbnail, never only a name)."""
    return {
        "file_id": file.id,
        "name": file.name,
        "role": role,
        "content_type": file.content_type,
        "size": file.size,
        "url": f"/api/files/{file.id}",
        "thumb_url": f"/api/files/{file.id}/thumb",
        "gps": [file.gps_lon, file.gps_lat] if file.gps_lon is not None else None,
    }


def access_file(session: Session, actor: Actor, file_id: int) -> StoredFile:
    """The file if it lies in the actor's subtree or the actor uploaded it; 404 otherwise."""
    row = session.get(StoredFile, file_id)
    if row is None or not (actor.sees_path(row.unit_path) or (row.uploaded_by and row.uploaded_by == actor.user_id)):
        raise FileNotFound(file_id=file_id)
    return row


def follow_units(session: Session, actor: Any, change: UnitChanged) -> None:
    """Stored files keep the path of the unit they were uploaded for: it moves with the unit."""
    for old, new in change.moves:
        rewrite_paths(session, StoredFile.unit_path, old, new)


def install(hooks: Hooks) -> None:
    hooks.on_unit_changed("files.follow_units", follow_units)
