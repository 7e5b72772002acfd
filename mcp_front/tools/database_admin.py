"""Inside a managed database instance: backups, users and logical databases.

Reads answer directly; each create is a job. A user's password (given or generated) is
written to a 0600 file before the job is enqueued, as for ``create_database``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.inputs import Name, RegionInput, page_field, per_page_field, region_of, uuid_of
from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec, scaleway
from mcp_front.tools.database import DatabaseInput, Password, UserName
from mcp_front.tools.paging import slice_page
from workers.operations.database_admin import (
    CREATE_BACKUP,
    CREATE_LOGICAL_DATABASE,
    CREATE_USER,
    CreateBackupParams,
    CreateUserParams,
    InstanceChild,
)
from workers.scaleway.client import ScalewayClient
from workers.scaleway.database import READY, get_database
from workers.scaleway.database_admin import backup_summary, backups_of, databases_of, users_of
from workers.scaleway.k8s import status_text
from workers.secret_files import generate_password, safe_file_name, write_secret


class ListBackupsInput(RegionInput):
    instance_id: Annotated[str, uuid_of("a database instance")] = Field(
        description="Database instance id (UUID)."
    )
    page: int = page_field()
    per_page: int = per_page_field("Backups")


class CreateBackupInput(DatabaseInput):
    database_name: str = Field("rdb", description="Logical database to back up.")
    name: Name = Field(description="Backup name.")


class CreateUserInput(DatabaseInput):
    name: UserName = Field(description="User name: a letter, then letters, digits, '_' or '-'.")
    is_admin: bool = Field(False, description="Give the user admin rights.")
    password: Password | None = Field(
        None,
        description="Password (default: generated into a 0600 file whose path is returned).",
        json_schema_extra={"writeOnly": True},
    )


class CreateLogicalDatabaseInput(DatabaseInput):
    name: Name = Field(description="Database name, unique in the instance.")


async def _ready_database(client: ScalewayClient, region: str, instance_id: str) -> None:
    db = await get_database(client, region, instance_id)
    status = status_text(db.status)
    if status != READY:
        raise ToolInputError(
            "instance_id", f"database {db.name} is {status}; wait until it is ready"
        )


async def list_database_backups(
    args: ListBackupsInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """An instance's backups, newest first, paginated."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)
    await get_database(client, region, args.instance_id)
    rows = [backup_summary(b) for b in await backups_of(client, region, args.instance_id)]
    rows.sort(key=lambda b: b["created_at"] or "", reverse=True)
    page = slice_page("backups", rows, args.page, args.per_page)
    return envelope.success(page, source=runtime.source)


async def create_database_backup(
    args: CreateBackupInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Back up a logical database (a job); an unknown database name is refused, no job."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)
    await _ready_database(client, region, args.instance_id)
    names = [d["name"] for d in await databases_of(client, region, args.instance_id)]
    if args.database_name not in names:
        raise ToolInputError(
            "database_name",
            f"{args.database_name!r} is not in this instance; use one of: " + ", ".join(names),
        )
    params = CreateBackupParams(
        region=region,
        instance_id=args.instance_id,
        name=args.name,
        database_name=args.database_name,
    )
    return await submit_and_wait(runtime, ctx, CREATE_BACKUP, params)


async def list_database_users(
    args: DatabaseInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """An instance's users and logical databases."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)
    await _ready_database(client, region, args.instance_id)
    data = {
        "users": await users_of(client, region, args.instance_id),
        "databases": await databases_of(client, region, args.instance_id),
    }
    return envelope.success(data, source=runtime.source)


async def create_database_user(
    args: CreateUserInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Add a user (a job); a taken name is refused, no job; the password goes to a 0600 file."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)
    await _ready_database(client, region, args.instance_id)
    if any(u["name"] == args.name for u in await users_of(client, region, args.instance_id)):
        raise ToolInputError("name", f"user {args.name!r} already exists in this instance")
    generated = args.password is None
    password = generate_password() if generated else str(args.password)
    label = "password" if generated else "pending-password"
    file_name = safe_file_name("database-user", args.name, label, uuid.uuid4().hex[:8])
    path = write_secret(runtime.settings.secrets_dir / f"{file_name}.txt", password)
    params = CreateUserParams(
        region=region,
        instance_id=args.instance_id,
        name=args.name,
        is_admin=args.is_admin,
        password_file=str(path),
        password_generated=generated,
    )
    return await submit_and_wait(runtime, ctx, CREATE_USER, params, own_files=[path])


async def create_logical_database(
    args: CreateLogicalDatabaseInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Add a logical database to an instance (a job); a taken name is refused, no job."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)
    await _ready_database(client, region, args.instance_id)
    if any(d["name"] == args.name for d in await databases_of(client, region, args.instance_id)):
        raise ToolInputError("name", f"database {args.name!r} already exists in this instance")
    params = InstanceChild(region=region, instance_id=args.instance_id, name=args.name)
    return await submit_and_wait(runtime, ctx, CREATE_LOGICAL_DATABASE, params)


TOOLS = [
    ToolSpec(
        name="list_database_backups",
        title="List database backups",
        description=(
            "Backups of a database instance: name, database, status, size, expiry. Paginated."
        ),
        input_model=ListBackupsInput,
        handler=list_database_backups,
        group=ToolGroup.DATABASE,
        read_only=True,
    ),
    ToolSpec(
        name="create_database_backup",
        title="Back up database",
        description=(
            "Back up one logical database of an instance and wait until the backup is ready (job)."
        ),
        input_model=CreateBackupInput,
        handler=create_database_backup,
        group=ToolGroup.DATABASE,
        read_only=False,
    ),
    ToolSpec(
        name="list_database_users",
        title="List database users",
        description="Users (name, admin) and logical databases of a database instance.",
        input_model=DatabaseInput,
        handler=list_database_users,
        group=ToolGroup.DATABASE,
        read_only=True,
    ),
    ToolSpec(
        name="create_database_user",
        title="Create database user",
        description=(
            "Add a user to a database instance (job). A generated password goes to a 0600 file "
            "whose path is returned."
        ),
        input_model=CreateUserInput,
        handler=create_database_user,
        group=ToolGroup.DATABASE,
        read_only=False,
        writes_local_files=True,
    ),
    ToolSpec(
        name="create_logical_database",
        title="Create logical database",
        description="Add a logical database (CREATE DATABASE) to a database instance (job).",
        input_model=CreateLogicalDatabaseInput,
        handler=create_logical_database,
        group=ToolGroup.DATABASE,
        read_only=False,
    ),
]
