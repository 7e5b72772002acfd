"""Emptying and deleting a bucket: every object version, delete marker and unfinished
multipart upload goes, one page of up to 1,000 at a time, so a job can resume at any page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs.models import JSON
from workers.storage.client import ObjectStorage, S3Client
from workers.storage.errors import NoSuchBucket, StorageRequestError, UploadGone

PAGE = 1000


@dataclass(frozen=True, slots=True)
class BucketContents:
    """A look at what a bucket holds: a few keys, whether there are more, open uploads."""

    keys: list[str]
    more: bool
    uploads: list[str]

    @property
    def empty(self) -> bool:
        """Nothing (no version, marker or upload) is left."""
        return not self.keys and not self.uploads

    def describe(self, limit: int = 10) -> list[str]:
        """What is in the bucket, for a refusal message."""
        shown = [f"object {k}" for k in self.keys[:limit]]
        if self.more or len(self.keys) > limit:
            shown.append("and more objects")
        shown += [f"unfinished upload of {k}" for k in self.uploads[:limit]]
        return shown


async def bucket_contents(storage: ObjectStorage, bucket: str, region: str) -> BucketContents:
    """The first page of versions and of multipart uploads; NoSuchBucket if it is not there."""
    versions = await _versions_page(storage, bucket, region)
    keys = [v["Key"] for v in versions["items"]]
    uploads = await _uploads_page(storage, bucket, region)
    return BucketContents(keys, versions["more"], [u["Key"] for u in uploads])


async def delete_page(storage: ObjectStorage, bucket: str, region: str) -> int:
    """Delete one page of versions and markers, else abort one page of uploads; how many."""
    page = await _versions_page(storage, bucket, region)
    items = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page["items"]]
    if items:
        response = await storage.call(
            lambda c: c.delete_objects(Bucket=bucket, Delete={"Objects": items, "Quiet": True}),
            region=region,
            bucket=bucket,
        )
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise StorageRequestError(
                f"could not delete {len(errors)} object version(s) of bucket {bucket}: "
                f"{first.get('Code')} {first.get('Message')}"
            )
        return len(items)
    uploads = await _uploads_page(storage, bucket, region)
    for upload in uploads:

        async def abort(c: S3Client, u: JSON = upload) -> Any:
            return await c.abort_multipart_upload(
                Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"]
            )

        try:
            await storage.call(
                abort,
                region=region,
                bucket=bucket,
                key=upload["Key"],
            )
        except UploadGone:
            pass
    return len(uploads)


async def delete_empty_bucket(storage: ObjectStorage, bucket: str, region: str) -> bool:
    """Delete the (empty) bucket; False when it was already gone."""
    try:
        await storage.call(lambda c: c.delete_bucket(Bucket=bucket), region=region, bucket=bucket)
    except NoSuchBucket:
        return False
    return True


async def _versions_page(storage: ObjectStorage, bucket: str, region: str) -> JSON:
    response = await storage.call(
        lambda c: c.list_object_versions(Bucket=bucket, MaxKeys=PAGE), region=region, bucket=bucket
    )
    items = [
        {"Key": e["Key"], "VersionId": e.get("VersionId") or "null"}
        for e in [*response.get("Versions", []), *response.get("DeleteMarkers", [])]
    ]
    return {"items": items, "more": bool(response.get("IsTruncated"))}


async def _uploads_page(storage: ObjectStorage, bucket: str, region: str) -> list[JSON]:
    response = await storage.call(
        lambda c: c.list_multipart_uploads(Bucket=bucket, MaxUploads=PAGE),
        region=region,
        bucket=bucket,
    )
    return [{"Key": u["Key"], "UploadId": u["UploadId"]} for u in response.get("Uploads", [])]
