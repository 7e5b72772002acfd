"""Lists across every zone or region (``zone: "all"``, ``region: "all"``).

Each place is read concurrently (at most ``PLACES_AT_ONCE`` at a time, under the adapter's
rate limiter), each item is tagged with its place, and a place that fails is reported
beside the others' items rather than failing the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp.types import CallToolResult

from jobs.models import JSON
from mcp_front import envelope
from mcp_front.config import known_regions, known_zones
from mcp_front.errors import error_message
from mcp_front.inputs import region_of, zone_of
from mcp_front.runtime import Runtime
from mcp_front.toolkit import scaleway
from mcp_front.tools.paging import Listing, Paged, hashable, page_of
from workers.errors import OperationError

ALL = "all"
PLACES_AT_ONCE = 4
PER_PLACE = 100
"""Items read per place: one API page of the largest size."""


@dataclass(slots=True)
class Gathered:
    """Items of every place that answered (tagged), the failures, the places cut short."""

    items: list[JSON] = field(default_factory=list)
    failed: list[JSON] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)


def places_of(key: str) -> list[str]:
    """Every zone (``key`` ``zone``) or region the SDK knows."""
    return known_zones() if key == "zone" else known_regions()


async def gather(
    secrets: tuple[str, ...],
    key: str,
    places: Sequence[str],
    fetch: Callable[[str], Awaitable[tuple[list[JSON], int]]],
) -> Gathered:
    """``fetch(place)`` -> (items, total) for each place, bounded; items tagged ``{key: place}``;
    failures are reported with their message, ``secrets`` removed."""
    by_place: dict[str, list[JSON]] = {}
    gathered = Gathered()
    limit = anyio.CapacityLimiter(PLACES_AT_ONCE)

    async def one(place: str) -> None:
        async with limit:
            try:
                items, total = await fetch(place)
            except OperationError as exc:
                gathered.failed.append({key: place, "error": error_message(exc, secrets)})
                return
        by_place[place] = [{**item, key: place} for item in items]
        if total > len(items):
            gathered.truncated.append(place)

    async with anyio.create_task_group() as tg:
        for place in places:
            tg.start_soon(one, place)
    gathered.items = [item for place in places for item in by_place.get(place, [])]
    gathered.failed.sort(key=lambda f: str(f[key]))
    gathered.truncated.sort()
    return gathered


def across_page(key: str, items_key: str, gathered: Gathered, page: int, per_page: int) -> JSON:
    """One page of the gathered items, with the places that failed or were cut short."""
    start = (page - 1) * per_page
    shown = gathered.items[start : start + per_page]
    body = page_of(items_key, shown, len(gathered.items), page, per_page)
    if gathered.failed:
        body["failed"] = gathered.failed
    if gathered.truncated:
        body["truncated"] = {
            f"{key}s": gathered.truncated,
            "hint": f"only the first {PER_PLACE} items of these were read; narrow the filters",
        }
    return body


async def listing_page(
    listing: Listing, runtime: Runtime, args: Paged, key: str, place: str | None, **query: Any
) -> CallToolResult:
    """``listing``'s page in one zone or region (``key``), or across all of them."""
    if place != ALL:
        checked = zone_of(runtime, place) if key == "zone" else region_of(runtime, place)
        return await listing.page(runtime, args, **{key: checked}, **query)
    client = scaleway(runtime)

    async def fetch(where: str) -> tuple[list[JSON], int]:
        async def load() -> tuple[list[JSON], int]:
            response = await listing.fetch(
                client, **{key: where}, **query, page=1, page_size=PER_PLACE
            )
            items = [listing.summarise(item) for item in getattr(response, listing.items)]
            return items, int(response.total_count or 0)

        cache_key = (listing.items, ALL, where, *(hashable(v) for v in query.values()))
        return await runtime.services.read_cache.get_or_load(listing.kind, cache_key, load)

    gathered = await gather(runtime.settings.secret_values(), key, places_of(key), fetch)
    page = across_page(key, listing.items, gathered, args.page, args.per_page)
    return envelope.success(page, source=runtime.source)
