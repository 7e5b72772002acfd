"""The Managed Database (RDB) API over the adapter: engines, node types, instances created,
read, found by a job's tag, summaries. The only module that names RDB SDK methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobs.models import JSON
from workers.cache import CacheKind, ListCache
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import InvalidRequest
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import get_or_explain, tagged
from workers.scaleway.summaries import to_json

if TYPE_CHECKING:
    from scaleway.rdb.v1 import Instance

# Statuses a database passes through on its own; any other but ``ready`` needs a human.
DATABASE_WAIT = frozenset(
    {
        "provisioning",
        "initializing",
        "configuring",
        "backuping",
        "snapshotting",
        "restarting",
        "autohealing",
    }
)
READY = "ready"
REPLICA_ADVICE = "delete its read replicas first (Scaleway console or CLI)"
GB = 1000**3


async def _all_pages(fetch: Any, key: str, limit: int | None = None) -> list[Any]:
    """Every item of a paginated list (``response.<key>``), stopping past ``limit`` if given."""
    items: list[Any] = []
    page = 1
    while True:
        response = await fetch(page)
        batch = getattr(response, key)
        items.extend(batch)
        if not batch or len(items) >= int(response.total_count or 0):
            return items
        if limit is not None and len(items) >= limit:
            return items
        page += 1


async def engine_names(client: ScalewayClient, cache: ListCache, region: str) -> list[str]:
    """Engine versions a region offers, e.g. ``PostgreSQL-16`` (cached)."""

    async def load() -> list[str]:
        engines = await _all_pages(
            lambda page: client.call_idempotent(
                client.rdb.list_database_engines, region=region, page=page, page_size=100
            ),
            "engines",
        )
        return [v.name for e in engines for v in e.versions if not v.disabled]

    return await cache.get_or_load(CacheKind.DATABASE_ENGINES, region, load)


async def node_types(client: ScalewayClient, cache: ListCache, region: str) -> list[str]:
    """Database node types a region offers (cached)."""

    async def load() -> list[str]:
        types = await _all_pages(
            lambda page: client.call_idempotent(
                client.rdb.list_node_types,
                region=region,
                include_disabled_types=False,
                page=page,
                page_size=100,
            ),
            "node_types",
        )
        return [t.name for t in types if not t.disabled]

    return await cache.get_or_load(CacheKind.DATABASE_NODE_TYPES, region, load)


def _pick(value: str, allowed: list[str], what: str, region: str, field: str) -> str:
    by_lower = {a.lower(): a for a in allowed}
    found = by_lower.get(value.lower())
    if found is None:
        raise InvalidRequest(
            f"{what} {value!r} is not offered in {region}; use one of: " + ", ".join(allowed),
            details=[{"argument_name": field, "reason": "constraint"}],
        )
    return found


async def check_engine(client: ScalewayClient, cache: ListCache, region: str, engine: str) -> str:
    """The region's spelling of ``engine`` (``PostgreSQL-16``), or an error listing them."""
    return _pick(engine, await engine_names(client, cache, region), "engine", region, "engine")


async def check_node_type(
    client: ScalewayClient, cache: ListCache, region: str, node_type: str
) -> str:
    """The region's spelling of a database node type, or an error listing them."""
    allowed = await node_types(client, cache, region)
    return _pick(node_type, allowed, "node type", region, "node_type")


async def get_database(client: ScalewayClient, region: str, instance_id: str) -> Instance:
    """The database instance, or NotFound naming it and where to look."""
    database: Instance = await get_or_explain(
        client,
        client.rdb.get_instance,
        f"database {instance_id} was not found in {region}; list_databases shows them",
        resource="instance",
        resource_id=instance_id,
        region=region,
        instance_id=instance_id,
    )
    return database


async def create_database(
    client: ScalewayClient,
    region: str,
    *,
    name: str,
    engine: str,
    user_name: str,
    password: str,
    node_type: str,
    is_ha_cluster: bool,
    disable_backup: bool,
    volume_size_gb: int,
    volume_type: str,
    backup_same_region: bool,
    tags: list[str],
    project_id: str | None,
) -> Instance:
    """A new database instance (one call, no retries: callers use ``client.create_once``)."""
    from scaleway.rdb.v1 import VolumeType

    return await client.call(
        client.rdb.create_instance,
        region=region,
        project_id=project_id or client.project_id,
        name=name,
        engine=engine,
        user_name=user_name,
        password=password,
        node_type=node_type,
        is_ha_cluster=is_ha_cluster,
        disable_backup=disable_backup,
        volume_size=volume_size_gb * GB,
        volume_type=VolumeType(volume_type),
        backup_same_region=backup_same_region,
        tags=tags,
    )


async def delete_database(client: ScalewayClient, region: str, instance_id: str) -> None:
    """Ask for a database instance's deletion; NotFound when it is gone."""
    await client.call_idempotent(client.rdb.delete_instance, region=region, instance_id=instance_id)


async def matching_databases(
    client: ScalewayClient, region: str, name: str | None, tags: list[str] | None, limit: int
) -> list[Any]:
    """The region's database instances matching ``name`` and ``tags``, pages of 100 read
    until there are no more or at least ``limit``."""
    return await _all_pages(
        lambda page: client.call_idempotent(
            client.rdb.list_instances,
            region=region,
            name=name,
            tags=tags,
            page=page,
            page_size=100,
        ),
        "instances",
        limit,
    )


async def find_database_by_tag(client: ScalewayClient, region: str, tag: str) -> Instance | None:
    """The database instance carrying ``tag`` (a job's mark), if any."""
    response = await client.call_idempotent(
        client.rdb.list_instances, region=region, tags=[tag], page=1, page_size=10
    )
    database: Instance | None = tagged(response.instances, tag)
    return database


def endpoint_json(endpoint: Any) -> JSON:
    """How to reach a database: address and port."""
    return {
        "ip": endpoint.ip,
        "port": endpoint.port,
        "hostname": endpoint.hostname,
        "private_network": to_json(endpoint.private_network),
    }


def database_summary(db: Any) -> JSON:
    """One row of ``list_databases``."""
    return {
        "id": db.id,
        "name": db.name,
        "status": status_text(db.status),
        "engine": db.engine,
        "node_type": db.node_type,
        "is_ha_cluster": db.is_ha_cluster,
        "region": str(db.region),
        "tags": list(db.tags or []),
    }


def database_detail(db: Any) -> JSON:
    """Everything about a database (``get_database``), endpoints included."""
    volume = db.volume
    backups = db.backup_schedule
    return {
        **database_summary(db),
        "endpoints": [endpoint_json(e) for e in (db.endpoints or [])],
        "volume": {
            "type": status_text(volume.type_),
            "size_gb": round(volume.size / GB, 1),
        }
        if volume
        else None,
        "backups": {
            "disabled": backups.disabled,
            "frequency_h": backups.frequency,
            "retention_days": backups.retention,
        }
        if backups
        else None,
        "settings": {s.name: s.value for s in (db.settings or [])},
        "upgradable_versions": [v.name for v in (db.upgradable_version or [])],
        "created_at": str(db.created_at) if db.created_at else None,
    }


def replica_dependents(db: Any) -> list[str]:
    """What keeps a database instance from being deleted: its read replicas."""
    return [f"read replica {r.id}" for r in (db.read_replicas or [])]
