"""What lives inside a managed database instance, over the adapter: backups, users, databases."""

from __future__ import annotations

from typing import Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.k8s import status_text

BACKUP_WAIT = frozenset({"creating", "exporting"})


def backup_summary(backup: Any) -> JSON:
    """One database backup: what, of which database, status, size and expiry."""
    return {
        "id": backup.id,
        "name": backup.name,
        "instance_id": backup.instance_id,
        "database_name": backup.database_name,
        "status": status_text(backup.status),
        "size_bytes": backup.size,
        "created_at": str(backup.created_at) if backup.created_at else None,
        "expires_at": str(backup.expires_at) if backup.expires_at else None,
        "region": str(backup.region),
    }


async def find_backup(
    client: ScalewayClient, region: str, instance_id: str, name: str
) -> Any | None:
    """The instance's newest backup called ``name``, if any."""
    response = await client.read(
        client.rdb.list_database_backups,
        region=region,
        instance_id=instance_id,
        name=name,
        page_size=100,
    )
    return next((b for b in response.database_backups if b.name == name), None)


async def backups_of(client: ScalewayClient, region: str, instance_id: str) -> list[Any]:
    """Every backup of an instance, newest first (pages of 100)."""
    return await client.read(
        client.rdb.list_database_backups_all, region=region, instance_id=instance_id
    )


async def users_of(client: ScalewayClient, region: str, instance_id: str) -> list[JSON]:
    """An instance's users: name and whether they are admins."""
    users = await client.read(client.rdb.list_users_all, region=region, instance_id=instance_id)
    return [{"name": u.name, "is_admin": u.is_admin} for u in users]


async def databases_of(client: ScalewayClient, region: str, instance_id: str) -> list[JSON]:
    """An instance's logical databases: name, owner, size."""
    found = await client.read(client.rdb.list_databases_all, region=region, instance_id=instance_id)
    return [{"name": d.name, "owner": d.owner, "size_bytes": d.size} for d in found]
