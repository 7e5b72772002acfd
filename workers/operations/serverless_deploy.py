"""Deploying a serverless container or function: create it (or update the one of that name),
upload a function's code, deploy, and wait until it is ``ready`` or report the API's error.

Names are unique in a namespace, so a job resumed after a crash finds the container or
function it created by its name and never makes a second one.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

import anyio
from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import PermanentError
from workers.operations.waiting import poll_wait
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import Conflict
from workers.scaleway.k8s import status_text
from workers.scaleway.serverless import (
    APP_WAIT,
    AppSettings,
    Kind,
    app_summary,
    create_app,
    deploy_app,
    find_app,
    get_app,
    update_app,
    upload_function_code,
)
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome


class AppParams(BaseModel):
    """What a container and a function share."""

    region: str
    namespace_id: str
    name: str
    env: dict[str, str] = Field(default_factory=dict)
    min_scale: int = 0
    max_scale: int = 5
    memory_mb: int = 256
    privacy: str = "public"
    description: str = ""
    tags: list[str] = Field(default_factory=list)


class ContainerParams(AppParams):
    """Parameters of ``serverless.deploy_container``."""

    image: str
    port: int = 8080


class FunctionParams(AppParams):
    """Parameters of ``serverless.deploy_function``."""

    runtime: str
    handler: str = "handler.handle"
    zip_path: str | None = None


AppP = TypeVar("AppP", bound=AppParams)


class DeployApp(Operation[AppP], Generic[AppP]):
    """Create or update, deploy, and wait for ``ready``."""

    kind: ClassVar[Kind]
    touches = (CacheKind.SERVERLESS,)

    def _own_settings(self, params: AppP) -> dict[str, Any]:
        """The settings only this kind has (image and port, runtime and handler)."""
        return {}

    async def _before_deploy(
        self, ctx: StepContext[AppP], client: ScalewayClient, app_id: str
    ) -> None:
        """What must happen between the create and the deploy (a function's code)."""

    def _settings(self, p: AppP) -> AppSettings:
        return AppSettings(
            region=p.region,
            env=p.env,
            min_scale=p.min_scale,
            max_scale=p.max_scale,
            memory_mb=p.memory_mb,
            privacy=p.privacy,
            description=p.description,
            tags=p.tags,
            **self._own_settings(p),
        )

    async def step(self, ctx: StepContext[AppP]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        kind, cp = self.kind, ctx.checkpoint
        settings = self._settings(params)
        if "app_id" not in cp:
            found = await find_app(client, kind, params.region, params.namespace_id, params.name)
            created = bool(cp.get("create_sent"))
            if found is None:
                await ctx.save(create_sent=True)
                found = await create_app(client, kind, params.namespace_id, params.name, settings)
                created = True
            else:
                await update_app(client, kind, found.id, settings)
            progress = Progress("created", f"{kind.app} {params.name}")
            await ctx.save(progress, app_id=found.id, created=created)
        app_id = cp["app_id"]
        if not cp.get("deploy_sent"):
            await self._before_deploy(ctx, client, app_id)
            try:
                await deploy_app(client, kind, params.region, app_id)
            except Conflict as exc:
                if exc.current_state != "pending":  # a deploy already under way is ours
                    raise
            await ctx.save(
                Progress("deploying", f"{kind.app} {params.name} deploys"), deploy_sent=True
            )
        app = await get_app(client, kind, params.region, app_id)
        status = status_text(app.status)
        if status == "ready":
            return Done({**app_summary(app), "created": bool(cp.get("created"))})
        if status in APP_WAIT:
            return poll_wait(
                ctx, PollKind.SERVERLESS, "deploying", f"{kind.app} {app.name} is {status}"
            )
        raise PermanentError(
            f"{kind.app} {app.name} ({app.id}) is {status!r} after its deploy: "
            f"{app.error_message or 'no message'}; fix it and deploy again, or delete it"
        )

    async def on_cancel(self, ctx: StepContext[AppP]) -> JSON | None:
        app_id = ctx.checkpoint.get("app_id")
        return {
            "app": {"id": app_id, "kind": self.kind.app} if app_id else None,
            "note": "delete_serverless_app removes it" if app_id else f"no {self.kind.app} exists",
        }


class DeployContainer(DeployApp[ContainerParams]):
    """Deploy a container from a registry image."""

    name = "serverless.deploy_container"
    params_model = ContainerParams
    identity = None  # every parameter: a deploy with another image or setting is another call
    kind = Kind.CONTAINERS

    def _own_settings(self, params: ContainerParams) -> dict[str, Any]:
        return {"image": params.image, "port": params.port}


class DeployFunction(DeployApp[FunctionParams]):
    """Deploy a function: its code (a zip file) uploaded first when given."""

    name = "serverless.deploy_function"
    params_model = FunctionParams
    identity = None  # every parameter: a deploy with another code or setting is another call
    kind = Kind.FUNCTIONS

    def _own_settings(self, params: FunctionParams) -> dict[str, Any]:
        return {"runtime": params.runtime, "handler": params.handler}

    async def _before_deploy(
        self, ctx: StepContext[FunctionParams], client: ScalewayClient, app_id: str
    ) -> None:
        params = ctx.params
        if params.zip_path is None or ctx.checkpoint.get("code_uploaded"):
            return
        try:
            code = await anyio.Path(params.zip_path).read_bytes()
        except OSError as exc:
            raise PermanentError(
                f"cannot read the code archive {params.zip_path}: {exc.strerror}"
            ) from None
        await upload_function_code(client, params.region, app_id, code)
        await ctx.save(Progress("uploaded", f"{len(code)} bytes of code"), code_uploaded=True)


DEPLOY_CONTAINER = DeployContainer()
DEPLOY_FUNCTION = DeployFunction()
OPERATIONS: list[AnyOperation] = [DEPLOY_CONTAINER, DEPLOY_FUNCTION]
