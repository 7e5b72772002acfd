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
from workers.errors import PermanentError
from workers.scaleway.client import ScalewayClient
from workers.scaleway.dns import (
    ZONE_ACTIVE,
    ZONE_WAIT,
    ChangeAction,
    get_zone,
    matches,
    record_summary,
    sdk_changes,
    zone_records,
)
from workers.scaleway.k8s import status_text
from workers.scaleway.power import poll_wait, services_of
from workers.steps import Done, Operation, StepContext, StepOutcome


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


class ChangeRecords(Operation):
    """Add, set or delete records of a zone, then wait for the zone to be ``active``."""

    name = "dns.change_records"
    params_model = ChangeRecordsParams
    identity = None  # every parameter: a different content or size is a different call
    touches = ("dns",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: ChangeRecordsParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        if not ctx.checkpoint.get("applied"):
            changes = [c.model_dump(mode="json") for c in params.changes]
            if ctx.checkpoint.get("sending"):
                changes = await still_needed(client, params.zone, changes)
            else:
                await ctx.save(sending=True)
            if changes:
                await client.call(
                    client.domain.update_dns_zone_records,
                    dns_zone=params.zone,
                    changes=sdk_changes(changes),
                    disallow_new_zone_creation=True,
                )
            await ctx.save(Progress("publishing", f"{len(changes)} change(s) sent"), applied=True)
        zone = await get_zone(client, params.zone)
        status = status_text(zone.status)
        if status in ZONE_WAIT:
            return poll_wait(ctx, client, "dns", "publishing", f"zone {params.zone} is {status}")
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


OPERATIONS: list[Operation] = [ChangeRecords()]
