"""Product Catalog v2alpha1: the public catalogue of products with their list prices.

``GET /product-catalog/v2alpha1/public-catalog/products`` lists Instance types and load
balancer offers per zone, database nodes, database storage and Object Storage classes and
traffic per region, priced from ``catalog.json``. Filters: ``product_types`` (repeated),
one of ``zone``/``region``/``global``, ``api_ids``, ``page``/``page_size``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog, errors
from sandbox.api.common import REGIONS, ZONES, json_response, query_int
from sandbox.types import JSON

PREFIX = "/product-catalog/v2alpha1/public-catalog"
PRICES = catalog.DATA["prices"]
PRODUCT_TYPES = (
    "instance",
    "load_balancer",
    "managed_relational_database",
    "object_storage",
)
KNOWN_PRODUCT_TYPES = frozenset(
    {
        *PRODUCT_TYPES,
        "unknown_product_type",
        "apple_silicon",
        "elastic_metal",
        "dedibox",
        "block_storage",
        "managed_inference",
        "generative_apis",
        "secret_manager",
        "key_manager",
        "managed_redis_database",
        "kubernetes",
        "managed_mongodb",
        "serverless_functions",
        "serverless_containers",
        "serverless_jobs",
        "apache_kafka",
        "open_search",
        "instance_local_ssd_snapshot",
        "instance_local_ssd_storage",
        "file_storage",
        "serverless_sql_database",
    }
)


def money(eur: float) -> JSON:
    """A ``Money`` value: whole units and nanos."""
    nanos = round(eur * 1e9)
    return {"currency_code": PRICES["currency"], "units": nanos // 10**9, "nanos": nanos % 10**9}


def _product(
    kind: str, sku: str, name: str, variant: str, where: JSON, eur: float, unit: str, props: JSON
) -> JSON:
    per = "per hour" if unit == "hour" else "per GB"
    return {
        "sku": sku,
        "service_category": kind,
        "product_category": kind,
        "product": name,
        "variant": variant,
        "description": f"{variant} ({eur:g}€ {per})",
        "locality": where,
        "price": {"retail_price": money(eur)},
        "status": "general_availability",
        "badges": [],
        "properties": props,
        "environmental_impact_estimation": None,
        "unit_of_measure": {"unit": unit, "size": 1},
        "end_of_life_at": None,
        "end_of_growth_at": None,
        "end_of_sale_at": None,
    }


def instance_product(t: catalog.ServerType, zone: str) -> tuple[str, JSON]:
    """An Instance commercial type in a zone, priced per hour."""
    arch = "arm64" if t.arch == "arm64" else "x64"
    props = {
        "hardware": {
            "cpu": {
                "description": f"vCPUs: {t.ncpus}",
                "arch": arch,
                "type": "virtual",
                "threads": t.ncpus,
                "shared": t.name.startswith(("DEV1", "PLAY2")),
                "virtual": {"count": t.ncpus},
            },
            "ram": {"description": f"{t.ram_gib} GiB", "size": t.ram_gib * catalog.GIB, "type": ""},
        },
        "instance": {
            "range": t.name.split("-")[0],
            "offer_id": t.name,
            "recommended_replacement_offer_ids": [],
        },
    }
    key = t.name.lower().replace("-", "_")
    return "instance", _product(
        "Compute",
        f"/compute/{key}/run_{zone}",
        f"{t.name} Instance",
        f"Compute {t.name} Instance - {zone}",
        {"zone": zone},
        t.hourly_price,
        "hour",
        props,
    )


def lb_product(name: str, bandwidth_bps: int, zone: str) -> tuple[str, JSON]:
    """A load balancer offer in a zone, priced per hour."""
    props = {
        "load_balancer": {
            "node": {"offer_id": name, "multi_cloud_provider": False, "bandwidth": bandwidth_bps}
        }
    }
    return "load_balancer", _product(
        "Network",
        f"/network/lb/{name.lower()}/run_{zone}",
        f"Load Balancer {name}",
        f"Load Balancer {name} - {zone}",
        {"zone": zone},
        PRICES["lb_types_hourly"][name],
        "hour",
        props,
    )


def database_products(region: str) -> list[tuple[str, JSON]]:
    """Managed Database nodes (per hour) and storage classes (per GB-hour) of a region."""
    kind = "managed_relational_database"
    found = [
        (
            kind,
            _product(
                "Managed Databases",
                f"/rdb/{node}/run_{region}",
                node.upper(),
                f"Managed Database {node.upper()} - {region}",
                {"region": region},
                eur,
                "hour",
                {kind: {"node": {}}},
            ),
        )
        for node, eur in PRICES["rdb_node_types_hourly"].items()
    ]
    found += [
        (
            kind,
            _product(
                "Managed Databases",
                f"/rdb/storage/{storage}/{region}",
                f"Managed Database storage {storage}",
                f"Managed Database storage {storage} - {region}",
                {"region": region},
                eur,
                "gigabyte",
                {kind: {"storage": {"storage_class": storage}}},
            ),
        )
        for storage, eur in PRICES["rdb_storage_gb_hourly"].items()
    ]
    return found


def object_storage_products(region: str) -> list[tuple[str, JSON]]:
    """Object Storage classes (per GB-hour) and internet egress (per GB) of a region."""
    kind = "object_storage"
    found = [
        (
            kind,
            _product(
                "Storage",
                f"/storage/object/{storage}/{region}",
                f"Object Storage {storage}",
                f"Object Storage {storage} - {region}",
                {"region": region},
                eur,
                "gigabyte",
                {kind: {"class": {"storage_class": storage}}},
            ),
        )
        for storage, eur in PRICES["object_storage_gb_hourly"].items()
    ]
    egress = _product(
        "Storage",
        f"/storage/object/egress/{region}",
        "Object Storage internet egress",
        f"Object Storage internet egress - {region}",
        {"region": region},
        PRICES["object_storage_egress_gb"],
        "gigabyte",
        {kind: {"internet_traffic": {"traffic_type": "egress"}}},
    )
    return [*found, (kind, egress)]


def all_products() -> list[tuple[str, JSON]]:
    """Every product with its product type, zones first then regions, in a stable order."""
    found: list[tuple[str, JSON]] = []
    for zone in sorted(ZONES):
        found += [instance_product(t, zone) for t in catalog.SERVER_TYPES]
        found += [lb_product(name, bps, zone) for name, bps in catalog.LB_TYPES]
    for region in sorted(REGIONS):
        found += database_products(region) + object_storage_products(region)
    return found


PRODUCTS: tuple[tuple[str, JSON], ...] = tuple(all_products())


def _api_id(product: JSON) -> str | None:
    props = product["properties"]
    if "instance" in props:
        return str(props["instance"]["offer_id"])
    if "load_balancer" in props:
        return str(props["load_balancer"]["node"]["offer_id"])
    return None


async def list_products(request: Request) -> Response:
    """GET /products: the catalogue filtered by type, locality and API ids, one page."""
    params = request.query_params
    types = params.getlist("product_types")
    unknown = [t for t in types if t not in KNOWN_PRODUCT_TYPES]
    if unknown:
        raise errors.invalid_argument(
            "product_types", "constraint", f"unknown product type(s) {', '.join(unknown)}"
        )
    localities = [k for k in ("zone", "region", "global", "datacenter") if params.get(k)]
    if len(localities) > 1:
        raise errors.invalid_request(f"at most one of {', '.join(localities)} can be set")
    zone, region = params.get("zone"), params.get("region")
    if zone and zone not in ZONES:
        raise errors.invalid_argument("zone", "constraint", f"unknown zone {zone!r}")
    if region and region not in REGIONS:
        raise errors.invalid_argument("region", "constraint", f"unknown region {region!r}")
    api_ids = set(params.getlist("api_ids"))
    items = [
        product
        for kind, product in PRODUCTS
        if (not types or kind in types)
        and (not zone or product["locality"].get("zone") == zone)
        and (not region or product["locality"].get("region") == region)
        and (params.get("global") not in ("true", "True") or product["locality"].get("global"))
        and (not api_ids or _api_id(product) in api_ids)
    ]
    page = query_int(request, "page", 1, 1, 1_000_000)
    size = query_int(request, "page_size", 20, 1, 1000)
    start = (page - 1) * size
    return json_response({"products": items[start : start + size], "total_count": len(items)})


routes = [Route(f"{PREFIX}/products", list_products, methods=["GET"])]
