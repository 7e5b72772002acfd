"""Inside a managed database instance: back a database up (waits until ``ready``), add a user
(its password in a 0600 file, as for a new instance) or a logical database.

None of these carry tags; their names are unique per instance, so each job records that it
is about to create before the call: a resumed job that finds the name taken knows it is its
own, a fresh job that finds it taken reports the conflict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import PermanentError
from workers.operations.waiting import failed_status, wait_in_status
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.database import READY
from workers.scaleway.database_admin import (
    BACKUP_WAIT,
    backup_summary,
    create_backup,
    create_logical_database,
    create_user,
    find_backup,
    get_backup,
)
from workers.scaleway.errors import Conflict
from workers.scaleway.k8s import status_text
from workers.secret_files import SecretFileError, read_secret, remove_secret
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome


class InstanceChild(BaseModel):
    """Something named inside a database instance."""

    region: str
    instance_id: str
    name: str


class CreateBackupParams(InstanceChild):
    """Parameters of ``database.create_backup``."""

    database_name: str


class CreateUserParams(InstanceChild):
    """Parameters of ``database.create_user``; the password is in a 0600 file."""

    is_admin: bool = False
    password_file: str
    password_generated: bool


async def create_named_once(
    ctx: StepContext[Any], what: str, create: Callable[[], Awaitable[Any]]
) -> Any | None:
    """``create()`` once per job: None when a resumed job finds its own name already taken."""
    resumed = bool(ctx.checkpoint.get("create_sent"))
    if not resumed:
        await ctx.save(create_sent=True)
    try:
        return await create()
    except Conflict as exc:
        if exc.type == "already_exists" and resumed:
            return None
        if exc.type == "already_exists":
            raise Conflict(
                f"{what} already exists in this database instance; choose another name",
                status=409,
                type_="already_exists",
            ) from exc
        raise


class CreateBackup(Operation[CreateBackupParams]):
    """Back up one database of an instance and wait until the backup is ``ready``."""

    name = "database.create_backup"
    aliases = ("rdb.create_backup",)
    params_model = CreateBackupParams
    identity = ("region", "instance_id", "name")
    touches = (CacheKind.DATABASE_BACKUPS,)

    async def step(self, ctx: StepContext[CreateBackupParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if "backup_id" not in ctx.checkpoint:
            backup = await create_named_once(
                ctx, f"backup {params.name!r}", lambda: self._create(client, params)
            )
            if backup is None:
                backup = await find_backup(client, params.region, params.instance_id, params.name)
            if backup is None:
                raise PermanentError(f"backup {params.name!r} vanished right after its creation")
            await ctx.save(
                Progress("creating", f"backup {backup.name} started"), backup_id=backup.id
            )
        backup = await get_backup(client, params.region, ctx.checkpoint["backup_id"])
        status = status_text(backup.status)
        if status == READY:
            return Done(backup_summary(backup))
        advice = f"look at backup {backup.id} with list_database_backups"
        if status not in BACKUP_WAIT:
            raise failed_status(f"backup {backup.id}", status, ctx.elapsed_s, advice)
        return wait_in_status(
            ctx, PollKind.DATABASE, status, f"backup {backup.name} is {status}", advice=advice
        )

    async def _create(self, client: ScalewayClient, params: CreateBackupParams) -> Any:
        return await create_backup(
            client, params.region, params.instance_id, params.database_name, params.name
        )


class CreateUser(Operation[CreateUserParams]):
    """Add a user to a database instance; a generated password stays in its 0600 file."""

    name = "database.create_user"
    per_call = ("password_file",)
    aliases = ("rdb.create_user",)
    params_model = CreateUserParams
    identity = ("region", "instance_id", "name")
    touches = (CacheKind.DATABASE_USERS,)

    async def step(self, ctx: StepContext[CreateUserParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        result: JSON = {"instance_id": params.instance_id, "name": params.name}
        result["is_admin"] = params.is_admin
        try:
            password = read_secret(Path(params.password_file))
        except SecretFileError as exc:
            if ctx.checkpoint.get("created"):  # a given password is removed once it is used
                return Done(result)
            raise PermanentError(f"{exc}; create the user again") from None
        await create_named_once(
            ctx,
            f"user {params.name!r}",
            lambda: create_user(
                client, params.region, params.instance_id, params.name, password, params.is_admin
            ),
        )
        await ctx.save(created=True)
        if params.password_generated:
            result["password_file"] = params.password_file
        else:
            remove_secret(Path(params.password_file))
        return Done(result)


class CreateLogicalDatabase(Operation[InstanceChild]):
    """Add a logical database (``CREATE DATABASE``) to a database instance."""

    name = "database.create_logical_database"
    aliases = ("rdb.create_logical_database",)
    params_model = InstanceChild
    identity = ("region", "instance_id", "name")
    touches = (CacheKind.DATABASE_NAMES,)

    async def step(self, ctx: StepContext[InstanceChild]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        await create_named_once(
            ctx,
            f"database {params.name!r}",
            lambda: create_logical_database(client, params.region, params.instance_id, params.name),
        )
        return Done({"instance_id": params.instance_id, "name": params.name})


CREATE_BACKUP = CreateBackup()
CREATE_USER = CreateUser()
CREATE_LOGICAL_DATABASE = CreateLogicalDatabase()
OPERATIONS: list[AnyOperation] = [CREATE_BACKUP, CREATE_USER, CREATE_LOGICAL_DATABASE]
