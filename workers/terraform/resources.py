"""Scaleway resources as Terraform resources of the Scaleway provider, with their ``import`` ids.

``read_resource`` fetches one resource through the adapter (NotFound when it is gone) and
turns it into ``TfResource`` values: a cluster brings its pools. Database passwords are never
read: the export refers to a sensitive variable instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from workers.scaleway.database import get_database
from workers.scaleway.instance import get_server
from workers.scaleway.k8s import get_cluster
from workers.scaleway.lb import get_lb
from workers.scaleway.network import get_private_network
from workers.scaleway.planning import cluster_pools
from workers.terraform.hcl import Expr, Nested, Value, label

if TYPE_CHECKING:
    from workers.scaleway.client import ScalewayClient
    from workers.storage.client import ObjectStorage

GB = 1000**3


class ExportKind(StrEnum):
    """What can be exported."""

    SERVER = "server"
    PRIVATE_NETWORK = "private_network"
    CLUSTER = "cluster"
    DATABASE = "database"
    LOAD_BALANCER = "load_balancer"
    BUCKET = "bucket"

    @property
    def zoned(self) -> bool:
        """True when the resource lives in a zone, False for a region."""
        return self in (ExportKind.SERVER, ExportKind.LOAD_BALANCER)


@dataclass(frozen=True, slots=True)
class TfResource:
    """One ``resource`` block: provider type, Terraform name, attributes, import id."""

    type: str
    name: str
    attributes: dict[str, Value]
    import_id: str
    variables: tuple[str, ...] = field(default=())


def _text(value: Any) -> str:
    return str(getattr(value, "value", value))


def _server(server: Any, zone: str) -> TfResource:
    state = _text(server.state)
    return TfResource(
        "scaleway_instance_server",
        label(server.name),
        {
            "name": server.name,
            "type": server.commercial_type,
            "image": server.image.id if server.image else None,
            "zone": zone,
            "project_id": server.project,
            "tags": list(server.tags or []),
            "state": "stopped" if state == "stopped" else "started",
        },
        f"{zone}/{server.id}",
    )


def _network(pn: Any, region: str) -> TfResource:
    return TfResource(
        "scaleway_vpc_private_network",
        label(pn.name),
        {
            "name": pn.name,
            "region": region,
            "project_id": pn.project_id,
            "vpc_id": f"{region}/{pn.vpc_id}" if pn.vpc_id else None,
            "tags": list(pn.tags or []),
        },
        f"{region}/{pn.id}",
    )


def _cluster(cluster: Any, pools: list[Any], region: str) -> list[TfResource]:
    name = label(cluster.name)
    found = [
        TfResource(
            "scaleway_k8s_cluster",
            name,
            {
                "name": cluster.name,
                "type": cluster.type_ or None,
                "version": cluster.version,
                "cni": _text(cluster.cni),
                "region": region,
                "project_id": cluster.project_id,
                "private_network_id": (
                    f"{region}/{cluster.private_network_id}" if cluster.private_network_id else None
                ),
                "tags": list(cluster.tags or []),
                "delete_additional_resources": False,
            },
            f"{region}/{cluster.id}",
        )
    ]
    for pool in pools:
        found.append(
            TfResource(
                "scaleway_k8s_pool",
                label(f"{cluster.name}_{pool.name}"),
                {
                    "cluster_id": Expr(f"scaleway_k8s_cluster.{name}.id"),
                    "name": pool.name,
                    "node_type": pool.node_type,
                    "size": pool.size,
                    "min_size": pool.min_size,
                    "max_size": pool.max_size,
                    "autoscaling": pool.autoscaling,
                    "autohealing": pool.autohealing,
                    "zone": _text(pool.zone) if pool.zone else None,
                    "region": region,
                    "tags": list(pool.tags or []),
                },
                f"{region}/{pool.id}",
            )
        )
    return found


def _database(db: Any, region: str) -> TfResource:
    name = label(db.name)
    volume = db.volume
    schedule = db.backup_schedule
    return TfResource(
        "scaleway_rdb_instance",
        name,
        {
            "name": db.name,
            "node_type": db.node_type,
            "engine": db.engine,
            "is_ha_cluster": bool(db.is_ha_cluster),
            "volume_type": _text(volume.type_) if volume else None,
            "volume_size_in_gb": int(volume.size // GB) if volume and volume.size else None,
            "disable_backup": bool(schedule.disabled) if schedule else None,
            "region": region,
            "project_id": db.project_id,
            "tags": list(db.tags or []),
            "password": Expr(f"var.{name}_password"),
        },
        f"{region}/{db.id}",
        variables=(f"{name}_password",),
    )


def _lb(lb: Any, zone: str) -> TfResource:
    return TfResource(
        "scaleway_lb",
        label(lb.name),
        {
            "name": lb.name,
            "type": lb.type_,
            "description": lb.description or None,
            "zone": zone,
            "project_id": lb.project_id,
            "ip_ids": [f"{zone}/{ip.id}" for ip in lb.ip or []],
            "tags": list(lb.tags or []),
        },
        f"{zone}/{lb.id}",
    )


async def _bucket(storage: ObjectStorage, name: str, region: str) -> TfResource:
    answer = await storage.call(
        lambda s3: s3.get_bucket_versioning(Bucket=name), region=region, bucket=name
    )
    versioned = answer.get("Status") == "Enabled"
    return TfResource(
        "scaleway_object_bucket",
        label(name),
        {"name": name, "region": region, "versioning": Nested({"enabled": versioned})},
        f"{region}/{name}",
    )


async def read_resource(
    client: ScalewayClient,
    storage: ObjectStorage | None,
    kind: ExportKind,
    resource_id: str,
    place: str,
) -> list[TfResource]:
    """The Terraform resources of one Scaleway resource (a cluster with its pools); raises
    NotFound (NoSuchBucket) when it no longer exists. A bucket's id is its name."""
    if kind is ExportKind.BUCKET:
        if storage is None:
            raise ValueError("Object Storage is not configured")
        return [await _bucket(storage, resource_id, place)]
    if kind is ExportKind.SERVER:
        return [_server(await get_server(client, place, resource_id), place)]
    if kind is ExportKind.LOAD_BALANCER:
        return [_lb(await get_lb(client, place, resource_id), place)]
    if kind is ExportKind.DATABASE:
        return [_database(await get_database(client, place, resource_id), place)]
    if kind is ExportKind.CLUSTER:
        cluster = await get_cluster(client, place, resource_id)
        pools = await cluster_pools(client, place, cluster.id)
        return _cluster(cluster, list(pools), place)
    return [_network(await get_private_network(client, place, resource_id), place)]
