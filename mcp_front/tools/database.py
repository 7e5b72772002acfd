"""Managed database (RDB) tools: list and read directly, create and delete through jobs.

A password (given or generated) is written to a 0600 file before the job is enqueued, so the
job row only ever holds the file's path.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import AfterValidator, Field

from jobs.models import JSON
from mcp_front import envelope
from mcp_front.inputs import (
    NamedInput,
    PageInput,
    RegionInput,
    check_tags_filter,
    every_region_field,
    region_of,
    uuid_of,
)
from mcp_front.job_wait import submit_and_wait
from mcp_front.price_note import with_price
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec, scaleway
from mcp_front.tools.across import ALL, Gathered, across_page, gather, places_of
from workers.cache import CacheKind
from workers.errors import InUse
from workers.operations.database import (
    CREATE_DATABASE,
    DELETE_DATABASE,
    CreateDatabaseParams,
    DatabaseRef,
)
from workers.pricing.estimate import ItemKind, PlanItem
from workers.scaleway.database import (
    REPLICA_ADVICE,
    check_engine,
    check_node_type,
    database_detail,
    database_summary,
    engine_names,
    get_database,
    matching_databases,
    replica_dependents,
)
from workers.secret_files import generate_password, password_problem, safe_file_name, write_secret

USER_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,62}\Z")


def _check_user_name(value: str) -> str:
    if not USER_RE.match(value):
        raise ValueError("must be 1-63 letters, digits, '_' or '-', starting with a letter")
    return value


def _check_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(f"the password {problem}")
    return value


UserName = Annotated[str, AfterValidator(_check_user_name)]
"""A database user name, as the RDB API accepts it."""
Password = Annotated[str, AfterValidator(_check_password)]
"""A database user password meeting the RDB password policy."""
VolumeType = Literal["sbs_5k", "sbs_15k", "lssd", "bssd"]
DatabaseStatus = Literal[
    "ready",
    "provisioning",
    "initializing",
    "configuring",
    "deleting",
    "error",
    "locked",
    "disk_full",
    "backuping",
    "snapshotting",
    "restarting",
    "autohealing",
]
_MAX_LISTED = 1000


class DatabaseInput(RegionInput):
    instance_id: Annotated[str, uuid_of("a database instance")] = Field(
        description="Database instance id (UUID); list_databases shows them."
    )


class ListDatabasesInput(PageInput):
    region: str | None = every_region_field()
    name: str | None = Field(None, description="Only databases whose name contains this.")
    engine: str | None = Field(None, description="Only this engine, e.g. PostgreSQL-16 or MySQL.")
    status: DatabaseStatus | None = Field(None, description="Only databases in this status.")
    tags: list[str] | None = Field(None, description="Only databases with all these tags.")


class CreateDatabaseInput(NamedInput):
    engine: str | None = Field(
        None, description="Engine and version, e.g. PostgreSQL-16 (default: newest PostgreSQL)."
    )
    node_type: str = Field("db-dev-s", description="Node type, e.g. db-dev-s, db-pro2-xxs.")
    is_ha_cluster: bool = Field(False, description="High availability (a standby node).")
    volume_type: VolumeType = Field("sbs_5k", description="Storage type.")
    volume_size_gb: int = Field(10, ge=5, le=10000, description="Storage size in GB.")
    disable_backup: bool = Field(False, description="Turn the daily backups off.")
    backup_same_region: bool = Field(False, description="Keep backups in the same region.")
    user_name: UserName = Field("admin", description="Name of the first user.")
    password: Password | None = Field(
        None,
        description="Password of that user (default: generated and written to a 0600 file).",
        json_schema_extra={"writeOnly": True},
    )


async def list_databases(
    args: ListDatabasesInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Databases of a region, summarised, filtered and paginated (cached briefly)."""
    if args.tags:
        check_tags_filter(args.tags)
    client = scaleway(runtime)

    async def rows_of(region: str) -> tuple[list[JSON], int]:
        async def load() -> list[JSON]:
            found = await matching_databases(client, region, args.name, args.tags, _MAX_LISTED)
            return [database_summary(db) for db in found]

        key = (region, args.name, tuple(args.tags or ()))
        rows = await runtime.services.read_cache.get_or_load(CacheKind.DATABASES, key, load)
        return rows, len(rows)

    if args.region == ALL:
        secrets = runtime.settings.secret_values()
        gathered = await gather(secrets, "region", places_of("region"), rows_of)
    else:
        gathered = Gathered((await rows_of(region_of(runtime, args.region)))[0])
    rows = gathered.items
    engine = (args.engine or "").lower()
    rows = [
        r
        for r in rows
        if (
            not engine
            or r["engine"].lower() == engine
            or r["engine"].lower().startswith(engine + "-")
        )
        and (not args.status or r["status"] == args.status)
    ]
    gathered.items = rows
    page = across_page("region", "databases", gathered, args.page, args.per_page)
    return envelope.success(page, source=runtime.source)


