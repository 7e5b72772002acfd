"""The hourly price a create tool states beside its answer, from the planning price book."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mcp.types import CallToolResult

from jobs.models import JSON
from mcp_front import envelope
from mcp_front.runtime import Runtime
from mcp_front.toolkit import scaleway
from workers.pricing.catalog import price_plan
from workers.pricing.estimate import PlanItem
from workers.scaleway.errors import ScalewayError

logger = logging.getLogger(__name__)


async def hourly_price(runtime: Runtime, items: Sequence[PlanItem]) -> JSON | None:
    """``{hourly, monthly, currency, source}`` of ``items``, or None when nothing is priced."""
    services = runtime.services
    try:
        priced = await price_plan(
            scaleway(runtime), services.price_cache, services.read_cache, items, strict=False
        )
    except ScalewayError as exc:
        logger.warning("no price for the answer: %s", exc)
        return None
    if priced.get("unpriced") and not priced["hourly"]:
        return None
    return {
        "hourly": priced["hourly"],
        "monthly": priced["monthly"],
        "currency": priced["currency"],
        "source": priced["price_source"],
    }


async def with_price(
    runtime: Runtime, result: CallToolResult, items: Sequence[PlanItem]
) -> CallToolResult:
    """``result`` with ``price`` (what the created resources cost an hour) when it succeeded."""
    if result.is_error:
        return result
    price = await hourly_price(runtime, items)
    return result if price is None else envelope.with_fields(result, price=price)
