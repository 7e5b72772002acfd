"""Catalogue products to a price book: units turned into hourly prices, unknown ones skipped."""

from __future__ import annotations

from typing import Any

import pytest
from scaleway.product_catalog.v2alpha1.marshalling import unmarshal_PublicCatalogProduct

from workers.pricing.book import PricedKind, book_from_products
from workers.pricing.estimate import ItemKind, PlanItem, estimate
from workers.scaleway.errors import InvalidRequest


def _instance(offer: str, units: int, nanos: int, unit: str, size: int = 1) -> Any:
    return unmarshal_PublicCatalogProduct(
        {
            "sku": f"/compute/{offer}",
            "product": offer,
            "locality": {"zone": "fr-par-1"},
            "price": {"retail_price": {"currency_code": "EUR", "units": units, "nanos": nanos}},
            "properties": {
                "instance": {
                    "range": "X",
                    "offer_id": offer,
                    "recommended_replacement_offer_ids": [],
                }
            },
            "unit_of_measure": {"unit": unit, "size": size},
        }
    )


def test_units_become_hourly_prices_and_unknown_units_are_skipped() -> None:
    book = book_from_products(
        [
            _instance("H", 0, 500_000_000, "hour"),
            _instance("M", 73, 0, "month"),
            _instance("D", 2, 400_000_000, "day"),
            _instance("TEN", 1, 0, "hour", size=10),
            _instance("Q", 1, 0, "query"),
        ],
        "2026-11-30T00:00:00+00:00",
    )
    hourly = {n: book.get(PricedKind.INSTANCE, n, "fr-par-1") for n in ("h", "M", "D", "TEN", "Q")}
    assert hourly["h"] is not None and hourly["h"].amount == pytest.approx(0.5)
    assert hourly["M"] is not None and hourly["M"].amount == pytest.approx(0.1)
    assert hourly["D"] is not None and hourly["D"].amount == pytest.approx(0.1)
    assert hourly["TEN"] is not None and hourly["TEN"].amount == pytest.approx(0.1)
    assert hourly["Q"] is None
    assert book.offers(PricedKind.INSTANCE, "fr-par-1") == ["D", "H", "M", "TEN"]


def test_existing_resources_of_unlisted_offers_are_unpriced_not_refused() -> None:
    book = book_from_products([_instance("H", 1, 0, "hour")], "now")
    items = [PlanItem(ItemKind.INSTANCE, "fr-par-1", "OLD-1", label="server legacy")]
    with pytest.raises(InvalidRequest, match="use one of: H"):
        estimate(items, book)
    lenient = estimate(items, book, strict=False)
    assert lenient["hourly"] == 0 and "'OLD-1' has no list price" in lenient["unpriced"][0]
