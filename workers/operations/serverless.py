"""Serverless namespace and cron operations: create a namespace (names are unique per region,
so a resumed job finds its own), delete a namespace or a container or function and wait until
it is gone, add a cron trigger."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from jobs.models import Progress
from workers.cache import CacheKind
from workers.errors import PermanentError
from workers.operations.waiting import poll_wait
from workers.polling import PollKind
from workers.scaleway.errors import Conflict, NotFound
from workers.scaleway.k8s import status_text
from workers.scaleway.serverless import (
    NAMESPACE_WAIT,
    Kind,
    create_cron,
    create_namespace,
    cron_summary,
    crons_of,
    delete_app,
    delete_namespace,
    find_namespace,
    get_app,
    get_namespace,
    namespace_summary,
)
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome


class NamespaceParams(BaseModel):
    """Parameters of ``serverless.create_namespace``."""

    kind: Kind
    region: str
    name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    project_id: str | None = None


class Target(BaseModel):
    """A namespace, container or function of a kind in a region."""

    kind: Kind
    region: str
    id: str


class CronParams(Target):
    """Parameters of ``serverless.create_cron``: ``id`` is the container or function."""

    name: str
    schedule: str
    args: dict[str, Any] = Field(default_factory=dict)


class CreateNamespace(Operation[NamespaceParams]):
    """Create a serverless namespace once and wait until it is ``ready``."""

    name = "serverless.create_namespace"
    params_model = NamespaceParams
    identity = ("kind", "region", "project_id", "name")
    touches = (CacheKind.SERVERLESS,)

    async def step(self, ctx: StepContext[NamespaceParams]) -> StepOutcome:
        p = ctx.params
        client = ctx.services.scaleway_client()
        if "namespace_id" not in ctx.checkpoint:
            resumed = bool(ctx.checkpoint.get("create_sent"))
            existing = await find_namespace(client, p.kind, p.region, p.name)
            if existing is not None and not resumed:
                raise Conflict(
                    f"{p.kind} namespace {p.name!r} already exists in {p.region} ({existing.id})",
                    status=409,
                    type_="already_exists",
                )
            if existing is None:
                await ctx.save(create_sent=True)
                existing = await create_namespace(
                    client,
                    p.kind,
                    p.region,
                    name=p.name,
                    description=p.description,
                    tags=p.tags,
                    project_id=p.project_id,
                )
            await ctx.save(Progress("creating", "namespace created"), namespace_id=existing.id)
        ns = await get_namespace(client, p.kind, p.region, ctx.checkpoint["namespace_id"])
        status = status_text(ns.status)
        if status == "ready":
            return Done(namespace_summary(ns))
        if status not in NAMESPACE_WAIT:
            raise PermanentError(f"namespace {ns.id} is {status!r}: {ns.error_message or ''}")
        return poll_wait(ctx, PollKind.SERVERLESS, status, f"namespace {ns.name} is {status}")


class DeleteTarget(Operation[Target]):
    """Delete a namespace, container or function and wait until it answers 404."""

    what: ClassVar[str]  # "namespace" or "app"
    params_model = Target
    identity = ("kind", "region", "id")
    touches = (CacheKind.SERVERLESS,)

    async def step(self, ctx: StepContext[Target]) -> StepOutcome:
        p = ctx.params
        client = ctx.services.scaleway_client()
        noun = "namespace" if self.what == "namespace" else p.kind.app
        get = get_namespace if self.what == "namespace" else get_app
        delete = delete_namespace if self.what == "namespace" else delete_app
        try:
            found = await get(client, p.kind, p.region, p.id)
            if not ctx.checkpoint.get("delete_sent") and status_text(found.status) != "deleting":
                await delete(client, p.kind, p.region, p.id)
                await ctx.save(Progress("deleting", f"{noun} {found.name}"), delete_sent=True)
        except NotFound:
            return Done({"deleted": p.id, "region": p.region})
        return poll_wait(ctx, PollKind.SERVERLESS, "deleting", f"{noun} {found.name} goes")


class DeleteNamespace(DeleteTarget):
    """Delete a serverless namespace and wait until it is gone."""

    name = "serverless.delete_namespace"
    what = "namespace"


class DeleteApp(DeleteTarget):
    """Delete a container or function (its crons go too) and wait until it is gone."""

    name = "serverless.delete_app"
    what = "app"


class CreateCron(Operation[CronParams]):
    """Add a cron trigger to a container or function (found by name on resume)."""

    name = "serverless.create_cron"
    params_model = CronParams
    identity = ("kind", "region", "id", "name")
    touches = (CacheKind.SERVERLESS,)

    async def step(self, ctx: StepContext[CronParams]) -> StepOutcome:
        p = ctx.params
        client = ctx.services.scaleway_client()
        if ctx.checkpoint.get("create_sent"):
            crons = await crons_of(client, p.kind, p.region, p.id)
            found = next((c for c in crons if c.name == p.name), None)
            if found is not None:
                return Done(cron_summary(found))
        await ctx.save(create_sent=True)
        cron = await create_cron(
            client, p.kind, p.region, p.id, name=p.name, schedule=p.schedule, args=p.args
        )
        return Done(cron_summary(cron))


CREATE_NAMESPACE = CreateNamespace()
DELETE_NAMESPACE = DeleteNamespace()
DELETE_APP = DeleteApp()
CREATE_CRON = CreateCron()
OPERATIONS: list[AnyOperation] = [CREATE_NAMESPACE, DELETE_NAMESPACE, DELETE_APP, CREATE_CRON]
