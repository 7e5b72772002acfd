"""Instance operations: create, start, stop, reboot and delete servers, polling until they
settle."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.errors import PermanentError
from workers.scaleway.errors import NotFound
from workers.scaleway.power import drive_power, poll_wait, services_of
from workers.scaleway.presence import delete_if_present, exists
from workers.scaleway.servers import (
    RUNNING,
    STOPPED,
    check_commercial_type,
    find_server_by_tag,
    get_server,
    job_tag,
    resolve_image,
    state_text,
)
from workers.scaleway.summaries import server_result
from workers.steps import Done, Operation, StepContext, StepOutcome

GB = 1000**3


class CreateServerParams(BaseModel):
    """Parameters of ``instance.create_server``."""

    zone: str
    name: str
    commercial_type: str
    image: str
    tags: list[str] = Field(default_factory=list)
    volume_size_gb: int | None = None
    start: bool = True
    project_id: str | None = None


class ServerRef(BaseModel):
    """A server in a zone."""

    zone: str
    server_id: str


class DeleteServerParams(ServerRef):
    """Parameters of ``instance.delete_server``."""

    delete_volumes: bool = True
    delete_ips: bool = True


class CreateServer(Operation):
    """Create a server tagged with the job id, optionally power it on, wait for ``running``."""

    name = "instance.create_server"
    params_model = CreateServerParams
    identity = ("zone", "project_id", "name")
    touches = ("instance",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: CreateServerParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        if "server_id" not in ctx.checkpoint:
            tag = job_tag(ctx.job.id)
            # A resumed job looks for its tag first: the create may have happened already.
            server = await client.create_once(
                lambda: find_server_by_tag(client, params.zone, tag),
                lambda: self._create(ctx, params, tag),
            )
            await ctx.save(
                Progress("created", f"server {server.name} created ({state_text(server.state)})"),
                server_id=server.id,
            )
        server = await get_server(client, params.zone, ctx.checkpoint["server_id"])
        if not params.start:
            return Done(server_result(server))
        outcome = await drive_power(ctx, client, server, RUNNING, phase="starting")
        return outcome or Done(server_result(server))

    async def _create(self, ctx: StepContext, params: CreateServerParams, tag: str) -> Any:
        client, cache = services_of(ctx)
        await check_commercial_type(client, cache, params.zone, params.commercial_type)
        image_id = await resolve_image(
            client, cache, params.zone, params.image, params.commercial_type
        )
        volumes = None
        if params.volume_size_gb:
            from scaleway.instance.v1 import VolumeServerTemplate

            volumes = {
                "0": VolumeServerTemplate(
                    volume_type="sbs_volume",  # type: ignore[arg-type]
                    size=params.volume_size_gb * GB,
                    boot=True,
                )
            }
        response = await client.call(
            client.instance.create_server,
            zone=params.zone,
            commercial_type=params.commercial_type,
            name=params.name,
            image=image_id,
            volumes=volumes,
            tags=[*params.tags, tag],
            project=params.project_id or client.project_id,
        )
        return response.server

    async def on_cancel(self, ctx: StepContext) -> JSON | None:
        server_id = ctx.checkpoint.get("server_id")
        if not server_id:
            return {"created": None, "note": "no server was created"}
        return {
            "created": {"server_id": server_id, "zone": ctx.params.zone},  # type: ignore[attr-defined]
            "note": "the server exists; delete_instance removes it",
        }


class PowerServer(Operation):
    """Bring a server to a power state; a server already there succeeds at once."""

    target: str
    phase: str

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: ServerRef = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        server = await get_server(client, params.zone, params.server_id)
        outcome = await drive_power(ctx, client, server, self.target, phase=self.phase)
        if outcome is not None:
            return outcome
        result = server_result(server)
        result["already"] = not ctx.checkpoint.get("actions")
        return Done(result)


class StartServer(PowerServer):
    """Power a server on and wait for ``running``."""

    name = "instance.start_server"
    params_model = ServerRef
    identity = ("zone", "server_id")
    touches = ("instance",)
    target = RUNNING
    phase = "starting"


class StopServer(PowerServer):
    """Power a server off and wait for ``stopped``."""

    name = "instance.stop_server"
    params_model = ServerRef
    identity = ("zone", "server_id")
    touches = ("instance",)
    target = STOPPED
    phase = "stopping"


class RebootServer(Operation):
    """Reboot a running server and wait until it runs again."""

    name = "instance.reboot_server"
    params_model = ServerRef
    identity = ("zone", "server_id")
    touches = ("instance",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: ServerRef = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        server = await get_server(client, params.zone, params.server_id)
        state = state_text(server.state)
        if not ctx.checkpoint.get("reboot_sent"):
            if state != RUNNING:
                raise PermanentError(
                    f"server {server.id} is {state!r}; only a running server reboots "
                    "(start_instance powers it on)"
                )
            await client.read(
                client.instance.server_action,
                zone=params.zone,
                server_id=server.id,
                action="reboot",  # type: ignore[arg-type]
            )
            await ctx.save(Progress("rebooting", f"server {server.name} reboots"), reboot_sent=True)
            return poll_wait(ctx, client, "server", "rebooting", f"server {server.name} reboots")
        if state == RUNNING:
            return Done(server_result(server))
        if state not in ("stopping", "starting"):
            raise PermanentError(f"server {server.id} is {state!r} after its reboot")
        return poll_wait(ctx, client, "server", "rebooting", f"server {server.name} is {state}")


class DeleteServer(Operation):
    """Power off, wait for ``stopped``, delete the server, then its volumes and IPs."""

    name = "instance.delete_server"
    params_model = DeleteServerParams
    identity = ("zone", "server_id")
    touches = ("instance",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: DeleteServerParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        cp = ctx.checkpoint
        if "volumes" not in cp:
            server = await get_server(client, params.zone, params.server_id)
            if server.protected:
                raise PermanentError(
                    f"server {server.id} is protected; remove the protection before deleting it"
                )
            # Remember what belongs to the server before it disappears.
            volumes = [
                {"id": v.id, "type": state_text(v.volume_type).replace(" ", "_")}
                for v in (server.volumes or {}).values()
            ]
            ips = [ip.id for ip in (server.public_ips or []) if getattr(ip, "id", None)]
            await ctx.save(
                Progress("inventory", "listed volumes and IPs"), volumes=volumes, ips=ips
            )
        if not cp.get("server_deleted"):
            try:
                server = await get_server(client, params.zone, params.server_id)
            except NotFound:
                server = None
            if server is not None:
                outcome = await drive_power(ctx, client, server, STOPPED, phase="stopping")
                if outcome is not None:
                    return outcome
                await delete_if_present(
                    client, client.instance.delete_server, zone=params.zone, server_id=server.id
                )
            await ctx.save(Progress("deleted", "server deleted"), server_deleted=True)
        return await self._cleanup(ctx, params)

    async def _cleanup(self, ctx: StepContext, params: DeleteServerParams) -> StepOutcome:
        client, _ = services_of(ctx)
        cp = ctx.checkpoint
        if await exists(
            client, client.instance.get_server, zone=params.zone, server_id=params.server_id
        ):
            return poll_wait(ctx, client, "server", "deleting", "waiting for the server to go")
        deleted_volumes = list(cp.get("deleted_volumes", []))
        if params.delete_volumes:
            for volume in cp["volumes"]:
                if volume["id"] in deleted_volumes:
                    continue
                delete = (
                    client.block.delete_volume
                    if volume["type"] == "sbs_volume"
                    else client.instance.delete_volume
                )
                await delete_if_present(client, delete, zone=params.zone, volume_id=volume["id"])
                deleted_volumes.append(volume["id"])
                await ctx.save(deleted_volumes=deleted_volumes)
        deleted_ips = list(cp.get("deleted_ips", []))
        if params.delete_ips:
            for ip_id in cp["ips"]:
                if ip_id in deleted_ips:
                    continue
                await delete_if_present(
                    client, client.instance.delete_ip, zone=params.zone, ip=ip_id
                )
                deleted_ips.append(ip_id)
                await ctx.save(deleted_ips=deleted_ips)
        kept_volumes = [v["id"] for v in cp["volumes"] if v["id"] not in deleted_volumes]
        return Done(
            {
                "deleted": params.server_id,
                "zone": params.zone,
                "deleted_volumes": deleted_volumes,
                "deleted_ips": deleted_ips,
                "kept_volumes": kept_volumes,
                "kept_ips": [i for i in cp["ips"] if i not in deleted_ips],
            }
        )

    async def on_cancel(self, ctx: StepContext) -> JSON | None:
        deleted = bool(ctx.checkpoint.get("server_deleted"))
        return {
            "server_deleted": deleted,
            "server_id": ctx.params.server_id,  # type: ignore[attr-defined]
            "note": "the server is deleted; its volumes and IPs may remain"
            if deleted
            else "the server still exists (perhaps powered off)",
        }


OPERATIONS: list[Operation] = [
    CreateServer(),
    StartServer(),
    StopServer(),
    RebootServer(),
    DeleteServer(),
]
