"""Cockpit's Alert manager over the adapter: preconfigured alert rules, their firing state,
and email contact points, per project and region (the SDK's ``cockpit.v1`` regional API)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import delete_if_present

if TYPE_CHECKING:
    from scaleway.cockpit.v1 import (
        Alert,
        AlertManager,
        ContactPoint,
        EnableAlertRulesResponse,
    )

# Deliberately plain: one @, no spaces, a dotted domain. The API has the last word.
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)+\Z")
EMAIL_MAX = 254


class AlertState(StrEnum):
    """The states of an alert rule, as Cockpit words them."""

    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


def email_problem(address: str) -> str | None:
    """Why ``address`` is no email address for a contact point, or None."""
    if len(address) > EMAIL_MAX or not EMAIL_RE.match(address):
        return f"{address[:80]!r} is not an email address (name@example.com)"
    return None


async def get_alert_manager(client: ScalewayClient, region: str) -> AlertManager:
    """The project's Alert manager in ``region`` (disabled until enabled)."""
    return await client.call_idempotent(client.cockpit.get_alert_manager, region=region)


async def enable_alert_manager(client: ScalewayClient, region: str) -> AlertManager:
    """Turn the Alert manager on (idempotent: an enabled one stays as it is)."""
    return await client.call_idempotent(client.cockpit.enable_alert_manager, region=region)


async def enable_alert_rules(
    client: ScalewayClient, region: str, rule_ids: list[str] | None
) -> EnableAlertRulesResponse:
    """Enable preconfigured rules (every one when ``rule_ids`` is None); idempotent."""
    return await client.call_idempotent(
        client.cockpit.enable_alert_rules, region=region, rule_ids=rule_ids
    )


async def list_alerts(
    client: ScalewayClient,
    region: str,
    *,
    state: AlertState | None = None,
    preconfigured: bool | None = None,
) -> list[Alert]:
    """The project's alert rules in ``region`` with their status and state (one page: the
    API does not paginate them), filtered by state and kind."""
    response = await client.call_idempotent(
        client.cockpit.list_alerts,
        region=region,
        state=state.value if state else None,
        is_preconfigured=preconfigured,
    )
    return list(response.alerts)


async def list_contact_points(client: ScalewayClient, region: str) -> list[ContactPoint]:
    """Every contact point of the default receiver in ``region``."""
    return await client.call_idempotent(client.cockpit.list_contact_points_all, region=region)


async def find_contact_point(
    client: ScalewayClient, region: str, email: str
) -> ContactPoint | None:
    """The contact point sending to ``email`` (case-insensitive), if any."""
    for point in await list_contact_points(client, region):
        if point.email is not None and point.email.to.lower() == email.lower():
            return point
    return None


async def create_contact_point(
    client: ScalewayClient, region: str, email: str, send_resolved: bool
) -> ContactPoint:
    """Add an email contact point (one call, no retry: operations wrap it in create_once)."""
    from scaleway.cockpit.v1 import ContactPointEmail

    return await client.call(
        client.cockpit.create_contact_point,
        region=region,
        email=ContactPointEmail(to=email),
        send_resolved_notifications=send_resolved,
    )


async def delete_contact_point(client: ScalewayClient, region: str, email: str) -> None:
    """Remove the contact point sending to ``email``; one already gone is fine."""
    from scaleway.cockpit.v1 import ContactPointEmail

    await delete_if_present(
        client,
        client.cockpit.delete_contact_point,
        region=region,
        email=ContactPointEmail(to=email),
    )


def alert_manager_summary(manager: AlertManager) -> JSON:
    """Whether the Alert manager and managed alerts are on, and where."""
    return {
        "region": str(manager.region),
        "alert_manager_enabled": manager.alert_manager_enabled,
        "managed_alerts_enabled": manager.managed_alerts_enabled,
        "alert_manager_url": manager.alert_manager_url,
    }


def alert_summary(alert: Alert) -> JSON:
    """One alert rule: id, name, product, status (enabled…) and state (firing…)."""
    data = alert.preconfigured_data
    row: JSON = {
        "rule_id": data.preconfigured_rule_id if data else None,
        "name": data.display_name if data else alert.name,
        "product": data.product_name if data else None,
        "rule_status": status_text(alert.rule_status),
        "state": status_text(alert.state),
        "duration": alert.duration,
        "preconfigured": alert.preconfigured,
    }
    if data and data.display_description:
        row["description"] = data.display_description
    return {k: v for k, v in row.items() if v is not None}


def contact_point_summary(point: ContactPoint) -> JSON:
    """One contact point: its email and whether resolutions are sent too."""
    return {
        "email": point.email.to if point.email else None,
        "send_resolved_notifications": point.send_resolved_notifications,
        "region": str(point.region),
    }
