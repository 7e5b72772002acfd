"""DNS operations: apply a list of record changes to a zone in one call, then wait until the
zone is ``active`` again (the API publishes a new zone version asynchronously).

The call is not idempotent (an ``add`` twice makes two records), so the job records that it
is about to send it; a job resumed after a crash re-reads the zone and drops the adds that
are already there and the deletes that have nothing left to delete.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import PermanentError
from workers.operations.waiting import poll_wait
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.dns import (
    ZONE_ACTIVE,
    ZONE_WAIT,
    ChangeAction,
    change_records,
    get_zone,
    matches,
    record_summary,
    zone_records,
)
from workers.scaleway.k8s import status_text
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome


class RecordChangeParams(BaseModel):
    """One change: what to do with the records called (name, type)."""

    action: ChangeAction
    name: str
    type: str
    data: str | None = None
    ttl: int = 3600
    priority: int | None = None


class ChangeRecordsParams(BaseModel):
    """Parameters of ``dns.change_records``."""

    zone: str
    changes: list[RecordChangeParams]


async def still_needed(client: ScalewayClient, zone: str, changes: list[JSON]) -> list[JSON]:
    """The changes a resumed job must still send: adds not yet there, deletes with a target."""
    existing = await zone_records(client, zone)
    needed = []
    for change in changes:
        present = [r for r in existing if matches(r, change)]
        if change["action"] == ChangeAction.ADD and present:
            continue
        if change["action"] == ChangeAction.DELETE and not present:
            continue
        needed.append(change)
    return needed


class ChangeRecords(Operation[ChangeRecordsParams]):
    """Add, set or delete records of a zone, then wait for the zone to be ``active``."""

    name = "dns.change_records"
    params_model = ChangeRecordsParams
    identity = None  # every parameter: a different content or size is a different call
    touches = (CacheKind.DNS_ZONES,)

    async def step(self, ctx: StepContext[ChangeRecordsParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if not ctx.checkpoint.get("applied"):
            changes = [c.model_dump(mode="json") for c in params.changes]
            if ctx.checkpoint.get("sending"):
                changes = await still_needed(client, params.zone, changes)
            else:
                await ctx.save(sending=True)
            if changes:
                await change_records(client, params.zone, changes)
            await ctx.save(Progress("publishing", f"{len(changes)} change(s) sent"), applied=True)
        zone = await get_zone(client, params.zone)
        status = status_text(zone.status)
        if status in ZONE_WAIT:
            return poll_wait(ctx, PollKind.DNS, "publishing", f"zone {params.zone} is {status}")
        if status != ZONE_ACTIVE:
            raise PermanentError(
                f"zone {params.zone} is {status!r} after the change: {zone.message or 'no reason'}"
            )
        return Done(await self._result(client, params))

    async def _result(self, client: ScalewayClient, params: ChangeRecordsParams) -> JSON:
        names = {c.name for c in params.changes}
        records: list[Any] = [r for r in await zone_records(client, params.zone) if r.name in names]
        return {
            "zone": params.zone,
            "status": ZONE_ACTIVE,
            "records": [record_summary(r) for r in records],
        }


CHANGE_RECORDS = ChangeRecords()
OPERATIONS: list[AnyOperation] = [CHANGE_RECORDS]
