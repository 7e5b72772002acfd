"""Deleting a bucket: refused while it holds anything, unless ``force``, which empties it
page by page (versions, delete markers, unfinished uploads), resumable at any page."""

from __future__ import annotations

from pydantic import BaseModel

from jobs.models import Progress
from workers.cache import CacheKind
from workers.errors import InUse
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome, Wait
from workers.storage.emptying import bucket_contents, delete_empty_bucket, delete_page

# Pages emptied per step: a cancel or a shutdown waits at most this many pages.
PAGES_PER_STEP = 10
FORCE_ADVICE = "delete them first, or pass force=true to delete everything in it"


class DeleteBucketParams(BaseModel):
    """Parameters of ``storage.delete_bucket``."""

    bucket: str
    region: str
    force: bool = False


class DeleteBucket(Operation[DeleteBucketParams]):
    """Delete a bucket, emptying it first when ``force`` is given."""

    name = "storage.delete_bucket"
    params_model = DeleteBucketParams
    identity = ("region", "bucket")
    touches = (CacheKind.BUCKETS, CacheKind.OBJECTS)

    async def step(self, ctx: StepContext[DeleteBucketParams]) -> StepOutcome:
        p = ctx.params
        storage = ctx.services.object_storage()
        removed = int(ctx.checkpoint.get("removed", 0))
        if not p.force and not ctx.checkpoint.get("emptied"):
            contents = await bucket_contents(storage, p.bucket, p.region)
            if not contents.empty:
                raise InUse(f"bucket {p.bucket}", contents.describe(), FORCE_ADVICE)
        elif not ctx.checkpoint.get("emptied"):
            for _ in range(PAGES_PER_STEP):
                count = await delete_page(storage, p.bucket, p.region)
                if count == 0:
                    break
                removed += count
                message = f"{removed} object versions and uploads removed"
                await ctx.save(Progress("emptying", message), removed=removed)
            else:
                return Wait(0.0, Progress("emptying", f"{removed} removed so far"))
        await ctx.save(Progress("deleting", f"bucket {p.bucket} is empty"), emptied=True)
        existed = await delete_empty_bucket(storage, p.bucket, p.region)
        return Done(
            {"bucket": p.bucket, "region": p.region, "deleted": True, "removed": removed}
            | ({} if existed or removed else {"note": "the bucket was already gone"})
        )


DELETE_BUCKET = DeleteBucket()
OPERATIONS: list[AnyOperation] = [DELETE_BUCKET]
