"""Object Storage operations: create a bucket, upload, download and delete objects."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Awaitable
from typing import Any, Literal

from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import PermanentError, TransientError
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome, Wait
from workers.storage import buckets
from workers.storage.client import ObjectStorage
from workers.storage.download import DownloadRequest, discard_temp, download_file
from workers.storage.names import human_size
from workers.storage.paths import check_source, resolve
from workers.storage.upload import UploadRequest, abort_recorded_upload, upload_file

logger = logging.getLogger(__name__)


class CreateBucketParams(BaseModel):
    name: str
    region: str
    acl: Literal["private", "public-read"] | None = None
    versioning: bool = False
    tags: dict[str, str] = Field(default_factory=dict)


class ObjectParams(BaseModel):
    bucket: str
    key: str
    region: str


class UploadObjectParams(ObjectParams):
    path: str | None = None
    # Inline bytes, base64 ("content" is redacted wherever jobs are shown).
    content: str | None = None
    content_type: str
    storage_class: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class DownloadObjectParams(ObjectParams):
    path: str
    overwrite: bool = False


class DeleteObjectParams(ObjectParams):
    all_versions: bool = False


def _last_attempt(ctx: StepContext[Any]) -> bool:
    return ctx.job.attempts + 1 >= ctx.job.max_attempts


class _ProgressMemo:
    """The step context, remembering the latest progress to hand to ``Wait``."""

    def __init__(self, ctx: StepContext[Any]) -> None:
        self._ctx = ctx
        self.checkpoint = ctx.checkpoint
        self.last = Progress("starting")

    async def save(self, progress: Progress | None = None, **updates: object) -> None:
        if progress is not None:
            self.last = progress
        await self._ctx.save(progress, **updates)

    async def report(self, progress: Progress) -> None:
        self.last = progress
        await self._ctx.report(progress)


class CreateBucket(Operation[CreateBucketParams]):
    """Create a bucket; one you already own is left as it is and reported."""

    name = "storage.create_bucket"
    params_model = CreateBucketParams
    identity = ("region", "name")
    touches = (CacheKind.BUCKETS,)

    async def step(self, ctx: StepContext[CreateBucketParams]) -> StepOutcome:
        p = ctx.params
        storage = ctx.services.object_storage()
        created = await buckets.create_bucket(storage, p.name, p.region, acl=p.acl)
        if created:
            await ctx.save(Progress("created", f"bucket {p.name} created"), created=True)
        # Settings are applied to a bucket this job created (maybe before a crash), never to
        # one that existed already.
        ours = created or bool(ctx.checkpoint.get("created"))
        if ours:
            await buckets.configure_bucket(
                storage, p.name, p.region, versioning=p.versioning, tags=p.tags
            )
        result: JSON = {"bucket": p.name, "region": p.region, "created": ours}
        if ours:
            result.update(acl=p.acl or "private", versioning=p.versioning, tags=p.tags)
        else:
            result["note"] = "the bucket already existed and is yours; its settings are unchanged"
        return Done(result)


class UploadObject(Operation[UploadObjectParams]):
    """Upload a local file (streamed, multipart when large, resumable) or inline bytes."""

    name = "storage.upload_object"
    params_model = UploadObjectParams
    identity = None  # every parameter: a different content or size is a different call
    touches = (CacheKind.OBJECTS,)

    async def step(self, ctx: StepContext[UploadObjectParams]) -> StepOutcome:
        p = ctx.params
        storage = ctx.services.object_storage()
        if p.content is not None:
            return Done(await self._put_inline(storage, p))
        if p.path is None:
            raise PermanentError("give either a local path or inline content to upload")
        path = resolve(p.path)
        check_source(path)
        request = UploadRequest(
            bucket=p.bucket,
            key=p.key,
            region=p.region,
            path=path,
            content_type=p.content_type,
            storage_class=p.storage_class,
            metadata=p.metadata,
        )
        journal = _ProgressMemo(ctx)
        deadline = time.monotonic() + storage.settings.step_budget_s
        try:
            result = await upload_file(storage, request, journal, deadline=deadline)
        except (PermanentError, TransientError) as exc:
            if isinstance(exc, PermanentError) or _last_attempt(ctx):
                # The job ends here: leave no multipart upload behind.
                await _quietly(abort_recorded_upload(storage, request, journal))
            raise
        if result is None:
            return Wait(0, journal.last)
        return Done(result)

    async def _put_inline(self, storage: ObjectStorage, p: UploadObjectParams) -> JSON:
        try:
            body = base64.b64decode(p.content or "", validate=True)
        except binascii.Error as exc:
            raise PermanentError("the inline content is not valid base64") from exc
        extra: JSON = {"ContentType": p.content_type}
        if p.storage_class:
            extra["StorageClass"] = p.storage_class
        if p.metadata:
            extra["Metadata"] = p.metadata
        response = await storage.call(
            lambda c: c.put_object(Bucket=p.bucket, Key=p.key, Body=body, **extra),
            region=p.region,
            bucket=p.bucket,
            key=p.key,
        )
        return {
            "bucket": p.bucket,
            "key": p.key,
            "size": len(body),
            "size_human": human_size(len(body)),
            "etag": response.get("ETag", ""),
            "content_type": p.content_type,
            "parts": 1,
            "source": "inline",
        }

    async def on_cancel(self, ctx: StepContext[UploadObjectParams]) -> JSON | None:
        p = ctx.params
        storage = ctx.services.object_storage()
        request = UploadRequest(p.bucket, p.key, p.region, resolve(p.path or "/"), p.content_type)
        aborted = await abort_recorded_upload(storage, request, ctx)
        return {
            "bucket": p.bucket,
            "key": p.key,
            "uploaded": False,
            "note": "the partial multipart upload was aborted" if aborted else "nothing was sent",
        }


class DownloadObject(Operation[DownloadObjectParams]):
    """Download an object to a local file: streamed, ranged, resumable, atomic rename."""

    name = "storage.download_object"
    params_model = DownloadObjectParams
    identity = None  # every parameter: a different content or size is a different call
    touches = ()

    async def step(self, ctx: StepContext[DownloadObjectParams]) -> StepOutcome:
        p = ctx.params
        storage = ctx.services.object_storage()
        request = DownloadRequest(
            bucket=p.bucket,
            key=p.key,
            region=p.region,
            path=resolve(p.path),
            overwrite=p.overwrite,
            temp_tag=ctx.job.id[:8],
        )
        journal = _ProgressMemo(ctx)
        deadline = time.monotonic() + storage.settings.step_budget_s
        try:
            result = await download_file(storage, request, journal, deadline=deadline)
        except (PermanentError, TransientError) as exc:
            if isinstance(exc, PermanentError) or _last_attempt(ctx):
                discard_temp(ctx)
            raise
        if result is None:
            return Wait(0, journal.last)
        return Done(result)

    async def on_cancel(self, ctx: StepContext[DownloadObjectParams]) -> JSON | None:
        p = ctx.params
        discard_temp(ctx)
        return {"bucket": p.bucket, "key": p.key, "path": p.path, "downloaded": False}


class DeleteObject(Operation[DeleteObjectParams]):
    """Delete an object, or every version of it."""

    name = "storage.delete_object"
    params_model = DeleteObjectParams
    identity = ("region", "bucket", "key")
    touches = (CacheKind.OBJECTS,)

    async def step(self, ctx: StepContext[DeleteObjectParams]) -> StepOutcome:
        p = ctx.params
        return Done(
            await buckets.delete_object(
                ctx.services.object_storage(),
                p.bucket,
                p.key,
                p.region,
                all_versions=p.all_versions,
            )
        )


async def _quietly(cleanup: Awaitable[object]) -> None:
    """Await a best-effort cleanup; its failure must not hide the original error."""
    try:
        await cleanup
    except Exception as exc:
        logger.warning("cleanup after a failed transfer failed too: %s", exc)


CREATE_BUCKET = CreateBucket()
UPLOAD_OBJECT = UploadObject()
DOWNLOAD_OBJECT = DownloadObject()
DELETE_OBJECT = DeleteObject()
OPERATIONS: list[AnyOperation] = [CREATE_BUCKET, UPLOAD_OBJECT, DOWNLOAD_OBJECT, DELETE_OBJECT]
