"""Object Storage tools: buckets and objects; transfers are jobs, streamed from and to disk."""

from __future__ import annotations

import base64
import time
from pathlib import Path

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.file_roots import FileRoots
from mcp_front.job_view import iso
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec
from mcp_front.tools.storage_inputs import (
    CreateBucketInput,
    DeleteBucketInput,
    DeleteObjectInput,
    DownloadObjectInput,
    ListBucketsInput,
    ListObjectsInput,
    UploadObjectInput,
)
from workers.cache import CacheKind
from workers.errors import InUse
from workers.operations.bucket_deletion import DELETE_BUCKET, FORCE_ADVICE, DeleteBucketParams
from workers.operations.storage import (
    CREATE_BUCKET,
    DELETE_OBJECT,
    DOWNLOAD_OBJECT,
    UPLOAD_OBJECT,
    CreateBucketParams,
    DeleteObjectParams,
    DownloadObjectParams,
    UploadObjectParams,
)
from workers.storage import buckets
from workers.storage.client import ObjectStorage
from workers.storage.emptying import BucketContents, bucket_contents
from workers.storage.names import (
    guess_content_type,
    human_size,
    is_text_type,
)


def _storage(runtime: Runtime) -> ObjectStorage:
    storage = runtime.services.storage
    if storage is None:
        raise ToolInputError("region", "Object Storage is not configured on this server")
    return storage


def _region(runtime: Runtime, region: str | None) -> str:
    return region or runtime.settings.credentials.region


