"""Deleting a bucket: refused while it holds anything, unless ``force``, which empties it
page by page (versions, delete markers, unfinished uploads), resumable at any page."""

from __future__ import annotations

from pydantic import BaseModel

from jobs.models import Progress
from workers.errors import InUse
from workers.operations.storage import storage_of
from workers.steps import Done, Operation, StepContext, StepOutcome, Wait
from workers.storage.emptying import bucket_contents, delete_empty_bucket, delete_page

DELETE_BUCKET = "storage.delete_bucket"
# Pages emptied per step: a cancel or a shutdown waits at most this many pages.
PAGES_PER_STEP = 10
FORCE_ADVICE = "delete them first, or pass force=true to delete everything in it"


class DeleteBucketParams(BaseModel):
    """Parameters of ``storage.delete_bucket``."""

    bucket: str
    region: str
    force: bool = False


class DeleteBucket(Operation):
    """Delete a bucket, emptying it first when ``force`` is given."""

    name = DELETE_BUCKET
    params_model = DeleteBucketParams
    identity = ("region", "bucket")
    touches = ("bucket", "object")

    async def step(self, ctx: StepContext) -> StepOutcome:
        p: DeleteBucketParams = ctx.params  # type: ignore[assignment]
        storage = storage_of(ctx)
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


OPERATIONS: list[Operation] = [DeleteBucket()]
