"""Bucket and object calls that are one request or a few: list, create, head, read, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.models import JSON
from workers.storage.client import ObjectStorage, S3Client
from workers.storage.errors import BucketAlreadyOwned, NoSuchKey, StorageRequestError
from workers.storage.names import human_size


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class ObjectHead:
    """What HEAD says about an object."""

    size: int
    etag: str
    content_type: str | None
    last_modified: str | None
    version_id: str | None


async def list_buckets(storage: ObjectStorage, region: str) -> list[JSON]:
    """The buckets the credentials see on ``region``'s endpoint."""
    response = await storage.call(lambda c: c.list_buckets(), region=region)
    return [
        {"name": b["Name"], "created_at": _iso(b.get("CreationDate"))}
        for b in response.get("Buckets", [])
    ]


async def create_bucket(
    storage: ObjectStorage, name: str, region: str, *, acl: str | None = None
) -> bool:
    """Create bucket ``name``; False when it already exists and is ours."""
    kwargs: JSON = {"Bucket": name, "CreateBucketConfiguration": {"LocationConstraint": region}}
    if acl:
        kwargs["ACL"] = acl
    try:
        await storage.call(lambda c: c.create_bucket(**kwargs), region=region, bucket=name)
    except BucketAlreadyOwned:
        return False
    return True


async def configure_bucket(
    storage: ObjectStorage,
    name: str,
    region: str,
    *,
    versioning: bool,
    tags: dict[str, str],
) -> None:
    """Turn versioning on and set tags (each call idempotent)."""
    if versioning:
        await storage.call(
            lambda c: c.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": "Enabled"}
            ),
            region=region,
            bucket=name,
        )
    if tags:
        tag_set = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        await storage.call(
            lambda c: c.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_set}),
            region=region,
            bucket=name,
        )


async def list_objects(
    storage: ObjectStorage,
    bucket: str,
    region: str,
    *,
    prefix: str = "",
    delimiter: str | None = None,
    token: str | None = None,
    limit: int = 100,
) -> JSON:
    """One page of objects (and "folders" with a delimiter), summarised."""
    kwargs: JSON = {"Bucket": bucket, "MaxKeys": limit}
    if prefix:
        kwargs["Prefix"] = prefix
    if delimiter:
        kwargs["Delimiter"] = delimiter
    if token:
        kwargs["ContinuationToken"] = token
    response = await storage.call(
        lambda c: c.list_objects_v2(**kwargs), region=region, bucket=bucket
    )
    objects = [
        {
            "key": o["Key"],
            "size": o.get("Size", 0),
            "size_human": human_size(o.get("Size", 0)),
            "last_modified": _iso(o.get("LastModified")),
            "storage_class": o.get("StorageClass", "STANDARD"),
        }
        for o in response.get("Contents", [])
    ]
    page: JSON = {"bucket": bucket, "objects": objects, "count": len(objects)}
    if delimiter:
        page["folders"] = [p["Prefix"] for p in response.get("CommonPrefixes", [])]
    page["next_token"] = (
        response.get("NextContinuationToken") if response.get("IsTruncated") else None
    )
    return page


async def require_bucket(storage: ObjectStorage, bucket: str, region: str) -> None:
    """Return if ``bucket`` exists (and is reachable) in ``region``; NoSuchBucket otherwise."""
    await storage.call(lambda c: c.head_bucket(Bucket=bucket), region=region, bucket=bucket)


async def head_object(storage: ObjectStorage, bucket: str, key: str, region: str) -> ObjectHead:
    """Size, ETag and type of an object (NoSuchKey when absent)."""
    response = await storage.call(
        lambda c: c.head_object(Bucket=bucket, Key=key), region=region, bucket=bucket, key=key
    )
    return ObjectHead(
        size=int(response.get("ContentLength", 0)),
        etag=str(response.get("ETag", "")),
        content_type=response.get("ContentType"),
        last_modified=_iso(response.get("LastModified")),
        version_id=response.get("VersionId"),
    )


async def read_small_object(
    storage: ObjectStorage, bucket: str, key: str, region: str, *, etag: str
) -> bytes:
    """The whole body of an object the caller knows to be small (guarded by its ETag)."""

    async def get(c: Any) -> bytes:
        response = await c.get_object(Bucket=bucket, Key=key, IfMatch=etag)
        body = response["Body"]
        async with body:
            data: bytes = await body.read()
        return data

    return await storage.call(get, region=region, bucket=bucket, key=key)


async def delete_object(
    storage: ObjectStorage, bucket: str, key: str, region: str, *, all_versions: bool
) -> JSON:
    """Delete an object (a delete marker on versioned buckets), or every version of it."""
    if not all_versions:
        try:
            await head_object(storage, bucket, key, region)
            existed = True
        except NoSuchKey:
            existed = False
        await storage.call(
            lambda c: c.delete_object(Bucket=bucket, Key=key),
            region=region,
            bucket=bucket,
            key=key,
        )
        return {"bucket": bucket, "key": key, "deleted": True, "existed": existed}
    versions = await _versions_of(storage, bucket, key, region)
    deleted = 0
    for start in range(0, len(versions), 1000):
        batch = versions[start : start + 1000]

        async def delete_batch(c: S3Client, b: list[dict[str, str]] = batch) -> Any:
            return await c.delete_objects(Bucket=bucket, Delete={"Objects": b, "Quiet": True})

        response = await storage.call(
            delete_batch,
            region=region,
            bucket=bucket,
            key=key,
        )
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise StorageRequestError(
                f"could not delete {len(errors)} version(s) of s3://{bucket}/{key}: "
                f"{first.get('Code')} {first.get('Message')}"
            )
        deleted += len(batch)
    return {
        "bucket": bucket,
        "key": key,
        "deleted": True,
        "existed": bool(versions),
        "versions_deleted": deleted,
    }


async def _versions_of(
    storage: ObjectStorage, bucket: str, key: str, region: str
) -> list[dict[str, str]]:
    """Every version and delete marker of exactly ``key``."""
    found: list[dict[str, str]] = []
    markers: JSON = {}

    async def list_page(c: S3Client) -> Any:
        return await c.list_object_versions(Bucket=bucket, Prefix=key, **markers)

    while True:
        response = await storage.call(
            list_page,
            region=region,
            bucket=bucket,
            key=key,
        )
        for entry in [*response.get("Versions", []), *response.get("DeleteMarkers", [])]:
            if entry["Key"] == key:
                found.append({"Key": key, "VersionId": entry.get("VersionId") or "null"})
        if not response.get("IsTruncated"):
            return found
        markers = {
            "KeyMarker": response.get("NextKeyMarker"),
            "VersionIdMarker": response.get("NextVersionIdMarker"),
        }
