"""Instance v1 servers: create, get, list, update, delete and actions.

A server is created ``stopped`` (201 + ``Location``); ``poweron`` goes ``starting`` ->
``running``; ``poweroff`` ``stopping`` -> ``stopped``; ``stop_in_place`` ->
``stopped in place``; ``reboot`` ``stopping`` -> ``running``; ``terminate`` ``stopping`` ->
gone, with its volumes. Actions answer 202 with a task. Deleting a server that is not
stopped is refused with 400 ``invalid_request_error`` (as the Instance API does).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog, errors
from sandbox.api import instance_render as render
from sandbox.api.common import (
    Fields,
    instance_page,
    is_uuid,
    json_response,
    matches_common,
    order,
    path_id,
    project_from,
    query_tags,
    read_json,
    state_of,
    zone_of,
)
from sandbox.lifecycle import DURATIONS_S, GONE, Phase, with_failure
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/instance/v1/zones/{zone}"
ACTIONS = ("poweron", "poweroff", "stop_in_place", "reboot", "terminate")


def _phases(action: str, tags: list[str]) -> tuple[list[Phase], str]:
    """Phases and ``state_detail`` of the transient state an action starts."""
    d = DURATIONS_S
    if action == "poweron":
        return with_failure([("starting", d["server.starting"]), ("running", None)], tags), (
            "allocating node"
        )
    if action == "poweroff":
        return [("stopping", d["server.stopping"]), ("stopped", None)], "stopping"
    if action == "stop_in_place":
        return [("stopping", d["server.stopping_in_place"]), ("stopped in place", None)], (
            "stopping in place"
        )
    if action == "reboot":
        return [("stopping", d["server.rebooting"]), ("running", None)], "rebooting"
    return [("stopping", d["server.terminating"]), (GONE, None)], "terminating"


def get_server_record(state: SandboxState, zone: str, server_id: str) -> Record:
    """A live server of this zone, or 404 ``instance_server``."""
    record = state.get("server", server_id)
    if record is None or record.location != zone:
        raise errors.not_found("instance_server", server_id)
    return record


def _root_volume(fields: Fields, image: JSON, server_type: catalog.ServerType) -> JSON:
    volumes = fields.obj("volumes") or {}
    root = volumes.get("0") if isinstance(volumes.get("0"), dict) else {}
    sbs_image = image["root_volume"]["volume_type"] == "sbs_snapshot"
    default_type = "sbs_volume" if sbs_image else "l_ssd"
    volume_type = root.get("volume_type") or default_type
    if volume_type not in ("sbs_volume", "l_ssd"):
        fields.fail("volumes.0.volume_type", "constraint", "must be sbs_volume or l_ssd")
    if volume_type == "l_ssd" and not server_type.local_storage_gb:
        fields.fail(
            "volumes.0.volume_type",
            "constraint",
            f"{server_type.name} does not support local volumes",
        )
    default_size = (
        server_type.local_storage_gb * catalog.GB if volume_type == "l_ssd" else 10 * catalog.GB
    )
    size = root.get("size", default_size)
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        fields.fail("volumes.0.size", "format", "must be a positive integer (bytes)")
        size = default_size
    return {"volume_type": volume_type, "size": size, "name": root.get("name")}


async def create_server(request: Request) -> Response:
    """POST /servers."""
    state, zone = state_of(request), zone_of(request)
    fields = Fields(await read_json(request))
    type_name = fields.str("commercial_type", required=True)
    server_type = catalog.SERVER_TYPE_BY_NAME.get(type_name or "")
    if type_name and server_type is None:
        fields.fail("commercial_type", "constraint", f"unknown commercial type {type_name!r}")
    image_ref = fields.str("image", required=True)
    name = fields.str("name") or f"srv-{state.new_id()[:8]}"
    tags = fields.str_list("tags") or []
    project = project_from(fields, "project", "organization")
    dynamic_ip = fields.bool("dynamic_ip_required", True)
    routed = fields.bool("routed_ip_enabled", True)
    protected = fields.bool("protected", False)
    boot_type = fields.choice("boot_type", ("local", "rescue", "bootscript"), "local")
    enable_ipv6 = fields.bool("enable_ipv6", False)
    ip_ids = fields.str_list("public_ips") or []
    single_ip = fields.uuid("public_ip")
    fields.check()
    assert server_type is not None and image_ref is not None
    local = catalog.resolve_image(zone, image_ref, server_type.name)
    if local is None:
        if is_uuid(image_ref):
            raise errors.not_found("instance_image", image_ref)
        raise errors.invalid_argument(
            "image",
            "constraint",
            f"no image with label {image_ref!r} for {server_type.name} in {zone}",
        )
    if local["arch"] != server_type.arch:
        raise errors.invalid_argument(
            "image",
            "constraint",
            f"image arch {local['arch']} does not match {server_type.name} ({server_type.arch})",
        )
    image = catalog.instance_image_json(local)
    root = _root_volume(fields, image, server_type)
    fields.check()
    wanted_ips = [*ip_ids, *([single_ip] if single_ip else [])]
    ips = [render.require_ip(state, zone, i) for i in wanted_ips]
    for ip in ips:
        if ip.data.get("server_id"):
            raise errors.invalid_argument("public_ips", "constraint", f"IP {ip.id} is attached")
    state.check_quota("server", project, "instances_servers_per_zone", zone)
    now = state.now()
    server = Record(
        kind="server",
        id=state.new_id(),
        location=zone,
        project_id=project,
        name=name,
        tags=tags,
        created_at=now,
        timeline=[(now, "stopped")],
        data={
            "commercial_type": server_type.name,
            "arch": server_type.arch,
            "image": image,
            "boot_type": boot_type,
            "protected": protected,
            "dynamic_ip_required": dynamic_ip,
            "routed_ip_enabled": routed,
            "enable_ipv6": enable_ipv6 and not routed,
            "mac_address": render.mac_address(state),
            "detail": "",
        },
    )
    with state.lock:
        state.add(server)
        volume = render.new_volume(state, zone, project, root, server.id, f"{name}-root")
        server.data["volume_ids"] = [volume.id]
        if dynamic_ip and not ips:
            ips = [render.new_ip(state, zone, project, [])]
        for ip in ips:
            ip.data["server_id"] = server.id
    body = {"server": render.server_json(state, server)}
    location = f"{str(request.base_url).rstrip('/')}/instance/v1/zones/{zone}/servers/{server.id}"
    return json_response(body, 201, {"Location": location}, python_style=True)


async def get_server(request: Request) -> Response:
    """GET /servers/{server_id}."""
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    return json_response({"server": render.server_json(state, server)}, python_style=True)


async def list_servers(request: Request) -> Response:
    """GET /servers with the Instance filters."""
    state, zone = state_of(request), zone_of(request)
    params = request.query_params
    tags = query_tags(request, comma_separated=True)
    ids = {i for i in params.get("servers", "").split(",") if i}
    wanted_pn = params.get("private_network")
    result = []
    for server in order(state.all("server"), params.get("order"), default_desc=True):
        if server.location != zone or not matches_common(
            request, server, project_param="project", org_param="organization", tags=tags
        ):
            continue
        if params.get("state") and state.status(server) != params["state"]:
            continue
        if (
            params.get("commercial_type")
            and server.data["commercial_type"] != params["commercial_type"]
        ):
            continue
        if ids and server.id not in ids:
            continue
        nics = render.server_nics(state, server)
        if wanted_pn and all(n.data["private_network_id"] != wanted_pn for n in nics):
            continue
        result.append(render.server_json(state, server))
    return instance_page(request, "servers", result, "/servers")


async def update_server(request: Request) -> Response:
    """PATCH /servers/{server_id}."""
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    fields = Fields(await read_json(request))
    name = fields.str("name")
    tags = fields.str_list("tags")
    protected = fields.bool("protected")
    dynamic_ip = fields.bool("dynamic_ip_required")
    boot_type = fields.choice("boot_type", ("local", "rescue", "bootscript"))
    type_name = fields.str("commercial_type")
    if type_name is not None and type_name not in catalog.SERVER_TYPE_BY_NAME:
        fields.fail("commercial_type", "constraint", f"unknown commercial type {type_name!r}")
    fields.check()
    with state.lock:
        if type_name is not None and type_name != server.data["commercial_type"]:
            if state.status(server) != "stopped":
                raise errors.invalid_request("server should be stopped")
            server.data["commercial_type"] = type_name
        if name is not None:
            server.name = name
        if tags is not None:
            server.tags = tags
        for key, value in (
            ("protected", protected),
            ("dynamic_ip_required", dynamic_ip),
            ("boot_type", boot_type),
        ):
            if value is not None:
                server.data[key] = value
        server.updated_at = state.now()
    return json_response({"server": render.server_json(state, server)}, python_style=True)


async def delete_server(request: Request) -> Response:
    """DELETE /servers/{server_id}: only a stopped server; volumes and IPs stay, detached."""
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    with state.lock:
        if state.status(server) != "stopped":
            raise errors.invalid_request("server should be stopped")
        if server.data["protected"]:
            raise errors.precondition_failed("protected_resource", "server is protected")
        state.remove("server", server.id)
        render.release_server(state, server, delete_volumes=False)
    return json_response(None, 204)


async def server_action(request: Request) -> Response:
    """POST /servers/{server_id}/action: 202 with a task."""
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    fields = Fields(await read_json(request))
    action = fields.str("action") or "poweron"
    if action not in ACTIONS:
        fields.fail("action", "constraint", f"action must be one of {list(ACTIONS)}")
    fields.check()
    with state.lock:
        current = state.status(server)
        allowed = render.allowed_actions(current)
        if action not in allowed:
            wanted = "stopped" if action == "poweron" else "running"
            raise errors.invalid_request(f"server should be {wanted}")
        if action == "terminate" and server.data["protected"]:
            raise errors.precondition_failed("protected_resource", "server is protected")
        phases, detail = _phases(action, server.tags)
        state.set_timeline(server, phases)
        server.data["detail"] = detail
    task = render.task_json(state, server, action)
    location = f"{str(request.base_url).rstrip('/')}/instance/v1/zones/{zone}/tasks/{task['id']}"
    return json_response({"task": task}, 202, {"Location": location}, python_style=True)


async def list_server_actions(request: Request) -> Response:
    """GET /servers/{server_id}/action."""
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    actions = render.allowed_actions(state.status(server))
    return json_response({"actions": actions}, python_style=True)


def _on_server_gone(state: SandboxState, server: Record) -> None:
    render.release_server(state, server, delete_volumes=True)


def install(state: SandboxState) -> None:
    """Register the lifecycle hooks of this API."""
    state.on_gone["server"] = _on_server_gone


routes = [
    Route(f"{PREFIX}/servers", create_server, methods=["POST"]),
    Route(f"{PREFIX}/servers", list_servers, methods=["GET"]),
    Route(f"{PREFIX}/servers/{{server_id}}", get_server, methods=["GET"]),
    Route(f"{PREFIX}/servers/{{server_id}}", update_server, methods=["PATCH"]),
    Route(f"{PREFIX}/servers/{{server_id}}", delete_server, methods=["DELETE"]),
    Route(f"{PREFIX}/servers/{{server_id}}/action", server_action, methods=["POST"]),
    Route(f"{PREFIX}/servers/{{server_id}}/action", list_server_actions, methods=["GET"]),
]
