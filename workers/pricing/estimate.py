"""Pricing a plan: planned items (or existing resources) times a price book, hourly and monthly.

Pure: the price book and the Instance API's fallback prices are given. An unknown offer
raises InvalidRequest naming the item's field and the offers of its zone or region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from jobs.models import JSON
from workers.pricing.book import (
    HOURS_PER_MONTH,
    SERVER_TYPES_SOURCE,
    Price,
    PriceBook,
    PricedKind,
    offer_key,
)
from workers.scaleway.errors import InvalidRequest

# Managed Database volume types as the RDB API names them, to the catalogue's storage classes.
_VOLUME_CLASSES = {"lssd": "local_ssd", "bssd": "block_ssd"}
REQUESTS_NOTE = "Object Storage requests: the catalogue lists no per-request price; none counted"
EGRESS_NOTE = "Object Storage egress: priced per GB without any free allowance"


class ItemKind(StrEnum):
    """What a plan item creates."""

    INSTANCE = "instance"
    K8S_POOL = "k8s_pool"
    DATABASE = "database"
    LOAD_BALANCER = "load_balancer"
    OBJECT_STORAGE = "object_storage"

    @property
    def zoned(self) -> bool:
        """True when the item lives in a zone, False for a region."""
        return self in (ItemKind.INSTANCE, ItemKind.K8S_POOL, ItemKind.LOAD_BALANCER)


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One priced thing: ``count`` of offer ``type`` in ``place`` (zone or region).

    Databases add ``volume_gb`` of ``volume_type`` per instance and a standby node when
    ``ha``; object storage prices ``storage_gb`` of ``storage_class`` plus ``egress_gb`` a
    month; ``label`` names an existing resource.
    """

    kind: ItemKind
    place: str
    type: str = ""
    count: int = 1
    volume_gb: float = 0.0
    volume_type: str = "sbs_5k"
    ha: bool = False
    storage_gb: float = 0.0
    storage_class: str = "standard"
    egress_gb: float = 0.0
    requests: int = 0
    label: str = ""


@dataclass(frozen=True, slots=True)
class _Part:
    hourly: float
    source: str


class _Pricer:
    """Looks offers up in the book, then in the fallback, and explains what is missing."""

    def __init__(
        self, book: PriceBook, fallback: Mapping[str, Mapping[str, float]], strict: bool
    ) -> None:
        self.book = book
        self.fallback = fallback
        self.strict = strict
        self.unpriced: list[str] = []

    def unit(self, kind: PricedKind, name: str, place: str, field: str) -> Price | None:
        price = self.book.get(kind, name, place)
        if price is not None:
            return price
        offered = self.book.offers(kind, place)
        if kind is PricedKind.INSTANCE:
            types = {offer_key(n): (n, p) for n, p in self.fallback.get(place, {}).items()}
            if offer_key(name) in types:
                return Price(types[offer_key(name)][1], "EUR", SERVER_TYPES_SOURCE)
            offered = sorted({*offered, *(n for n, _ in types.values())})
        if offered and not self.strict:
            self.unpriced.append(f"{field}: {name!r} has no list price in {place}")
            return None
        if offered:
            raise InvalidRequest(
                f"{field} {name!r} is not offered in {place}; use one of: {', '.join(offered)}",
                details=[{"argument_name": field, "reason": "constraint"}],
            )
        why = f" ({self.book.problem})" if self.book.problem else ""
        self.unpriced.append(f"{field}: no {kind.value} price known for {place}{why}")
        return None

    def part(self, kind: PricedKind, name: str, place: str, field: str, qty: float) -> _Part:
        price = self.unit(kind, name, place, field)
        if price is None or qty == 0:
            return _Part(0.0, price.source if price else "unpriced")
        return _Part(price.amount * qty, price.source)


def _parts(item: PlanItem, pricer: _Pricer, field: str) -> list[_Part]:
    kind, place = item.kind, item.place
    if kind in (ItemKind.INSTANCE, ItemKind.K8S_POOL):
        return [pricer.part(PricedKind.INSTANCE, item.type, place, f"{field}.type", item.count)]
    if kind is ItemKind.LOAD_BALANCER:
        return [
            pricer.part(PricedKind.LOAD_BALANCER, item.type, place, f"{field}.type", item.count)
        ]
    if kind is ItemKind.DATABASE:
        nodes = item.count * (2 if item.ha else 1)
        parts = [pricer.part(PricedKind.DATABASE_NODE, item.type, place, f"{field}.type", nodes)]
        if item.volume_gb:
            storage = _VOLUME_CLASSES.get(item.volume_type, item.volume_type)
            gb = item.count * item.volume_gb
            parts.append(
                pricer.part(PricedKind.DATABASE_STORAGE, storage, place, f"{field}.volume_type", gb)
            )
        return parts
    stored = pricer.part(
        PricedKind.OBJECT_STORAGE,
        item.storage_class,
        place,
        f"{field}.storage_class",
        item.storage_gb,
    )
    egress = pricer.part(PricedKind.OBJECT_EGRESS, "egress", place, field, item.egress_gb)
    return [stored, _Part(egress.hourly / HOURS_PER_MONTH, egress.source)]


def _line(item: PlanItem, parts: Sequence[_Part]) -> JSON:
    hourly = sum(p.hourly for p in parts)
    line: JSON = {"kind": item.kind.value, "where": item.place, "count": item.count}
    if item.type:
        line["type"] = item.type
    if item.label:
        line["resource"] = item.label
    if item.kind is ItemKind.DATABASE and item.volume_gb:
        line["volume"] = f"{item.volume_gb:g} GB {item.volume_type}"
    if item.kind is ItemKind.OBJECT_STORAGE:
        line["stored_gb"] = item.storage_gb
        line["egress_gb_per_month"] = item.egress_gb
    line["hourly"] = round(hourly, 6)
    line["monthly"] = round(hourly * HOURS_PER_MONTH, 2)
    line["source"] = " + ".join(sorted({p.source for p in parts}))
    return line


def estimate(
    items: Sequence[PlanItem],
    book: PriceBook,
    fallback: Mapping[str, Mapping[str, float]] | None = None,
    *,
    field: str = "items",
    strict: bool = True,
) -> JSON:
    """``{currency, hourly, monthly, hours_per_month, lines, price_source, notes}`` for
    ``items``; ``fallback`` holds Instance API hourly prices by zone and type. Unknown offers
    raise InvalidRequest when ``strict``, else they are listed as ``unpriced``."""
    pricer = _Pricer(book, fallback or {}, strict)
    lines = [_line(item, _parts(item, pricer, f"{field}[{i}]")) for i, item in enumerate(items)]
    hourly = sum(line["hourly"] for line in lines)
    notes: list[str] = []
    if any(i.kind is ItemKind.OBJECT_STORAGE and i.requests for i in items):
        notes.append(REQUESTS_NOTE)
    if any(i.kind is ItemKind.OBJECT_STORAGE and i.egress_gb for i in items):
        notes.append(EGRESS_NOTE)
    sources = sorted({s for line in lines for s in line["source"].split(" + ")} - {"unpriced"})
    result: JSON = {
        "currency": "EUR",
        "hourly": round(hourly, 6),
        "monthly": round(hourly * HOURS_PER_MONTH, 2),
        "hours_per_month": HOURS_PER_MONTH,
        "lines": lines,
        "price_source": sources or [book.source],
        "prices_fetched_at": book.fetched_at,
    }
    if pricer.unpriced:
        result["unpriced"] = pricer.unpriced
    if notes:
        result["notes"] = notes
    return result
