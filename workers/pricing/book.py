"""A price book: list prices by (kind, offer name, zone or region), read from catalogue products.

Amounts are in the catalogue's currency: per hour for instances, load balancers and
database nodes, per GB-hour for stored data, per GB for internet egress.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

HOURS_PER_MONTH = 730
CATALOG_SOURCE = "Scaleway Product Catalog API (product-catalog/v2alpha1, public list prices)"
SERVER_TYPES_SOURCE = "Instance API server types (hourly_price)"

# Catalogue units turned into "per hour" (or per GB / GB-hour for the data units).
_PER_HOUR_FACTOR = {"hour": 1.0, "minute": 60.0, "second": 3600.0, "day": 1 / 24, "month": 1 / 730}
_PER_GB_FACTOR = {"gigabyte": 1.0, "gigabyte_day": 1 / 24}


class PricedKind(StrEnum):
    """What a price is for."""

    INSTANCE = "instance"
    LOAD_BALANCER = "load_balancer"
    DATABASE_NODE = "database_node"
    DATABASE_STORAGE = "database_storage"
    OBJECT_STORAGE = "object_storage"
    OBJECT_EGRESS = "object_storage_egress"


def offer_key(name: str) -> str:
    """The spelling-free key of an offer name: ``dev1_s`` and ``DEV1-S`` are one offer."""
    return name.strip().upper().replace("_", "-")


@dataclass(frozen=True, slots=True)
class Price:
    """One unit price (see the module docstring for the unit) and where it came from."""

    amount: float
    currency: str
    source: str
    sku: str = ""


@dataclass(frozen=True, slots=True)
class PriceBook:
    """Prices by (kind, offer key, place) with the offers' display names."""

    prices: Mapping[tuple[PricedKind, str, str], Price] = field(default_factory=dict)
    names: Mapping[tuple[PricedKind, str], str] = field(default_factory=dict)
    source: str = CATALOG_SOURCE
    fetched_at: str | None = None
    problem: str | None = None

    def get(self, kind: PricedKind, name: str, place: str) -> Price | None:
        """The price of offer ``name`` of ``kind`` in ``place`` (zone or region), if listed."""
        return self.prices.get((kind, offer_key(name), place))

    def offers(self, kind: PricedKind, place: str) -> list[str]:
        """The display names of the offers of ``kind`` priced in ``place``, sorted."""
        return sorted(
            self.names.get((k, name), name)
            for k, name, p in self.prices
            if k == kind and p == place
        )


def _amount(product: Any) -> tuple[float, str] | None:
    money = product.price.retail_price if product.price else None
    unit = product.unit_of_measure
    if money is None or unit is None:
        return None
    value = money.units + money.nanos / 1e9
    factor = _PER_HOUR_FACTOR.get(str(unit.unit)) or _PER_GB_FACTOR.get(str(unit.unit))
    if factor is None:
        return None
    return value * factor / max(unit.size or 1, 1), money.currency_code


def _identify(product: Any) -> tuple[PricedKind, str, str] | None:
    """(kind, offer name, place) of a catalogue product, or None for what we do not price."""
    props, where = product.properties, product.locality
    if props is None or where is None:
        return None
    zone, region = str(where.zone or ""), str(where.region or "")
    if props.instance and zone:
        return PricedKind.INSTANCE, props.instance.offer_id, zone
    if props.load_balancer and props.load_balancer.node and zone:
        return PricedKind.LOAD_BALANCER, props.load_balancer.node.offer_id, zone
    rdb = props.managed_relational_database
    if rdb and region:
        if rdb.storage is not None:
            return PricedKind.DATABASE_STORAGE, str(rdb.storage.storage_class), region
        if rdb.node is not None:
            return PricedKind.DATABASE_NODE, product.product, region
    s3 = props.object_storage
    if s3 and region:
        if s3.class_ is not None:
            return PricedKind.OBJECT_STORAGE, str(s3.class_.storage_class), region
        if s3.internet_traffic is not None and str(s3.internet_traffic.traffic_type) == "egress":
            return PricedKind.OBJECT_EGRESS, "egress", region
    return None


def book_from_products(products: Iterable[Any], fetched_at: str) -> PriceBook:
    """The price book of SDK ``PublicCatalogProduct`` values (unpriced units are skipped)."""
    prices: dict[tuple[PricedKind, str, str], Price] = {}
    names: dict[tuple[PricedKind, str], str] = {}
    for product in products:
        what, amount = _identify(product), _amount(product)
        if what is None or amount is None:
            continue
        kind, name, place = what
        prices[(kind, offer_key(name), place)] = Price(
            amount[0], amount[1], CATALOG_SOURCE, product.sku
        )
        names[(kind, offer_key(name))] = name
    return PriceBook(prices, names, CATALOG_SOURCE, fetched_at)
