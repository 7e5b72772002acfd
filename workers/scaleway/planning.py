"""Planning reads: the public Product Catalog, and a region's billable resources to price."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaleway.instance.v1 import Server
    from scaleway.k8s.v1 import Cluster, Pool
    from scaleway.lb.v1 import Lb
    from scaleway.product_catalog.v2alpha1 import PublicCatalogProduct
    from scaleway.rdb.v1 import Instance

    from workers.scaleway.client import ScalewayClient

PRICED_PRODUCT_TYPES = (
    "instance",
    "load_balancer",
    "managed_relational_database",
    "object_storage",
)


async def catalog_products(client: ScalewayClient) -> list[PublicCatalogProduct]:
    """Every public catalogue product of the types we price (all pages of 100)."""
    from scaleway.product_catalog.v2alpha1 import ListPublicCatalogProductsRequestProductType

    types = [ListPublicCatalogProductsRequestProductType(t) for t in PRICED_PRODUCT_TYPES]
    return await client.call_idempotent(
        client.product_catalog.list_public_catalog_products_all,
        product_types=types,
        page_size=100,
    )


async def all_servers(client: ScalewayClient, zone: str, project_id: str | None) -> list[Server]:
    """Every server of a zone (of a project, when given)."""
    # Instance names the filter ``project``; the other APIs ``project_id``.
    return await client.call_idempotent(
        client.instance.list_servers_all, zone=zone, project=project_id
    )


async def all_lbs(client: ScalewayClient, zone: str, project_id: str | None) -> list[Lb]:
    """Every load balancer of a zone (of a project, when given)."""
    return await client.call_idempotent(client.lb.list_lbs_all, zone=zone, project_id=project_id)


async def all_databases(
    client: ScalewayClient, region: str, project_id: str | None
) -> list[Instance]:
    """Every database instance of a region (of a project, when given)."""
    return await client.call_idempotent(
        client.rdb.list_instances_all, region=region, project_id=project_id
    )


async def all_clusters(
    client: ScalewayClient, region: str, project_id: str | None
) -> list[Cluster]:
    """Every Kapsule cluster of a region (of a project, when given)."""
    return await client.call_idempotent(
        client.k8s.list_clusters_all, region=region, project_id=project_id
    )


async def cluster_pools(client: ScalewayClient, region: str, cluster_id: str) -> list[Pool]:
    """Every pool of a cluster."""
    return await client.call_idempotent(
        client.k8s.list_pools_all, region=region, cluster_id=cluster_id
    )