async def list_buckets(args: ListBucketsInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Buckets of one region."""
    region = _region(runtime, args.region)
    storage = _storage(runtime)
    rows = await runtime.services.read_cache.get_or_load(
        CacheKind.BUCKETS, ("list", region), lambda: buckets.list_buckets(storage, region)
    )
    data = {"region": region, "buckets": rows, "count": len(rows)}
    return envelope.success(data, source=runtime.source)


async def create_bucket(args: CreateBucketInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Enqueue the creation of a bucket."""
    return await submit_and_wait(runtime, ctx, CREATE_BUCKET, await bucket_params(args, runtime))


async def bucket_params(args: CreateBucketInput, runtime: Runtime) -> CreateBucketParams:
    """The job's parameters, region checked (ToolInputError naming the field)."""
    return CreateBucketParams(
        name=args.name,
        region=_region(runtime, args.region),
        acl=args.acl,
        versioning=args.versioning,
        tags=args.tags,
    )


async def delete_bucket(args: DeleteBucketInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Enqueue a bucket's deletion; one holding anything is refused, naming it, unless force."""
    region, _ = await _deletable_bucket(args, runtime)
    params = DeleteBucketParams(bucket=args.name, region=region, force=args.force)
    return await submit_and_wait(runtime, ctx, DELETE_BUCKET, params)


async def describe_bucket_deletion(args: DeleteBucketInput, runtime: Runtime) -> str:
    """What ``delete_bucket`` takes away: the bucket and, with force, what it holds."""
    _, contents = await _deletable_bucket(args, runtime)
    if contents.empty:
        return f"Delete the empty bucket {args.name}."
    return f"Delete bucket {args.name} and everything in it: {', '.join(contents.describe(5))}."


async def _deletable_bucket(
    args: DeleteBucketInput, runtime: Runtime
) -> tuple[str, BucketContents]:
    """Region and a look at the contents, or InUse naming them unless ``force``."""
    region = _region(runtime, args.region)
    contents = await bucket_contents(_storage(runtime), args.name, region)
    if not args.force and not contents.empty:
        raise InUse(f"bucket {args.name}", contents.describe(), FORCE_ADVICE)
    return region, contents


async def list_objects(args: ListObjectsInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """One page of objects, summarised."""
    region = _region(runtime, args.region)
    storage = _storage(runtime)
    key = (
        args.bucket,
        region,
        args.prefix,
        args.delimiter,
        args.continuation_token,
        args.page_size,
    )
    page = await runtime.services.read_cache.get_or_load(
        CacheKind.OBJECTS,
        key,
        lambda: buckets.list_objects(
            storage,
            args.bucket,
            region,
            prefix=args.prefix,
            delimiter=args.delimiter,
            token=args.continuation_token,
            limit=args.page_size,
        ),
    )
    return envelope.success(page, source=runtime.source)


def _inline_bytes(args: UploadObjectInput, cap: int) -> bytes:
    if args.text is not None:
        body = args.text.encode("utf-8")
        field = "text"
    else:
        field = "content_base64"
        try:
            body = base64.b64decode(args.content_base64 or "", validate=True)
        except ValueError:  # binascii.Error, or text that is not ASCII
            raise ToolInputError(field, "is not valid base64") from None
    if len(body) > cap:
        raise ToolInputError(
            field,
            f"inline content is {human_size(len(body))}; the cap is {human_size(cap)}. "
            "Write it to a file and pass path instead.",
        )
    return body


async def upload_object(args: UploadObjectInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Enqueue an upload from a local file or inline content."""
    content_type = args.content_type
    source: str | None = None
    content: str | None = None
    if args.path is not None:
        path = FileRoots.of(runtime.settings).readable("path", args.path)
        source = str(path)
        content_type = content_type or guess_content_type(args.key)
        if content_type == "application/octet-stream":
            content_type = guess_content_type(path.name)
    else:
        body = _inline_bytes(args, runtime.settings.s3_inline_max_kb * 1024)
        content = base64.b64encode(body).decode("ascii")
        if content_type is None:
            content_type = guess_content_type(args.key)
            if args.text is not None and content_type == "application/octet-stream":
                content_type = "text/plain; charset=utf-8"
    region = _region(runtime, args.region)
    # A missing bucket is refused here, not by a job that fails after its retries.
    await buckets.require_bucket(_storage(runtime), args.bucket, region)
    params = UploadObjectParams(
        bucket=args.bucket,
        key=args.key,
        region=region,
        storage_class=args.storage_class,
        metadata=args.metadata,
        path=source,
        content=content,
        content_type=content_type,
    )
    return await submit_and_wait(runtime, ctx, UPLOAD_OBJECT, params)


async def download_object(
    args: DownloadObjectInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """A presigned URL, small text inline, or a download job to a local file."""
    region = _region(runtime, args.region)
    storage = _storage(runtime)
    if args.presigned_url:
        url = await storage.presign_get(
            args.bucket, args.key, region=region, expires_s=args.expires_s
        )
        data = {
            "bucket": args.bucket,
            "key": args.key,
            "url": url,
            "expires_in_s": args.expires_s,
            "expires_at": iso(time.time() + args.expires_s),
        }
        return envelope.success(data, source=runtime.source)
    if args.path is None and args.inline is not False:
        inline = await _try_inline(args, runtime, storage, region)
        if inline is not None:
            return inline
    if args.path is not None:
        target: str | Path = args.path
    else:
        name = args.key.rstrip("/").rsplit("/", 1)[-1].strip(".") or "object"
        target = runtime.settings.data_dir / "downloads" / args.bucket / name
    path = FileRoots.of(runtime.settings).writable("path", target, overwrite=args.overwrite)
    params = DownloadObjectParams(
        bucket=args.bucket, key=args.key, region=region, path=str(path), overwrite=args.overwrite
    )
    return await submit_and_wait(runtime, ctx, DOWNLOAD_OBJECT, params)


INLINE_ENVELOPE_ROOM = 1024


async def _try_inline(
    args: DownloadObjectInput, runtime: Runtime, storage: ObjectStorage, region: str
) -> CallToolResult | None:
    """The object as inline text when it is small and text; None to download it instead."""
    # Inline text must fit the answer cap with its envelope; larger objects go to a file.
    cap = runtime.settings.answer_max_kb * 1024 - INLINE_ENVELOPE_ROOM
    head = await buckets.head_object(storage, args.bucket, args.key, region)
    reason = None
    if head.size > cap:
        reason = f"it is {human_size(head.size)}, over the inline cap of {human_size(cap)}"
    elif not is_text_type(head.content_type) and args.inline is not True:
        return None
    text = None
    if reason is None:
        raw = await buckets.read_small_object(
            storage, args.bucket, args.key, region, etag=head.etag
        )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            reason = "it is not UTF-8 text"
    if text is None:
        if args.inline:
            raise ToolInputError("inline", f"cannot return the object inline: {reason}")
        return None
    data = {
        "bucket": args.bucket,
        "key": args.key,
        "size": head.size,
        "content_type": head.content_type,
        "etag": head.etag,
        "text": "the object's text is the answer's second text block",
    }
    return envelope.success(data, source=runtime.source, text=text)


async def delete_object(args: DeleteObjectInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Enqueue the deletion of an object (or of all its versions)."""
    params = DeleteObjectParams(
        bucket=args.bucket,
        key=args.key,
        region=_region(runtime, args.region),
        all_versions=args.all_versions,
    )
    return await submit_and_wait(runtime, ctx, DELETE_OBJECT, params)


async def describe_object_deletion(args: DeleteObjectInput, runtime: Runtime) -> str:
    """What ``delete_object`` takes away."""
    versions = "every version of " if args.all_versions else ""
    return f"Delete {versions}object {args.key} from bucket {args.bucket}."


TOOLS = [
    ToolSpec(
        name="list_buckets",
        title="List buckets",
        description="Object Storage buckets of a region.",
        input_model=ListBucketsInput,
        handler=list_buckets,
        group=ToolGroup.STORAGE,
        read_only=True,
    ),
    ToolSpec(
        name="create_bucket",
        title="Create bucket",
        description=(
            "Create a bucket (private by default). Creating one you already own succeeds and "
            "changes nothing."
        ),
        input_model=CreateBucketInput,
        handler=create_bucket,
        group=ToolGroup.STORAGE,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="list_objects",
        title="List objects",
        description=(
            "Objects of a bucket: key, size, last modified, storage class. Prefix, delimiter "
            "for folders, paginated with continuation_token."
        ),
        input_model=ListObjectsInput,
        handler=list_objects,
        group=ToolGroup.STORAGE,
        read_only=True,
    ),
    ToolSpec(
        name="upload_object",
        title="Upload object",
        description=(
            "Upload a local file (streamed, any size; large ones return a job id) or small "
            "inline text/base64. Replaces an existing object with the same key."
        ),
        input_model=UploadObjectInput,
        handler=upload_object,
        group=ToolGroup.STORAGE,
        read_only=False,
        idempotent=True,
    ),
    ToolSpec(
        name="download_object",
        title="Download object",
        description=(
            "Download an object to a local file (streamed; large ones return a job id), get "
            "small text inline, or a presigned URL. Never overwrites without overwrite: true."
        ),
        input_model=DownloadObjectInput,
        handler=download_object,
        group=ToolGroup.STORAGE,
        read_only=False,
        writes_local_files=True,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_object",
        title="Delete object",
        description=(
            "Delete an object (a delete marker on versioned buckets), or every version of it "
            "with all_versions."
        ),
        input_model=DeleteObjectInput,
        handler=delete_object,
        group=ToolGroup.STORAGE,
        describe=describe_object_deletion,
        read_only=False,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_bucket",
        title="Delete bucket",
        description=(
            "Delete a bucket (job). Refused while it holds objects unless force=true, which "
            "deletes every object, version and unfinished upload first."
        ),
        input_model=DeleteBucketInput,
        handler=delete_bucket,
        group=ToolGroup.STORAGE,
        describe=describe_bucket_deletion,
        read_only=False,
        destructive=True,
    ),
]
