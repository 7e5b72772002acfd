"""What lives inside a managed database instance, over the adapter (RDB API): backups, users,
logical databases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.k8s import status_text

if TYPE_CHECKING:
    from scaleway.rdb.v1 import Database, DatabaseBackup, User

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
) -> DatabaseBackup | None:
    """The instance's newest backup called ``name``, if any."""
    response = await client.call_idempotent(
        client.rdb.list_database_backups,
        region=region,
        instance_id=instance_id,
        name=name,
        page_size=100,
    )
    return next((b for b in response.database_backups if b.name == name), None)


async def backups_of(client: ScalewayClient, region: str, instance_id: str) -> list[DatabaseBackup]:
    """Every backup of an instance, newest first (pages of 100)."""
    return await client.call_idempotent(
        client.rdb.list_database_backups_all, region=region, instance_id=instance_id
    )


async def users_of(client: ScalewayClient, region: str, instance_id: str) -> list[JSON]:
    """An instance's users: name and whether they are admins."""
    users = await client.call_idempotent(
        client.rdb.list_users_all, region=region, instance_id=instance_id
    )
    return [{"name": u.name, "is_admin": u.is_admin} for u in users]


async def databases_of(client: ScalewayClient, region: str, instance_id: str) -> list[JSON]:
    """An instance's logical databases: name, owner, size."""
    found = await client.call_idempotent(
        client.rdb.list_databases_all, region=region, instance_id=instance_id
    )
    return [{"name": d.name, "owner": d.owner, "size_bytes": d.size} for d in found]


async def create_backup(
    client: ScalewayClient, region: str, instance_id: str, database_name: str, name: str
) -> DatabaseBackup:
    """Start a backup of one database (one call, no retries)."""
    return await client.call(
        client.rdb.create_database_backup,
        region=region,
        instance_id=instance_id,
        database_name=database_name,
        name=name,
    )


async def get_backup(client: ScalewayClient, region: str, backup_id: str) -> DatabaseBackup:
    """A database backup by id."""
    return await client.call_idempotent(
        client.rdb.get_database_backup, region=region, database_backup_id=backup_id
    )


async def create_user(
    client: ScalewayClient, region: str, instance_id: str, name: str, password: str, is_admin: bool
) -> User:
    """Add a user to an instance (one call, no retries)."""
    return await client.call(
        client.rdb.create_user,
        region=region,
        instance_id=instance_id,
        name=name,
        password=password,
        is_admin=is_admin,
    )


async def create_logical_database(
    client: ScalewayClient, region: str, instance_id: str, name: str
) -> Database:
    """Add a logical database to an instance (one call, no retries)."""
    return await client.call(
        client.rdb.create_database, region=region, instance_id=instance_id, name=name
    )
