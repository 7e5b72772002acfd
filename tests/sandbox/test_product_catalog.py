"""Product Catalog v2alpha1 through the official SDK: prices by zone and region, filters."""

from __future__ import annotations

import pytest
import scaleway
from scaleway.product_catalog.v2alpha1 import (
    ListPublicCatalogProductsRequestProductType as ProductType,
)
from scaleway.product_catalog.v2alpha1 import ProductCatalogV2Alpha1PublicCatalogAPI
from scaleway_core.api import ScalewayException

from sandbox import catalog


def _eur(money: object) -> float:
    return money.units + money.nanos / 1e9  # type: ignore[attr-defined]


def test_instance_types_of_a_zone_carry_the_instance_api_hourly_price(
    client: scaleway.Client,
) -> None:
    api = ProductCatalogV2Alpha1PublicCatalogAPI(client)
    products = api.list_public_catalog_products_all(
        product_types=[ProductType.INSTANCE], zone="nl-ams-2"
    )
    assert len(products) == len(catalog.SERVER_TYPES)
    by_offer = {p.properties.instance.offer_id: p for p in products}
    dev1_s = by_offer["DEV1-S"]
    assert dev1_s.locality.zone == "nl-ams-2" and dev1_s.unit_of_measure.unit == "hour"
    assert dev1_s.price.retail_price.currency_code == "EUR"
    assert _eur(dev1_s.price.retail_price) == pytest.approx(
        catalog.SERVER_TYPE_BY_NAME["DEV1-S"].hourly_price
    )


def test_databases_and_object_storage_are_priced_per_region(client: scaleway.Client) -> None:
    api = ProductCatalogV2Alpha1PublicCatalogAPI(client)
    products = api.list_public_catalog_products_all(
        product_types=[ProductType.MANAGED_RELATIONAL_DATABASE, ProductType.OBJECT_STORAGE],
        region="pl-waw",
    )
    assert {p.locality.region for p in products} == {"pl-waw"}
    storage = [
        p for p in products if p.properties.object_storage and p.properties.object_storage.class_
    ]
    classes = {p.properties.object_storage.class_.storage_class for p in storage}
    assert classes == {"standard", "onezone_ia", "glacier"}
    nodes = [p for p in products if p.product == "DB-DEV-S"]
    assert len(nodes) == 1 and _eur(nodes[0].price.retail_price) == pytest.approx(0.0126)


def test_load_balancer_offers_filter_by_api_id_and_page(client: scaleway.Client) -> None:
    api = ProductCatalogV2Alpha1PublicCatalogAPI(client)
    page = api.list_public_catalog_products(
        product_types=[ProductType.LOAD_BALANCER], api_ids=["LB-GP-M"], page_size=2
    )
    assert page.total_count == 9  # one per zone
    assert len(page.products) == 2
    assert {p.properties.load_balancer.node.offer_id for p in page.products} == {"LB-GP-M"}


def test_unknown_zone_is_refused(client: scaleway.Client) -> None:
    api = ProductCatalogV2Alpha1PublicCatalogAPI(client)
    with pytest.raises(ScalewayException) as caught:
        api.list_public_catalog_products(zone="fr-par-9")
    assert caught.value.status_code == 400
