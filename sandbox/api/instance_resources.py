"""Instance v1 resources around servers: products, images, volumes, IPs and private NICs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog, errors
from sandbox.api import instance_render as render
from sandbox.api.common import (
    Fields,
    instance_page,
    json_response,
    matches_common,
    order,
    path_id,
    project_from,
    query_tags,
    read_json,
    region_of_zone,
    state_of,
    zone_of,
)
from sandbox.api.instance import PREFIX, get_server_record
from sandbox.state import Record

# -- products and images ------------------------------------------------------------------


async def list_server_types(request: Request) -> Response:
    """GET /products/servers: the commercial types of the zone."""
    zone_of(request)
    types = {t.name: catalog.server_type_json(t) for t in catalog.SERVER_TYPES}
    headers = {"X-Total-Count": str(len(types))}
    return json_response({"servers": types}, headers=headers, python_style=True)


async def server_types_availability(request: Request) -> Response:
    """GET /products/servers/availability."""
    zone = zone_of(request)
    servers = {
        t.name: {"availability": catalog.availability(zone, t.name)} for t in catalog.SERVER_TYPES
    }
    headers = {"X-Total-Count": str(len(servers))}
    body = {"servers": servers, "total_count": len(servers)}
    return json_response(body, headers=headers, python_style=True)


async def list_images(request: Request) -> Response:
    """GET /images: the public images of the zone (filters: name, arch, public)."""
    zone = zone_of(request)
    params = request.query_params
    images = []
    for local in catalog.LOCAL_IMAGES:
        if local["zone"] != zone:
            continue
        image = catalog.instance_image_json(local)
        if params.get("name") and params["name"].lower() not in image["name"].lower():
            continue
        if params.get("arch") and image["arch"] != params["arch"]:
            continue
        if params.get("public") == "false":
            continue
        images.append(image)
    return instance_page(request, "images", images, "/images")


async def get_image(request: Request) -> Response:
    """GET /images/{image_id}."""
    zone = zone_of(request)
    image_id = path_id(request, "image_id")
    local = catalog.LOCAL_IMAGE_BY_ID.get(image_id)
    if local is None or local["zone"] != zone:
        raise errors.not_found("instance_image", image_id)
    return json_response({"image": catalog.instance_image_json(local)}, python_style=True)


# -- volumes ------------------------------------------------------------------------------


def _local_volume(request: Request) -> Record:
    state, zone = state_of(request), zone_of(request)
    volume_id = path_id(request, "volume_id")
    volume = state.get("volume", volume_id)
    # SBS volumes live in the Block API: Instance v1 answers 404 for them, as the real one.
    if volume is None or volume.location != zone or volume.data["volume_type"] != "l_ssd":
        raise errors.not_found("instance_volume", volume_id)
    return volume


async def list_volumes(request: Request) -> Response:
    """GET /volumes: local volumes of the zone."""
    state, zone = state_of(request), zone_of(request)
    tags = query_tags(request, comma_separated=True)
    volumes = [
        render.volume_json(state, v)
        for v in order(state.all("volume"), None, default_desc=True)
        if v.location == zone
        and v.data["volume_type"] == "l_ssd"
        and matches_common(request, v, project_param="project", org_param="organization", tags=tags)
    ]
    return instance_page(request, "volumes", volumes, "/volumes")


async def get_volume(request: Request) -> Response:
    """GET /volumes/{volume_id}."""
    volume = _local_volume(request)
    return json_response(
        {"volume": render.volume_json(state_of(request), volume)}, python_style=True
    )


async def delete_volume(request: Request) -> Response:
    """DELETE /volumes/{volume_id}: 204; refused while attached."""
    volume = _local_volume(request)
    if volume.data["server_id"]:
        raise errors.precondition_failed("resource_still_in_use", "volume is attached to a server")
    state_of(request).remove("volume", volume.id)
    return json_response(None, 204)


# -- IPs ----------------------------------------------------------------------------------


async def create_ip(request: Request) -> Response:
    """POST /ips: reserve a routed IPv4 (201)."""
    state, zone = state_of(request), zone_of(request)
    fields = Fields(await read_json(request))
    project = project_from(fields, "project", "organization")
    tags = fields.str_list("tags") or []
    server_id = fields.uuid("server")
    fields.choice("type", ("routed_ipv4", "routed_ipv6", "unknown_iptype"))
    fields.check()
    server = get_server_record(state, zone, server_id) if server_id else None
    state.check_quota("ip", project, "instances_ips_per_zone", zone)
    ip = render.new_ip(state, zone, project, tags)
    if server is not None:
        ip.data["server_id"] = server.id
    return json_response({"ip": render.ip_json(state, ip)}, 201, python_style=True)


async def list_ips(request: Request) -> Response:
    """GET /ips."""
    state, zone = state_of(request), zone_of(request)
    tags = query_tags(request, comma_separated=True)
    ips = [
        render.ip_json(state, ip)
        for ip in order(state.all("ip"), None, default_desc=True)
        if ip.location == zone
        and matches_common(
            request, ip, project_param="project", org_param="organization", tags=tags
        )
    ]
    return instance_page(request, "ips", ips, "/ips")


async def get_ip(request: Request) -> Response:
    """GET /ips/{ip}."""
    state, zone = state_of(request), zone_of(request)
    ip = render.require_ip(state, zone, path_id(request, "ip"))
    return json_response({"ip": render.ip_json(state, ip)}, python_style=True)


async def update_ip(request: Request) -> Response:
    """PATCH /ips/{ip}: tags and reverse."""
    state, zone = state_of(request), zone_of(request)
    ip = render.require_ip(state, zone, path_id(request, "ip"))
    fields = Fields(await read_json(request))
    tags = fields.str_list("tags")
    reverse = fields.str("reverse")
    fields.check()
    if tags is not None:
        ip.tags = tags
    if reverse is not None:
        ip.data["reverse"] = reverse or None
    return json_response({"ip": render.ip_json(state, ip)}, python_style=True)


async def delete_ip(request: Request) -> Response:
    """DELETE /ips/{ip}: 204 (detaches it first if needed)."""
    state, zone = state_of(request), zone_of(request)
    ip = render.require_ip(state, zone, path_id(request, "ip"))
    state.remove("ip", ip.id)
    return json_response(None, 204)


# -- private NICs -------------------------------------------------------------------------


def _nic(request: Request) -> tuple[Record, Record]:
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    nic_id = path_id(request, "private_nic_id")
    nic = state.get("private_nic", nic_id)
    if nic is None or nic.parent_id != server.id:
        raise errors.not_found("instance_private_nic", nic_id)
    return server, nic


async def create_private_nic(request: Request) -> Response:
    """POST /servers/{server_id}/private_nics (201)."""
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    fields = Fields(await read_json(request))
    pn_id = fields.uuid("private_network_id", required=True)
    tags = fields.str_list("tags") or []
    ipam_ip_ids = fields.str_list("ipam_ip_ids") or []
    fields.check()
    assert pn_id is not None
    network = state.get("private_network", pn_id)
    if network is None or network.location != region_of_zone(zone):
        raise errors.not_found("private_network", pn_id)
    with state.lock:
        if any(n.data["private_network_id"] == pn_id for n in render.server_nics(state, server)):
            raise errors.already_exists(
                "instance_private_nic", pn_id, "server already attached to this private network"
            )
        now = state.now()
        nic = state.add(
            Record(
                kind="private_nic",
                id=state.new_id(),
                location=zone,
                project_id=server.project_id,
                name=pn_id,
                tags=tags,
                created_at=now,
                parent_id=server.id,
                timeline=state.plan(render.nic_phases(state.status(server))),
                data={
                    "private_network_id": pn_id,
                    "mac_address": render.mac_address(state),
                    "ipam_ip_ids": ipam_ip_ids or [state.new_id(), state.new_id()],
                },
            )
        )
    return json_response({"private_nic": render.nic_json(state, nic)}, 201, python_style=True)


async def list_private_nics(request: Request) -> Response:
    """GET /servers/{server_id}/private_nics."""
    state, zone = state_of(request), zone_of(request)
    server = get_server_record(state, zone, path_id(request, "server_id"))
    tags = query_tags(request, comma_separated=True)
    nics = [
        render.nic_json(state, n)
        for n in render.server_nics(state, server)
        if all(t in n.tags for t in tags)
    ]
    return instance_page(request, "private_nics", nics, f"/servers/{server.id}/private_nics")


async def get_private_nic(request: Request) -> Response:
    """GET /servers/{server_id}/private_nics/{private_nic_id}."""
    _, nic = _nic(request)
    return json_response(
        {"private_nic": render.nic_json(state_of(request), nic)}, python_style=True
    )


async def update_private_nic(request: Request) -> Response:
    """PATCH /servers/{server_id}/private_nics/{private_nic_id}: tags."""
    _, nic = _nic(request)
    fields = Fields(await read_json(request))
    tags = fields.str_list("tags")
    fields.check()
    if tags is not None:
        nic.tags = tags
    return json_response(
        {"private_nic": render.nic_json(state_of(request), nic)}, python_style=True
    )


async def delete_private_nic(request: Request) -> Response:
    """DELETE /servers/{server_id}/private_nics/{private_nic_id}: 204."""
    _, nic = _nic(request)
    state_of(request).remove("private_nic", nic.id)
    return json_response(None, 204)


NIC = f"{PREFIX}/servers/{{server_id}}/private_nics"
routes = [
    Route(f"{PREFIX}/products/servers", list_server_types, methods=["GET"]),
    Route(f"{PREFIX}/products/servers/availability", server_types_availability, methods=["GET"]),
    Route(f"{PREFIX}/images", list_images, methods=["GET"]),
    Route(f"{PREFIX}/images/{{image_id}}", get_image, methods=["GET"]),
    Route(f"{PREFIX}/volumes", list_volumes, methods=["GET"]),
    Route(f"{PREFIX}/volumes/{{volume_id}}", get_volume, methods=["GET"]),
    Route(f"{PREFIX}/volumes/{{volume_id}}", delete_volume, methods=["DELETE"]),
    Route(f"{PREFIX}/ips", create_ip, methods=["POST"]),
    Route(f"{PREFIX}/ips", list_ips, methods=["GET"]),
    Route(f"{PREFIX}/ips/{{ip}}", get_ip, methods=["GET"]),
    Route(f"{PREFIX}/ips/{{ip}}", update_ip, methods=["PATCH"]),
    Route(f"{PREFIX}/ips/{{ip}}", delete_ip, methods=["DELETE"]),
    Route(NIC, create_private_nic, methods=["POST"]),
    Route(NIC, list_private_nics, methods=["GET"]),
    Route(f"{NIC}/{{private_nic_id}}", get_private_nic, methods=["GET"]),
    Route(f"{NIC}/{{private_nic_id}}", update_private_nic, methods=["PATCH"]),
    Route(f"{NIC}/{{private_nic_id}}", delete_private_nic, methods=["DELETE"]),
]
