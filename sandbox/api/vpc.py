"""VPC v2 (regional): VPCs, with one default VPC per project and region, and private networks.

A private network is created with 200 and two auto-assigned subnets (an IPv4 /22 and an IPv6
/64), ``dhcp_enabled: true``; it has no status. Delete answers 204, and is refused while
private NICs are still attached.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api.common import (
    Fields,
    iso,
    json_response,
    matches_common,
    order,
    path_id,
    project_from,
    query_tags,
    read_json,
    region_of,
    regional_page,
    state_of,
)
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/vpc/v2/regions/{region}"


def default_vpc(state: SandboxState, region: str, project: str) -> Record:
    """The project's default VPC in a region, created on first use."""
    with state.lock:
        for vpc in state.all("vpc"):
            if vpc.location == region and vpc.project_id == project and vpc.data["is_default"]:
                return vpc
        now = state.now()
        return state.add(
            Record(
                kind="vpc",
                id=state.new_id(),
                location=region,
                project_id=project,
                name="default",
                tags=[],
                created_at=now,
                timeline=[(now, "available")],
                data={"is_default": True},
            )
        )


def vpc_json(state: SandboxState, vpc: Record) -> JSON:
    """A ``VPC``."""
    count = sum(1 for pn in state.all("private_network") if pn.data["vpc_id"] == vpc.id)
    return {
        "id": vpc.id,
        "name": vpc.name,
        "organization_id": vpc.project_id,
        "project_id": vpc.project_id,
        "region": vpc.location,
        "tags": list(vpc.tags),
        "is_default": vpc.data["is_default"],
        "created_at": iso(vpc.created_at),
        "updated_at": iso(vpc.updated_at),
        "private_network_count": count,
        "routing_enabled": True,
        "custom_routes_propagation_enabled": False,
        "transitivity_enabled": False,
        "object_storage_private_access_enabled": False,
    }


def network_json(pn: Record) -> JSON:
    """A ``PrivateNetwork``."""
    stamp = iso(pn.created_at)
    subnets = [
        {
            "id": sid,
            "created_at": stamp,
            "updated_at": stamp,
            "subnet": cidr,
            "project_id": pn.project_id,
            "private_network_id": pn.id,
            "vpc_id": pn.data["vpc_id"],
            "region": pn.location,
        }
        for sid, cidr in pn.data["subnets"]
    ]
    return {
        "id": pn.id,
        "name": pn.name,
        "tags": list(pn.tags),
        "organization_id": pn.project_id,
        "created_at": stamp,
        "updated_at": iso(pn.updated_at),
        "project_id": pn.project_id,
        "subnets": subnets,
        "vpc_id": pn.data["vpc_id"],
        "dhcp_enabled": True,
        "default_route_propagation_enabled": pn.data["default_route_propagation_enabled"],
        "has_object_storage_private_access": False,
        "region": pn.location,
    }


def _vpc(request: Request, region: str) -> Record:
    vpc_id = path_id(request, "vpc_id")
    vpc = state_of(request).get("vpc", vpc_id)
    if vpc is None or vpc.location != region:
        raise errors.not_found("vpc", vpc_id)
    return vpc


async def list_vpcs(request: Request) -> Response:
    """GET /vpcs (the default VPC of the filtered project always exists)."""
    state, region = state_of(request), region_of(request)
    project = request.query_params.get("project_id")
    if project:
        default_vpc(state, region, project)
    tags = query_tags(request, comma_separated=False)
    is_default = request.query_params.get("is_default")
    items = [
        vpc_json(state, v)
        for v in order(state.all("vpc"), request.query_params.get("order_by"))
        if v.location == region
        and matches_common(
            request,
            v,
            project_param="project_id",
            org_param="organization_id",
            tags=tags,
            all_tags=False,
        )
        and (is_default is None or str(v.data["is_default"]).lower() == is_default.lower())
    ]
    return json_response(regional_page(request, "vpcs", items))


async def get_vpc(request: Request) -> Response:
    """GET /vpcs/{vpc_id}."""
    region = region_of(request)
    return json_response(vpc_json(state_of(request), _vpc(request, region)))


