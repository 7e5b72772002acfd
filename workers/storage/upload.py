"""Uploading a local file: one PUT when small, else a resumable multipart upload.

The multipart state lives in the job checkpoint under ``upload``: the UploadId, the part
size, the file's size and mtime, and the parts done (ETags). A resumed job asks the service
which parts it holds (ListParts), sends the rest and completes. When the file changed, or the
upload vanished, the old upload is aborted and the transfer starts again. A crash between
CreateMultipartUpload and the checkpoint is covered by ``creating_at``: the next run aborts
that key's uploads begun since then, so no multipart upload is left orphaned.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.models import JSON, Progress
from workers.storage.buckets import head_object
from workers.storage.client import ObjectStorage, S3Client
from workers.storage.errors import EntityTooLarge, NoSuchKey, StorageError, UploadGone
from workers.storage.names import (
    MAX_OBJECT_SIZE,
    human_size,
    part_count,
    part_range,
    part_size_for,
)
from workers.storage.transfer import FileSlice, Journal, ThrottledSaver, run_parts

logger = logging.getLogger(__name__)

# How far back (server clock vs ours) an upload begun by a crashed run may appear to start.
_CLOCK_SKEW_S = 300.0


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """What to upload where, with the object's headers."""

    bucket: str
    key: str
    region: str
    path: Path
    content_type: str
    storage_class: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def headers(self) -> JSON:
        """Arguments of PutObject / CreateMultipartUpload besides bucket and key."""
        extra: JSON = {"ContentType": self.content_type}
        if self.storage_class:
            extra["StorageClass"] = self.storage_class
        if self.metadata:
            extra["Metadata"] = self.metadata
        return extra


async def upload_file(
    storage: ObjectStorage,
    request: UploadRequest,
    journal: Journal,
    *,
    deadline: float | None = None,
) -> JSON | None:
    """Upload (or continue uploading) ``request.path``; the result, or None at the deadline."""
    stat = request.path.stat()
    size, mtime_ns = stat.st_size, stat.st_mtime_ns
    if size > MAX_OBJECT_SIZE:
        raise EntityTooLarge(
            f"{request.path} is {human_size(size)}; Object Storage takes at most "
            f"{human_size(MAX_OBJECT_SIZE)} per object"
        )
    if size < storage.settings.multipart_threshold:
        await abort_recorded_upload(storage, request, journal)
        return await _put_small(storage, request, size)
    state = await _resume_or_start(storage, request, journal, size, mtime_ns)
    if "result" in state:
        return dict(state["result"])
    try:
        return await _send_parts(storage, request, journal, state, deadline)
    except StorageError as exc:
        if isinstance(exc, UploadGone):
            await journal.save(upload=None)  # aborted under us: start afresh next attempt
        raise


async def _put_small(storage: ObjectStorage, request: UploadRequest, size: int) -> JSON:
    fd = os.open(request.path, os.O_RDONLY)
    try:
        response = await storage.call(
            lambda c: c.put_object(
                Bucket=request.bucket,
                Key=request.key,
                Body=FileSlice(fd, 0, size),
                ContentLength=size,
                **request.headers(),
            ),
            region=request.region,
            bucket=request.bucket,
            key=request.key,
        )
    finally:
        os.close(fd)
    return _result(request, size, response.get("ETag", ""), parts=1)


def _result(request: UploadRequest, size: int, etag: str, *, parts: int) -> JSON:
    return {
        "bucket": request.bucket,
        "key": request.key,
        "size": size,
        "size_human": human_size(size),
        "etag": etag,
        "content_type": request.content_type,
        "parts": parts,
        "source": str(request.path),
    }


async def _resume_or_start(
    storage: ObjectStorage, request: UploadRequest, journal: Journal, size: int, mtime_ns: int
) -> JSON:
    """The multipart state to continue: the recorded upload if still valid, else a new one."""
    state: JSON | None = journal.checkpoint.get("upload")
    if state and (state["size"] != size or state["mtime_ns"] != mtime_ns):
        logger.info("s3://%s/%s: the file changed; restarting", request.bucket, request.key)
        await abort_recorded_upload(storage, request, journal)
        state = None
    if state:
        try:
            held = await _list_parts(storage, request, state["upload_id"])
        except UploadGone:
            finished = await _completed_result(storage, request, state)
            if finished is not None:
                return {"result": finished}
            await journal.save(upload=None)
            state = None
        else:
            state["parts"] = {
                str(n): etag
                for n, (etag, length) in held.items()
                if length == part_range(n, size, state["part_size"])[1]
            }
            return state
    await _abort_unrecorded(storage, request, journal)
    await journal.save(creating_at=time.time())
    response = await storage.call(
        lambda c: c.create_multipart_upload(
            Bucket=request.bucket, Key=request.key, **request.headers()
        ),
        region=request.region,
        bucket=request.bucket,
        key=request.key,
    )
    state = {
        "upload_id": response["UploadId"],
        "part_size": part_size_for(size, storage.settings.part_size),
        "size": size,
        "mtime_ns": mtime_ns,
        "parts": {},
    }
    await journal.save(upload=state, creating_at=None)
    return state


