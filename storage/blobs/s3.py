"""Blobs in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, SeaweedFS …).

Layout under the configured prefix::

    blobs/<alg>/<2 hex>/<hex>        committed blobs, immutable
    uploads/<id>/state               JSON: the upload's segments, in order
    uploads/<id>/<n>-<token>         segment objects

Why segments and not a multipart upload that stays open: the parts of an unfinished
multipart upload cannot be read back, yet another Berth process must be able to
continue an upload and to hash what was uploaded so far. So every upload is a list of
ordinary objects, each exactly ``part_size`` bytes except the last. A PATCH reads the
short last segment back (at most one part), appends the request body and writes new
segment objects under fresh names; only then does it replace ``state``. The state
object is the commit point of an append: a crash or a broken body leaves the previous
state — and every object it names — intact, and the append simply did not happen.
Nothing is buffered across requests, and no request holds more than one part.

On commit (after the caller has verified the digest) the segments are joined
server-side: one segment is copied to the blob key, several become the parts of a
multipart upload at the blob key (UploadPartCopy). Either way the blob key appears
atomically, with verified bytes, or not at all.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from registry.oci.digest import Digest
from storage.blobs.base import BlobStore, BlobUploadUnknown, is_upload_id

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's smallest part other than the last
DEFAULT_PART_SIZE = 16 * 1024 * 1024
READ_CHUNK = 1 << 20
PRESIGN_SECONDS = 20 * 60
COPY_CONCURRENCY = 8
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload", "NoSuchBucket"}
_CREATE_RACE_CODES = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}

Segment = tuple[str, int]  # (object name inside the upload's folder, size)


def _error_code(exc: ClientError) -> str | None:
    return exc.response.get("Error", {}).get("Code")


def _missing(exc: ClientError) -> bool:
    return _error_code(exc) in _MISSING


class S3BlobStore(BlobStore):
    def __init__(self, client: Any, stack: AsyncExitStack, bucket: str, prefix: str = "",
                 part_size: int = DEFAULT_PART_SIZE, redirect: bool = False) -> None:
        self.client = client
        self._stack = stack
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self.redirect = redirect

    @classmethod
    async def connect(cls, section: dict[str, Any]) -> "S3BlobStore":
        """Open a client and make sure the bucket is there (creating it if missing)."""
        bucket = section.get("bucket") or ""
        if not bucket:
            raise ValueError("storage.s3.bucket is empty: name the bucket Berth should use")
        part_size = int(section.get("part_size") or DEFAULT_PART_SIZE)
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"storage.s3.part_size must be at least {MIN_PART_SIZE} (S3's minimum part size)")
        prefix = (section.get("prefix") or "").strip("/")
        config = AioConfig(
            s3={"addressing_style": "path" if section.get("path_style", True) else "virtual"},
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=120,
            # Checksums only where S3 demands them: not every S3-compatible store knows the newer ones.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        stack = AsyncExitStack()
        client = await stack.enter_async_context(get_session().create_client(
            "s3",
            endpoint_url=section.get("endpoint") or None,
            region_name=section.get("region") or "us-east-1",
            aws_access_key_id=section.get("access_key") or None,
            aws_secret_access_key=section.get("secret_key") or None,
            config=config,
        ))
        store = cls(client, stack, bucket, f"{prefix}/" if prefix else "", part_size,
                    bool(section.get("redirect", False)))
        try:
            await store._ensure_bucket(section.get("endpoint") or "AWS S3", section.get("region") or "us-east-1")
        except BaseException:
            await stack.aclose()
            raise
        return store

    async def _ensure_bucket(self, endpoint: str, region: str) -> None:
        where = f"storage.s3: bucket {self.bucket!r} at {endpoint}"
        try:
            try:
                await self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if not _missing(exc):
                    raise
                extra = {} if region == "us-east-1" else {
                    "CreateBucketConfiguration": {"LocationConstraint": region}}
                try:
                    await self.client.create_bucket(Bucket=self.bucket, **extra)
                except ClientError as create_error:
                    # Replicas started together race to create it: losing that race is success
                    # whenever the bucket now answers to these credentials.
                    if _error_code(create_error) not in _CREATE_RACE_CODES:
                        raise
                    await self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ConnectionError(f"{where}: {error.get('Code')} {error.get('Message') or ''}".rstrip()) from None
        except (BotoCoreError, OSError) as exc:
            raise ConnectionError(f"{where}: cannot reach it: {exc}") from None

    async def close(self) -> None:
        await self._stack.aclose()

    # --- keys --------------------------------------------------------------------
    def _blob_key(self, digest: Digest) -> str:
        return f"{self.prefix}blobs/{digest.algorithm}/{digest.hex[:2]}/{digest.hex}"

    def _upload_dir(self, upload_id: str) -> str:
        if not is_upload_id(upload_id):
            raise BlobUploadUnknown(upload_id)
        return f"{self.prefix}uploads/{upload_id}/"

    # --- object helpers ----------------------------------------------------------
    async def _get(self, key: str, byte_range: str | None = None) -> bytes | None:
        params = {"Bucket": self.bucket, "Key": key}
        if byte_range:
            params["Range"] = byte_range
        try:
            response = await self.client.get_object(**params)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        async with response["Body"] as body:
            return await body.read()

    async def _put(self, key: str, data: bytes) -> None:
        await self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    async def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start:start + 1000]]
            await self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    async def _list(self, prefix: str) -> AsyncIterator[dict]:
        paginator = self.client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield item

    # --- committed blobs -----------------------------------------------------------
    async def stat(self, digest: Digest) -> int | None:
        try:
            head = await self.client.head_object(Bucket=self.bucket, Key=self._blob_key(digest))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return head["ContentLength"]

    async def redirect_url(self, digest: Digest) -> str | None:
        if not self.redirect:
            return None
        return await self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._blob_key(digest)}, ExpiresIn=PRESIGN_SECONDS
        )

    async def read(self, digest: Digest, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        params = {"Bucket": self.bucket, "Key": self._blob_key(digest)}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = await self.client.get_object(**params)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(params["Key"]) from None
            raise
        async with response["Body"] as body:
            async for chunk in body.iter_chunks(READ_CHUNK):
                yield chunk

    async def get_bytes(self, digest: Digest) -> bytes | None:
        return await self._get(self._blob_key(digest))

    async def put_bytes(self, digest: Digest, data: bytes) -> None:
        # A PUT is atomic and the key is content-addressed, so rewriting it changes nothing.
        await self._put(self._blob_key(digest), data)

    async def delete(self, digest: Digest) -> bool:
        if await self.stat(digest) is None:
            return False
        await self.client.delete_object(Bucket=self.bucket, Key=self._blob_key(digest))
        return True

    async def list(self) -> AsyncIterator[tuple[Digest, int, float]]:
        base = f"{self.prefix}blobs/"
        async for item in self._list(base):
            algorithm, _, rest = item["Key"][len(base):].partition("/")
            try:
                digest = Digest.parse(f"{algorithm}:{rest.rpartition('/')[2]}")
            except ValueError:
                continue
            yield digest, item["Size"], item["LastModified"].timestamp()

    # --- uploads -------------------------------------------------------------------
    async def _segments(self, upload_id: str) -> list[Segment]:
        raw = await self._get(self._upload_dir(upload_id) + "state")
        if raw is None:
            raise BlobUploadUnknown(upload_id)
        return [(name, size) for name, size in json.loads(raw)["segments"]]

    async def _save_segments(self, upload_id: str, segments: list[Segment]) -> None:
        await self._put(self._upload_dir(upload_id) + "state", json.dumps({"segments": segments}).encode())

    async def upload_start(self, upload_id: str) -> None:
        await self._save_segments(upload_id, [])

    async def upload_append(
        self, upload_id: str, offset: int, chunks: AsyncIterable[bytes], on_chunk=None
    ) -> int:
        folder = self._upload_dir(upload_id)
        old = await self._segments(upload_id)
        if offset > sum(size for _, size in old):
            raise ValueError(f"upload {upload_id}: offset {offset} is past its end")
        # Keep the full segments before ``offset``. The bytes before ``offset`` of the one it
        # falls into — or of a short last segment, which must not become a middle part — are
        # re-read (at most one part). Sizes are walked, not computed, so a part_size changed
        # between processes or restarts does no harm.
        segments: list[Segment] = []
        buffer = bytearray()
        position = 0
        for name, size in old:
            if position >= offset:
                break
            if position + size <= offset and size >= MIN_PART_SIZE:
                segments.append((name, size))
                position += size
                continue
            buffer += await self._get(folder + name, f"bytes=0-{min(size, offset - position) - 1}")
            break

        async def write(data: bytes) -> None:
            name = f"{len(segments):05d}-{uuid.uuid4().hex[:12]}"
            await self._put(folder + name, data)
            segments.append((name, len(data)))

        async for chunk in chunks:
            if on_chunk is not None:
                on_chunk(chunk)
            buffer += chunk
            while len(buffer) >= self.part_size:
                with memoryview(buffer) as view:  # one copy of a part, not a slice and then a copy
                    part = bytes(view[:self.part_size])
                del buffer[:self.part_size]
                await write(part)
                del part
        if buffer:
            await write(bytes(buffer))
        await self._save_segments(upload_id, segments)
        kept = {name for name, _ in segments}
        await self._delete_keys([folder + name for name, _ in old if name not in kept])
        return sum(size for _, size in segments)

    async def upload_size(self, upload_id: str) -> int | None:
        try:
            return sum(size for _, size in await self._segments(upload_id))
        except BlobUploadUnknown:
            return None

    async def upload_read(self, upload_id: str) -> AsyncIterator[bytes]:
        folder = self._upload_dir(upload_id)
        for name, _ in await self._segments(upload_id):
            response = await self.client.get_object(Bucket=self.bucket, Key=folder + name)
            async with response["Body"] as body:
                async for chunk in body.iter_chunks(READ_CHUNK):
                    yield chunk

    async def upload_commit(self, upload_id: str, digest: Digest) -> int:
        folder = self._upload_dir(upload_id)
        segments = await self._segments(upload_id)
        key = self._blob_key(digest)
        if await self.stat(digest) is None:
            if not segments:
                await self._put(key, b"")
            elif len(segments) == 1:
                await self.client.copy_object(
                    Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": folder + segments[0][0]}
                )
            else:
                await self._join(key, [folder + name for name, _ in segments])
        await self.upload_abort(upload_id)
        return sum(size for _, size in segments)

    async def _join(self, key: str, sources: list[str]) -> None:
        """Copy ``sources`` server-side into ``key`` as one object, which appears only when whole."""
        created = await self.client.create_multipart_upload(Bucket=self.bucket, Key=key)
        upload = created["UploadId"]
        limit = asyncio.Semaphore(COPY_CONCURRENCY)

        async def copy(number: int, source: str) -> dict:
            async with limit:
                result = await self.client.upload_part_copy(
                    Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number,
                    CopySource={"Bucket": self.bucket, "Key": source},
                )
            return {"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]}

        try:
            parts = await asyncio.gather(*(copy(n, s) for n, s in enumerate(sources, start=1)))
            await self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": list(parts)}
            )
        except BaseException:
            await self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
            raise

    async def upload_abort(self, upload_id: str) -> None:
        try:
            folder = self._upload_dir(upload_id)
        except BlobUploadUnknown:
            return
        # The state first: from then on the upload is unknown, whatever else is left.
        await self.client.delete_object(Bucket=self.bucket, Key=folder + "state")
        await self._delete_keys([item["Key"] async for item in self._list(folder)])

    async def list_uploads(self) -> AsyncIterator[tuple[str, float]]:
        base = f"{self.prefix}uploads/"
        current, newest = None, 0.0
        async for item in self._list(base):  # keys come sorted, so one upload's objects are adjacent
            upload_id = item["Key"][len(base):].partition("/")[0]
            if upload_id != current:
                if current is not None:
                    yield current, newest
                current, newest = upload_id, 0.0
            newest = max(newest, item["LastModified"].timestamp())
        if current is not None:
            yield current, newest