async def get_database_tool(args: DatabaseInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Every detail of one database, endpoints included."""
    region = region_of(runtime, args.region)
    db = await get_database(scaleway(runtime), region, args.instance_id)
    return envelope.success(database_detail(db), source=runtime.source)


async def create_database(
    args: CreateDatabaseInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a database (a job): engine and node type checked, password kept in a 0600 file."""
    region = region_of(runtime, args.region)
    client, cache = scaleway(runtime), runtime.services.read_cache
    if args.engine:
        engine = await check_engine(client, cache, region, args.engine)
    else:
        postgres = [e for e in await engine_names(client, cache, region) if e.startswith("Postgre")]
        engine = max(postgres, key=lambda e: int(e.rsplit("-", 1)[-1] or 0), default="")
        engine = await check_engine(client, cache, region, engine or "PostgreSQL")
    node_type = await check_node_type(client, cache, region, args.node_type)
    generated = args.password is None
    password = generate_password() if generated else str(args.password)
    label = "password" if generated else "pending-password"
    name = safe_file_name("database", args.name, label, uuid.uuid4().hex[:8])
    path = write_secret(runtime.settings.secrets_dir / f"{name}.txt", password)
    params = CreateDatabaseParams(
        region=region,
        name=args.name,
        engine=engine,
        node_type=node_type,
        user_name=args.user_name,
        password_file=str(path),
        password_generated=generated,
        is_ha_cluster=args.is_ha_cluster,
        volume_type=args.volume_type,
        volume_size_gb=args.volume_size_gb,
        disable_backup=args.disable_backup,
        backup_same_region=args.backup_same_region,
        tags=args.tags,
    )
    result = await submit_and_wait(runtime, ctx, CREATE_DATABASE, params, own_files=[path])
    item = PlanItem(
        ItemKind.DATABASE,
        region,
        node_type,
        volume_gb=args.volume_size_gb,
        volume_type=args.volume_type,
        ha=args.is_ha_cluster,
    )
    return await with_price(runtime, result, [item])


async def delete_database(args: DatabaseInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Delete a database instance (a job); one with read replicas is refused, no job."""
    region, db = await _deletable_database(args, runtime)
    params = DatabaseRef(region=region, instance_id=db.id)
    return await submit_and_wait(runtime, ctx, DELETE_DATABASE, params)


async def describe_database_deletion(args: DatabaseInput, runtime: Runtime) -> str:
    """What ``delete_database`` takes away: the instance and every database in it."""
    region, db = await _deletable_database(args, runtime)
    what = f"database instance {db.name} ({db.engine}, {db.node_type}, {region})"
    return f"Delete {what} and all its data."


async def _deletable_database(args: DatabaseInput, runtime: Runtime) -> tuple[str, Any]:
    """Region and instance, or InUse naming the read replicas that depend on it."""
    region = region_of(runtime, args.region)
    db = await get_database(scaleway(runtime), region, args.instance_id)
    dependents = replica_dependents(db)
    if dependents:
        raise InUse(f"database {db.name} ({db.id})", dependents, REPLICA_ADVICE)
    return region, db


TOOLS = [
    ToolSpec(
        name="list_databases",
        title="List databases",
        description=(
            "Managed database instances of a region: id, name, status, engine, node "
            "type, HA, tags. Filters: name, engine, status, tags. Paginated."
        ),
        input_model=ListDatabasesInput,
        handler=list_databases,
        group=ToolGroup.DATABASE,
        read_only=True,
    ),
    ToolSpec(
        name="get_database",
        title="Get database",
        description=(
            "One database instance: status, endpoints (IP, port), volume, backups, settings."
        ),
        input_model=DatabaseInput,
        handler=get_database_tool,
        group=ToolGroup.DATABASE,
        read_only=True,
    ),
    ToolSpec(
        name="create_database",
        title="Create database",
        description=(
            "Create a managed PostgreSQL/MySQL instance (job, minutes). A generated password "
            "goes to a 0600 file whose path is returned. Waits until ready."
        ),
        input_model=CreateDatabaseInput,
        handler=create_database,
        group=ToolGroup.DATABASE,
        read_only=False,
        writes_local_files=True,
    ),
    ToolSpec(
        name="delete_database",
        title="Delete database",
        description=(
            "Delete a database instance with its data and wait until it is gone (job). Refused "
            "while it has read replicas."
        ),
        input_model=DatabaseInput,
        handler=delete_database,
        group=ToolGroup.DATABASE,
        describe=describe_database_deletion,
        read_only=False,
        destructive=True,
    ),
]
