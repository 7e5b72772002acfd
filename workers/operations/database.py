"""Managed database operations: create an instance and wait through provisioning until ready;
delete one and wait until it is gone.

The password never enters the job row: the tool writes it to a 0600 file before enqueueing
and the job's parameters hold that file's path. A password the user gave is removed from
disk once the instance exists; a generated one stays, and its path is the user's way to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import InUse, PermanentError
from workers.leftovers import Trace
from workers.operations.waiting import failed_status, first_try_lookup, wait_in_status
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.database import (
    DATABASE_WAIT,
    READY,
    REPLICA_ADVICE,
    create_database,
    database_detail,
    delete_database,
    find_database_by_tag,
    get_database,
    replica_dependents,
)
from workers.scaleway.errors import Conflict, NotFound
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import job_tag
from workers.secret_files import SecretFileError, read_secret, remove_secret

if TYPE_CHECKING:
    from scaleway.rdb.v1 import Instance

from workers.steps import CREATE_REJOIN_S, AnyOperation, Done, Operation, StepContext, StepOutcome

# Rough share of the wait each status stands for, for progress bars.
_FRACTIONS = {"provisioning": 0.2, "initializing": 0.6, "configuring": 0.9}


class CreateDatabaseParams(BaseModel):
    """Parameters of ``database.create_database`` (engine and node type already checked)."""

    region: str
    name: str
    engine: str
    node_type: str
    user_name: str
    password_file: str
    password_generated: bool
    is_ha_cluster: bool = False
    volume_type: str = "sbs_5k"
    volume_size_gb: int = 10
    disable_backup: bool = False
    backup_same_region: bool = False
    tags: list[str] = Field(default_factory=list)
    project_id: str | None = None


def _credentials(params: CreateDatabaseParams) -> JSON:
    if params.password_generated:
        return {
            "user_name": params.user_name,
            "password_file": params.password_file,
            "note": "the generated password is in this 0600 file; it is shown nowhere else",
        }
    return {"user_name": params.user_name, "password": "the one you gave"}


class CreateDatabase(Operation[CreateDatabaseParams]):
    """Create a database instance tagged with the job id and wait until it is ``ready``."""

    name = "database.create_database"
    per_call = ("password_file",)
    aliases = ("rdb.create_database",)  # its name before 0.2, in job rows of older stores
    params_model = CreateDatabaseParams
    identity = ("region", "project_id", "name")
    rejoin_succeeded_s = CREATE_REJOIN_S
    touches = (CacheKind.DATABASES,)
    traces = (
        Trace(
            "instance_id",
            lambda ctx: find_database_by_tag(
                ctx.services.scaleway_client(),
                ctx.params.region,
                job_tag(ctx.job.id),
            ),
            marker="create_started",
        ),
    )

    async def step(self, ctx: StepContext[CreateDatabaseParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if "instance_id" not in ctx.checkpoint:
            tag = job_tag(ctx.job.id)
            lookup = await first_try_lookup(
                ctx, "create_started", lambda: find_database_by_tag(client, params.region, tag)
            )
            db = await client.create_once(lookup, lambda: self._create(client, params, tag))
            await ctx.save(
                Progress("provisioning", f"database {db.name} is {status_text(db.status)}", 0.1),
                instance_id=db.id,
            )
            if not params.password_generated:
                remove_secret(Path(params.password_file))
        return await self._poll(ctx, client, params, ctx.checkpoint["instance_id"])

    async def _create(
        self, client: ScalewayClient, params: CreateDatabaseParams, tag: str
    ) -> Instance:
        try:
            password = read_secret(Path(params.password_file))
        except SecretFileError as exc:
            raise PermanentError(f"{exc}; create the database again") from None
        return await create_database(
            client,
            params.region,
            name=params.name,
            engine=params.engine,
            user_name=params.user_name,
            password=password,
            node_type=params.node_type,
            is_ha_cluster=params.is_ha_cluster,
            disable_backup=params.disable_backup,
            volume_size_gb=params.volume_size_gb,
            volume_type=params.volume_type,
            backup_same_region=params.backup_same_region,
            tags=[*params.tags, tag],
            project_id=params.project_id,
        )

    async def _poll(
        self,
        ctx: StepContext[CreateDatabaseParams],
        client: ScalewayClient,
        params: CreateDatabaseParams,
        iid: str,
    ) -> StepOutcome:
        db = await get_database(client, params.region, iid)
        status = status_text(db.status)
        if status == READY:
            return Done({**database_detail(db), "credentials": _credentials(params)})
        advice = (
            f"the database {iid} still exists: look at it with get_database and in the "
            "Scaleway console (a full disk needs a bigger volume; a locked instance needs "
            "support); delete it there if it cannot be repaired"
        )
        if status not in DATABASE_WAIT:
            raise failed_status(f"database {iid}", status, ctx.elapsed_s, advice)
        return wait_in_status(
            ctx,
            PollKind.DATABASE,
            status,
            f"database {db.name} is {status}",
            advice=advice,
            fraction=_FRACTIONS.get(status, 0.5),
        )

    async def on_cancel(self, ctx: StepContext[CreateDatabaseParams]) -> JSON | None:
        params = ctx.params
        iid = (await self.leftovers(ctx)).get("instance_id")
        if not iid:
            if not params.password_generated:
                remove_secret(Path(params.password_file))
            return {"created": None, "note": "no database was created"}
        return {
            "created": {"instance_id": iid, "region": params.region},
            "credentials": _credentials(params),
            "note": "the database exists and keeps provisioning; delete_database removes it",
        }


class DatabaseRef(BaseModel):
    """A database instance in a region."""

    region: str
    instance_id: str


class DeleteDatabase(Operation[DatabaseRef]):
    """Delete a database instance without read replicas and wait until it is gone."""

    name = "database.delete_database"
    aliases = ("rdb.delete_database",)
    params_model = DatabaseRef
    identity = ("region", "instance_id")
    touches = (CacheKind.DATABASES,)

    async def step(self, ctx: StepContext[DatabaseRef]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        iid = params.instance_id
        try:
            db = await get_database(client, params.region, iid)
        except NotFound:
            return Done({"deleted": iid, "region": params.region})
        if not ctx.checkpoint.get("delete_sent"):
            dependents = replica_dependents(db)
            if dependents:
                raise InUse(f"database {iid}", dependents, REPLICA_ADVICE)
            try:
                await delete_database(client, params.region, iid)
            except Conflict as exc:
                if exc.current_state != "deleting":
                    raise
            except NotFound:
                return Done({"deleted": iid, "region": params.region})
            await ctx.save(
                Progress("deleting", f"database {db.name} is deleting"), delete_sent=True
            )
        return wait_in_status(
            ctx,
            PollKind.DATABASE,
            "deleting",
            f"database {db.name} is {status_text(db.status)}",
            advice=f"the database {iid} may still exist: look at it with get_database",
        )


CREATE_DATABASE = CreateDatabase()
DELETE_DATABASE = DeleteDatabase()
OPERATIONS: list[AnyOperation] = [CREATE_DATABASE, DELETE_DATABASE]