async def create_private_network(request: Request) -> Response:
    """POST /private-networks (200)."""
    state, region = state_of(request), region_of(request)
    fields = Fields(await read_json(request))
    project = project_from(fields, "project_id")
    name = fields.str("name") or f"pn-{state.new_id()[:8]}"
    tags = fields.str_list("tags") or []
    subnets = fields.str_list("subnets") or []
    vpc_id = fields.uuid("vpc_id")
    propagation = fields.bool("default_route_propagation_enabled", False)
    fields.check()
    if vpc_id:
        vpc = state.get("vpc", vpc_id)
        if vpc is None or vpc.location != region:
            raise errors.not_found("vpc", vpc_id)
    else:
        vpc = default_vpc(state, region, project)
    state.check_quota("private_network", project, "private_networks")
    n = state.created("private_network")
    cidrs = subnets or [f"172.16.{(4 * n) % 256}.0/22", f"fd63:256c:45f7:{n:x}::/64"]
    now = state.now()
    pn = state.add(
        Record(
            kind="private_network",
            id=state.new_id(),
            location=region,
            project_id=project,
            name=name,
            tags=tags,
            created_at=now,
            timeline=[(now, "available")],
            data={
                "vpc_id": vpc.id,
                "subnets": [(state.new_id(), c) for c in cidrs],
                "default_route_propagation_enabled": propagation,
            },
        )
    )
    return json_response(network_json(pn))


def _network(request: Request) -> Record:
    region = region_of(request)
    pn_id = path_id(request, "private_network_id")
    pn = state_of(request).get("private_network", pn_id)
    if pn is None or pn.location != region:
        raise errors.not_found("private_network", pn_id)
    return pn


async def get_private_network(request: Request) -> Response:
    """GET /private-networks/{private_network_id}."""
    return json_response(network_json(_network(request)))


async def list_private_networks(request: Request) -> Response:
    """GET /private-networks (tags match any, as the API documents)."""
    state, region = state_of(request), region_of(request)
    params = request.query_params
    tags = query_tags(request, comma_separated=False)
    ids = set(params.getlist("private_network_ids"))
    items = [
        network_json(pn)
        for pn in order(state.all("private_network"), params.get("order_by"))
        if pn.location == region
        and matches_common(
            request,
            pn,
            project_param="project_id",
            org_param="organization_id",
            tags=tags,
            all_tags=False,
        )
        and (not params.get("vpc_id") or pn.data["vpc_id"] == params["vpc_id"])
        and (not ids or pn.id in ids)
    ]
    return json_response(regional_page(request, "private_networks", items))


async def update_private_network(request: Request) -> Response:
    """PATCH /private-networks/{private_network_id}: name, tags."""
    pn = _network(request)
    fields = Fields(await read_json(request))
    name = fields.str("name")
    tags = fields.str_list("tags")
    fields.check()
    if name:
        pn.name = name
    if tags is not None:
        pn.tags = tags
    pn.updated_at = state_of(request).now()
    return json_response(network_json(pn))


async def delete_private_network(request: Request) -> Response:
    """DELETE /private-networks/{private_network_id}: 204."""
    state = state_of(request)
    pn = _network(request)
    with state.lock:
        if any(n.data["private_network_id"] == pn.id for n in state.all("private_nic")):
            raise errors.precondition_failed(
                "resource_still_in_use", "private network has attached resources"
            )
        state.remove("private_network", pn.id)
    return json_response(None, 204)


PN = f"{PREFIX}/private-networks"
routes = [
    Route(f"{PREFIX}/vpcs", list_vpcs, methods=["GET"]),
    Route(f"{PREFIX}/vpcs/{{vpc_id}}", get_vpc, methods=["GET"]),
    Route(PN, create_private_network, methods=["POST"]),
    Route(PN, list_private_networks, methods=["GET"]),
    Route(f"{PN}/{{private_network_id}}", get_private_network, methods=["GET"]),
    Route(f"{PN}/{{private_network_id}}", update_private_network, methods=["PATCH"]),
    Route(f"{PN}/{{private_network_id}}", delete_private_network, methods=["DELETE"]),
]