async def _send_parts(
    storage: ObjectStorage,
    request: UploadRequest,
    journal: Journal,
    state: JSON,
    deadline: float | None,
) -> JSON | None:
    size, part_size, upload_id = state["size"], state["part_size"], state["upload_id"]
    parts: dict[str, str] = dict(state["parts"])
    total_parts = part_count(size, part_size)
    saver = ThrottledSaver(
        journal, "uploading", size, lambda: {"upload": {**state, "parts": dict(parts)}}
    )
    saver.done_bytes = sum(part_range(int(n), size, part_size)[1] for n in parts)

    fd = os.open(request.path, os.O_RDONLY)
    try:

        async def send(number: int) -> None:
            offset, length = part_range(number, size, part_size)
            response = await storage.call(
                lambda c: c.upload_part(
                    Bucket=request.bucket,
                    Key=request.key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=FileSlice(fd, offset, length),
                    ContentLength=length,
                ),
                region=request.region,
                bucket=request.bucket,
                key=request.key,
            )
            parts[str(number)] = response["ETag"]
            await saver.add(length)

        todo = [n for n in range(1, total_parts + 1) if str(n) not in parts]
        finished = await run_parts(
            todo, send, concurrency=storage.settings.concurrency, deadline=deadline
        )
    finally:
        os.close(fd)
    await saver.flush()
    if not finished:
        return None
    if request.path.stat().st_mtime_ns != state["mtime_ns"]:
        await abort_recorded_upload(storage, request, journal)
        raise UploadGone(f"{request.path} changed during the upload; it was cancelled")
    manifest = [{"PartNumber": int(n), "ETag": parts[n]} for n in sorted(parts, key=int)]
    response = await storage.call(
        lambda c: c.complete_multipart_upload(
            Bucket=request.bucket,
            Key=request.key,
            UploadId=upload_id,
            MultipartUpload={"Parts": manifest},
        ),
        region=request.region,
        bucket=request.bucket,
        key=request.key,
    )
    result = _result(request, size, response.get("ETag", ""), parts=total_parts)
    await journal.save(Progress("completed", f"uploaded {human_size(size)}", 1.0), upload=None)
    return result


async def _list_parts(
    storage: ObjectStorage, request: UploadRequest, upload_id: str
) -> dict[int, tuple[str, int]]:
    """Part number -> (ETag, size) of the parts the service holds."""
    held: dict[int, tuple[str, int]] = {}
    marker: JSON = {}

    async def list_page(c: S3Client) -> Any:
        return await c.list_parts(
            Bucket=request.bucket, Key=request.key, UploadId=upload_id, **marker
        )

    while True:
        response = await storage.call(
            list_page,
            region=request.region,
            bucket=request.bucket,
            key=request.key,
        )
        for part in response.get("Parts", []):
            held[int(part["PartNumber"])] = (part["ETag"], int(part["Size"]))
        if not response.get("IsTruncated"):
            return held
        marker = {"PartNumberMarker": response["NextPartNumberMarker"]}


async def _completed_result(
    storage: ObjectStorage, request: UploadRequest, state: JSON
) -> JSON | None:
    """The result when the recorded upload was completed before a crash, else None."""
    expected_parts = part_count(state["size"], state["part_size"])
    try:
        head = await head_object(storage, request.bucket, request.key, request.region)
    except NoSuchKey:
        return None
    if head.size == state["size"] and head.etag.strip('"').endswith(f"-{expected_parts}"):
        return _result(request, head.size, head.etag, parts=expected_parts)
    return None


async def abort_recorded_upload(
    storage: ObjectStorage, request: UploadRequest, journal: Journal
) -> bool:
    """Abort the multipart upload named in the checkpoint, if any; True when there was one."""
    state = journal.checkpoint.get("upload")
    if not state:
        return False
    await _abort(storage, request, state["upload_id"])
    await journal.save(upload=None)
    return True


async def _abort_unrecorded(
    storage: ObjectStorage, request: UploadRequest, journal: Journal
) -> None:
    """Abort uploads of this key a crashed run began but never recorded."""
    creating_at = journal.checkpoint.get("creating_at")
    if not creating_at:
        return
    response = await storage.call(
        lambda c: c.list_multipart_uploads(Bucket=request.bucket, Prefix=request.key),
        region=request.region,
        bucket=request.bucket,
    )
    for upload in response.get("Uploads", []):
        initiated: Any = upload.get("Initiated")
        began = initiated.timestamp() if hasattr(initiated, "timestamp") else 0.0
        if upload["Key"] == request.key and began >= float(creating_at) - _CLOCK_SKEW_S:
            logger.info("aborting unrecorded upload of s3://%s/%s", request.bucket, request.key)
            await _abort(storage, request, upload["UploadId"])
    await journal.save(creating_at=None)


async def _abort(storage: ObjectStorage, request: UploadRequest, upload_id: str) -> None:
    try:
        await storage.call(
            lambda c: c.abort_multipart_upload(
                Bucket=request.bucket, Key=request.key, UploadId=upload_id
            ),
            region=request.region,
            bucket=request.bucket,
            key=request.key,
        )
    except UploadGone:
        pass
