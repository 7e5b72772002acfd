"""Cockpit operations: enable preconfigured alert rules, add and remove email contact points.

Each needs the project's Alert manager in the region; an operation turns it on first when it
is off (it costs nothing and is what the console does) and says so in its result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from jobs.models import JSON, Progress
from workers.scaleway.client import ScalewayClient
from workers.scaleway.monitoring import (
    alert_manager_summary,
    alert_summary,
    contact_point_summary,
    create_contact_point,
    delete_contact_point,
    enable_alert_manager,
    enable_alert_rules,
    find_contact_point,
    get_alert_manager,
    list_alerts,
)
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome

if TYPE_CHECKING:
    from scaleway.cockpit.v1 import ContactPoint


class EnableAlertRulesParams(BaseModel):
    """Parameters of ``monitoring.enable_alert_rules`` (no ids: every preconfigured rule)."""

    region: str
    rule_ids: list[str] | None = None


class ContactPointParams(BaseModel):
    """Parameters of the contact point operations."""

    region: str
    email: str
    send_resolved_notifications: bool = False


async def manager_on(client: ScalewayClient, region: str) -> tuple[JSON, bool]:
    """The Alert manager's summary, turned on if it was off; True when this call did it."""
    manager = await get_alert_manager(client, region)
    if manager.alert_manager_enabled:
        return alert_manager_summary(manager), False
    return alert_manager_summary(await enable_alert_manager(client, region)), True


class EnableAlertRules(Operation[EnableAlertRulesParams]):
    """Turn the Alert manager on if needed, then enable preconfigured alert rules."""

    name = "monitoring.enable_alert_rules"
    params_model = EnableAlertRulesParams
    identity = None  # every parameter: other rule ids are another call

    async def step(self, ctx: StepContext[EnableAlertRulesParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        manager, switched_on = await manager_on(client, params.region)
        response = await enable_alert_rules(client, params.region, params.rule_ids)
        wanted = set(params.rule_ids or [])
        rules = [
            alert_summary(a)
            for a in await list_alerts(client, params.region, preconfigured=True)
            if a.preconfigured_data is not None
            and (not wanted or a.preconfigured_data.preconfigured_rule_id in wanted)
        ]
        return Done(
            {
                "alert_manager": manager,
                "alert_manager_enabled_now": switched_on,
                "newly_enabled_rule_ids": list(response.enabled_rule_ids),
                "rules": rules,
            }
        )


class CreateContactPoint(Operation[ContactPointParams]):
    """Add an email contact point (once, even across a crash), the Alert manager on first."""

    name = "monitoring.create_contact_point"
    params_model = ContactPointParams
    identity = ("region", "email")

    async def step(self, ctx: StepContext[ContactPointParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        manager, switched_on = await manager_on(client, params.region)
        await ctx.save(Progress("creating", f"adding contact point {params.email}"))

        async def lookup() -> ContactPoint | None:
            return await find_contact_point(client, params.region, params.email)

        async def create() -> ContactPoint:
            return await create_contact_point(
                client, params.region, params.email, params.send_resolved_notifications
            )

        await client.create_once(lookup, create)
        point = await find_contact_point(client, params.region, params.email)
        return Done(
            {
                "contact_point": contact_point_summary(point) if point else {"email": params.email},
                "alert_manager": manager,
                "alert_manager_enabled_now": switched_on,
            }
        )


class DeleteContactPoint(Operation[ContactPointParams]):
    """Remove an email contact point (one already gone counts as removed)."""

    name = "monitoring.delete_contact_point"
    params_model = ContactPointParams
    identity = ("region", "email")

    async def step(self, ctx: StepContext[ContactPointParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        await delete_contact_point(client, params.region, params.email)
        return Done({"deleted": params.email, "region": params.region})


ENABLE_ALERT_RULES = EnableAlertRules()
CREATE_CONTACT_POINT = CreateContactPoint()
DELETE_CONTACT_POINT = DeleteContactPoint()
OPERATIONS: list[AnyOperation] = [ENABLE_ALERT_RULES, CREATE_CONTACT_POINT, DELETE_CONTACT_POINT]
