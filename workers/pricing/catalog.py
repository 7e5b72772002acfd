"""Prices from Scaleway: the Product Catalog (cached for a day), the Instance API as fallback,
and the existing resources of a project and region turned into plan items.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import anyio

from jobs.models import JSON
from workers.cache import CacheKind, ReadCache
from workers.pricing.book import PriceBook, PricedKind, book_from_products
from workers.pricing.estimate import ItemKind, PlanItem, estimate
from workers.scaleway import planning
from workers.scaleway.errors import ScalewayError
from workers.scaleway.instance import server_types

if TYPE_CHECKING:
    from workers.scaleway.client import ScalewayClient

logger = logging.getLogger(__name__)


async def price_book(client: ScalewayClient, cache: ReadCache) -> PriceBook:
    """The catalogue's price book (cached a day); an empty book naming the problem when the
    catalogue cannot be read (that failure is not cached)."""

    async def load() -> PriceBook:
        products = await planning.catalog_products(client)
        return book_from_products(products, datetime.now(UTC).isoformat(timespec="seconds"))

    try:
        return await cache.get_or_load(CacheKind.PRICES, "all", load)
    except ScalewayError as exc:
        logger.warning("product catalog unavailable: %s", exc)
        return PriceBook(problem=f"product catalog unavailable: {exc}")


async def instance_prices(
    client: ScalewayClient, cache: ReadCache, zones: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Hourly prices the Instance API gives for server types, by zone (unreadable: skipped)."""
    found: dict[str, dict[str, float]] = {}
    for zone in sorted(set(zones)):
        try:
            types = await server_types(client, cache, zone)
        except ScalewayError as exc:
            logger.warning("server types of %s unavailable: %s", zone, exc)
            continue
        found[zone] = {name: float(t.hourly_price) for name, t in types.items()}
    return found


async def price_plan(
    client: ScalewayClient,
    prices: ReadCache,
    reads: ReadCache,
    items: Sequence[PlanItem],
    *,
    field: str = "items",
    strict: bool = True,
) -> JSON:
    """``estimate`` of ``items`` with the catalogue, falling back to the Instance API."""
    book = await price_book(client, prices)
    missing = [
        i.place
        for i in items
        if i.kind in (ItemKind.INSTANCE, ItemKind.K8S_POOL)
        and book.get(PricedKind.INSTANCE, i.type, i.place) is None
    ]
    fallback = await instance_prices(client, reads, missing) if missing else {}
    return estimate(items, book, fallback, field=field, strict=strict)


async def existing_items(
    client: ScalewayClient, region: str, zones: Sequence[str], project_id: str | None
) -> list[PlanItem]:
    """Servers, load balancers, Kapsule pools and databases of ``region`` as plan items."""
    items: list[PlanItem] = []

    async def zone_items(zone: str) -> None:
        servers = await planning.all_servers(client, zone, project_id)
        items.extend(
            PlanItem(ItemKind.INSTANCE, zone, s.commercial_type, label=f"server {s.name}")
            for s in servers
        )
        lbs = await planning.all_lbs(client, zone, project_id)
        items.extend(
            PlanItem(ItemKind.LOAD_BALANCER, zone, lb.type_, label=f"load balancer {lb.name}")
            for lb in lbs
        )

    async def region_items() -> None:
        dbs = await planning.all_databases(client, region, project_id)
        items.extend(
            PlanItem(
                ItemKind.DATABASE,
                region,
                db.node_type,
                volume_gb=(db.volume.size if db.volume else 0) / 1e9,
                volume_type=str(db.volume.type_) if db.volume else "sbs_5k",
                ha=bool(db.is_ha_cluster),
                label=f"database {db.name}",
            )
            for db in dbs
        )
        clusters = await planning.all_clusters(client, region, project_id)
        for cluster in clusters:
            pools = await planning.cluster_pools(client, region, cluster.id)
            items.extend(
                PlanItem(
                    ItemKind.K8S_POOL,
                    pool.zone or f"{region}-1",
                    pool.node_type,
                    count=pool.size,
                    label=f"cluster {cluster.name} pool {pool.name}",
                )
                for pool in pools
                if pool.size
            )

    async with anyio.create_task_group() as tg:
        for zone in zones:
            tg.start_soon(zone_items, zone)
        tg.start_soon(region_items)
    return sorted(items, key=lambda i: (i.kind.value, i.place, i.label))
