"""Photos in an S3-compatible object store (MinIO, Ceph RGW, a cloud bucket), selected with
CITYOPS_FILE_STORE=s3 and configured by the CITYOPS_FILES_S3_* settings. Same keys, same three methods
as the local directory; thumbnails and EXIF positions are made before the bytes reach any store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cityops.core.files import FileNotFound
from cityops.core.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3FileStore:
    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _key(self, key: str) -> str:
        if "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"bad file key {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise FileNotFound(key=key) from None
        data: bytes = body.read()
        return data

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def s3_store(settings: Settings) -> S3FileStore:
    """The store the settings name; the bucket must exist (operators create it, with its own policy)."""
    import boto3
    from botocore.config import Config

    if not settings.files_s3_bucket:
        raise ValueError("CITYOPS_FILES_S3_BUCKET must be set when CITYOPS_FILE_STORE=s3")
    options: dict[str, Any] = {
        "endpoint_url": settings.files_s3_endpoint or None,
        "region_name": settings.files_s3_region or None,
        "aws_access_key_id": settings.files_s3_access_key or None,
        "aws_secret_access_key": settings.files_s3_secret_key or None,
        # Path-style addressing: what MinIO and most self-hosted stores expect.
        "config": Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    }
    client = boto3.client("s3", **options)
    return S3FileStore(client, settings.files_s3_bucket, settings.files_s3_prefix)
