"""Cost estimation through a real MCP client session against the sandbox's product catalog."""

from __future__ import annotations

import math

import pytest

from sandbox import catalog
from sandbox.api import product_catalog
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    Session,
    call,
    groups_session_fixture,
    sandbox_fixture,
)
from workers.pricing.estimate import REQUESTS_NOTE

pytestmark = pytest.mark.anyio
session = groups_session_fixture("default,lb,planning")

PRICES = catalog.DATA["prices"]
HOURLY = {t.name: t.hourly_price for t in catalog.SERVER_TYPES}
CATALOG = "Scaleway Product Catalog API (product-catalog/v2alpha1, public list prices)"
SERVER_TYPES = "Instance API server types (hourly_price)"
PLAN = [
    {"kind": "instance", "type": "DEV1-S", "count": 3, "zone": "fr-par-1"},
    {"kind": "k8s_pool", "type": "dev1_m", "count": 2, "zone": "nl-ams-1"},
    {
        "kind": "database",
        "type": "db-dev-s",
        "region": "fr-par",
        "ha": True,
        "volume_gb": 10,
        "volume_type": "sbs_5k",
    },
    {"kind": "load_balancer", "type": "LB-S", "zone": "fr-par-1"},
    {
        "kind": "object_storage",
        "region": "nl-ams",
        "storage_gb": 100,
        "egress_gb": 50,
        "requests": 1_000_000,
    },
]


def _expected_lines() -> list[float]:
    return [
        3 * HOURLY["DEV1-S"],
        2 * HOURLY["DEV1-M"],
        2 * PRICES["rdb_node_types_hourly"]["db-dev-s"]
        + 10 * PRICES["rdb_storage_gb_hourly"]["sbs_5k"],
        PRICES["lb_types_hourly"]["LB-S"],
        100 * PRICES["object_storage_gb_hourly"]["standard"]
        + 50 * PRICES["object_storage_egress_gb"] / 730,
    ]


async def test_a_plan_is_priced_hourly_and_monthly_from_the_catalog(session: Session) -> None:
    client, _ = session
    answer = await call(client, "estimate_cost", items=PLAN)
    assert answer["status"] == "success", answer
    data = answer["data"]
    expected = _expected_lines()
    assert [line["hourly"] for line in data["lines"]] == pytest.approx(expected, abs=1e-6)
    assert data["hourly"] == pytest.approx(sum(expected), abs=1e-5)
    assert data["monthly"] == pytest.approx(sum(expected) * 730, abs=0.02)
    assert data["currency"] == "EUR" and data["hours_per_month"] == 730
    assert data["price_source"] == [CATALOG]
    assert {line["source"] for line in data["lines"]} == {CATALOG}
    assert REQUESTS_NOTE in data["notes"] and "unpriced" not in data
    assert data["lines"][2]["volume"] == "10 GB sbs_5k"


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"kind": "instance", "type": "GP9-XL", "zone": "fr-par-1"}, ["items[0].type", "DEV1-S"]),
        (
            {"kind": "database", "type": "db-huge", "region": "fr-par"},
            ["items[0].type", "DB-DEV-S"],
        ),
        ({"kind": "load_balancer", "type": "LB-XXL"}, ["items[0].type", "LB-GP-M"]),
        ({"kind": "instance", "type": "DEV1-S", "zone": "fr-par-9"}, ["zone", "fr-par-1"]),
        ({"kind": "database", "type": "db-dev-s", "region": "mars-1"}, ["region", "nl-ams"]),
        ({"kind": "object_storage", "storage_class": "tape"}, ["storage_class", "glacier"]),
        ({"kind": "instance"}, ["type", "needs its offer type"]),
    ],
)
async def test_unknown_offers_zones_and_regions_get_the_valid_values(
    session: Session, item: dict[str, object], words: list[str]
) -> None:
    client, _ = session
    answer = await call(client, "estimate_cost", items=[item])
    assert answer["status"] == "error", answer
    for word in words:
        assert word in answer["message"]


async def test_without_the_catalog_instances_fall_back_to_server_type_prices(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    sandbox.state.faults.add("GET /product-catalog/", "503")
    answer = await call(client, "estimate_cost", items=PLAN[:3])
    assert answer["status"] == "success", answer
    data = answer["data"]
    assert [line["source"] for line in data["lines"]] == [SERVER_TYPES, SERVER_TYPES, "unpriced"]
    assert data["hourly"] == pytest.approx(3 * HOURLY["DEV1-S"] + 2 * HOURLY["DEV1-M"], abs=1e-6)
    assert any("product catalog unavailable" in u for u in data["unpriced"])


async def test_the_catalog_is_read_once_then_cached(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    for _ in range(3):
        assert (await call(client, "estimate_cost", items=PLAN))["status"] == "success"
    reads = sandbox.state.counters.get("GET /product-catalog/v2alpha1/public-catalog/products", 0)
    pages = math.ceil(len(product_catalog.PRODUCTS) / 100)
    assert pages > 1 and reads == pages  # the first estimate's listing, page by page, only


async def test_create_tools_state_the_hourly_price_and_existing_resources_are_priced(
    session: Session,
) -> None:
    client, _ = session
    created = await call(
        client, "create_instance", name="web", commercial_type="DEV1-M", zone="fr-par-2"
    )
    assert created["status"] == "success", created
    assert created["price"]["hourly"] == pytest.approx(HOURLY["DEV1-M"])
    assert created["price"]["source"] == [CATALOG]
    lb = await call(client, "create_load_balancer", name="front", type="LB-GP-M", zone="fr-par-1")
    assert lb["status"] == "success", lb
    assert lb["price"]["hourly"] == pytest.approx(PRICES["lb_types_hourly"]["LB-GP-M"])

    answer = await call(client, "estimate_cost", items=[PLAN[0]], existing_region="fr-par")
    assert answer["status"] == "success", answer
    existing = answer["data"]["existing"]
    resources = {line["resource"]: line["hourly"] for line in existing["lines"]}
    assert resources == {
        "server web": pytest.approx(HOURLY["DEV1-M"]),
        "load balancer front": pytest.approx(PRICES["lb_types_hourly"]["LB-GP-M"]),
    }
    planned = answer["data"]["planned"]["hourly"]
    assert answer["data"]["hourly"] == pytest.approx(planned + existing["hourly"], abs=1e-6)


async def test_existing_resources_of_another_project_are_not_counted(session: Session) -> None:
    client, runtime = session
    created = await call(client, "create_instance", name="web", commercial_type="DEV1-S")
    assert created["status"] == "success", created
    mine = runtime.settings.credentials.project_id
    other = "11111111-2222-3333-4444-555555555555"
    counted = {}
    for project in (mine, other):
        answer = await call(client, "estimate_cost", existing_region="fr-par", project_id=project)
        assert answer["status"] == "success", answer
        counted[project] = [line["resource"] for line in answer["data"]["existing"]["lines"]]
    assert counted == {mine: ["server web"], other: []}
