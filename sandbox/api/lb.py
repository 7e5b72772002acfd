"""Load Balancer v1 (zoned): offer types, load balancers, their flexible IPs and private
networks.

A load balancer goes ``to_create`` (2 s at speed 1) -> ``creating`` (40 s) -> ``ready``;
delete answers 204 and it goes ``to_delete`` -> ``deleting`` (15 s) -> 404, taking its
backends, frontends and attachments along (its IP too with ``release_ip=true``). A private
network attachment is ``pending`` (10 s) then ``ready``. Changes to a load balancer that is
not ``ready`` answer 409 ``transient_state``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog, errors
from sandbox.api.common import (
    Fields,
    iso,
    json_response,
    matches_common,
    order,
    path_id,
    project_from,
    query_bool,
    query_tags,
    read_json,
    region_of_zone,
    regional_page,
    state_of,
    zone_of,
)
from sandbox.lifecycle import GONE, with_failure
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/lb/v1/zones/{zone}"
LB_TYPES = catalog.LB_TYPES
DURATIONS_S = {"to_create": 2.0, "creating": 40.0, "to_delete": 2.0, "deleting": 15.0}
PN_PENDING_S = 10.0
SSL_LEVELS = (
    "ssl_compatibility_level_intermediate",
    "ssl_compatibility_level_modern",
    "ssl_compatibility_level_old",
)


def children(state: SandboxState, kind: str, lb: Record) -> list[Record]:
    """A load balancer's backends, frontends or private network attachments."""
    return [r for r in state.all(kind) if r.parent_id == lb.id]


def ip_json(ip: Record) -> JSON:
    """An LB ``Ip``."""
    return {
        "id": ip.id,
        "ip_address": ip.data["address"],
        "organization_id": ip.project_id,
        "project_id": ip.project_id,
        "reverse": ip.data["reverse"],
        "tags": list(ip.tags),
        "lb_id": ip.data.get("lb_id"),
        "region": region_of_zone(ip.location),
        "zone": ip.location,
    }


def lb_json(state: SandboxState, lb: Record) -> JSON:
    """An ``Lb`` with its IPs, instances and counts."""
    status = state.status(lb)
    ips = [ip_json(ip) for ip in state.all("lb_ip") if ip.data.get("lb_id") == lb.id]
    instance_status = "ready" if status == "ready" else "pending"
    return {
        "id": lb.id,
        "name": lb.name,
        "description": lb.data["description"],
        "status": status,
        "instances": [
            {
                "id": lb.data["instance_id"],
                "status": instance_status,
                "ip_address": lb.data["instance_ip"],
                "created_at": iso(lb.created_at),
                "updated_at": iso(lb.updated_at),
                "region": region_of_zone(lb.location),
                "zone": lb.location,
            }
        ],
        "organization_id": lb.project_id,
        "project_id": lb.project_id,
        "ip": ips,
        "tags": list(lb.tags),
        "frontend_count": len(children(state, "lb_frontend", lb)),
        "backend_count": len(children(state, "lb_backend", lb)),
        "type": lb.data["type"],
        "subscriber": None,
        "ssl_compatibility_level": lb.data["ssl_compatibility_level"],
        "created_at": iso(lb.created_at),
        "updated_at": iso(lb.updated_at),
        "private_network_count": len(children(state, "lb_private_network", lb)),
        "route_count": 0,
        "region": region_of_zone(lb.location),
        "zone": lb.location,
    }


def lb_record(request: Request, lb_id: str | None = None) -> Record:
    """The ``{lb_id}`` load balancer of the path's zone, or 404."""
    zone = zone_of(request)
    lb_id = lb_id or path_id(request, "lb_id")
    lb = state_of(request).get("lb", lb_id)
    if lb is None or lb.location != zone:
        raise errors.not_found("lb", lb_id)
    return lb


def ready_lb(state: SandboxState, lb: Record) -> Record:
    """``lb`` if it is ``ready``; else 409 ``transient_state``."""
    current = state.status(lb)
    if current != "ready":
        raise errors.transient_state("lb", lb.id, current)
    return lb


async def list_lb_types(request: Request) -> Response:
    """GET /lb-types."""
    zone = zone_of(request)
    types = [
        {
            "name": name,
            "stock_status": "available",
            "description": f"{name} load balancer",
            "bandwidth": bandwidth,
            "multicloud": False,
            "region": region_of_zone(zone),
            "zone": zone,
        }
        for name, bandwidth in LB_TYPES
    ]
    return json_response(regional_page(request, "lb_types", types))


async def create_lb(request: Request) -> Response:
    """POST /lbs (200, ``to_create``); a new flexible IP unless ``ip_id`` is given."""
    state, zone = state_of(request), zone_of(request)
    fields = Fields(await read_json(request))
    project = project_from(fields, "project_id", "organization_id")
    name = fields.str("name") or f"lb-{state.new_id()[:8]}"
    lb_type = fields.str("type", required=True)
    if lb_type and lb_type.upper() not in {t for t, _ in LB_TYPES}:
        fields.fail("type", "constraint", f"unknown type {lb_type!r}")
    ip_id = fields.uuid("ip_id")
    tags = fields.str_list("tags") or []
    level = fields.choice("ssl_compatibility_level", SSL_LEVELS, SSL_LEVELS[0])
    description = fields.str("description", default="")
    fields.check()
    ip = state.get("lb_ip", ip_id) if ip_id else None
    if ip_id and (ip is None or ip.location != zone):
        raise errors.not_found("ip", ip_id)
    if ip is not None and ip.data.get("lb_id"):
        raise errors.precondition_failed("ip_in_use", "the IP is attached to a load balancer")
    state.check_quota("lb", project, "lbs")
    n = state.created("lb") + 1
    lb = Record(
        kind="lb",
        id=state.new_id(),
        location=zone,
        project_id=project,
        name=name,
        tags=tags,
        created_at=state.now(),
        timeline=state.plan(
            with_failure(
                [
                    ("to_create", DURATIONS_S["to_create"]),
                    ("creating", DURATIONS_S["creating"]),
                    ("ready", None),
                ],
                tags,
            )
        ),
        data={
            "description": description,
            "type": str(lb_type).upper(),
            "ssl_compatibility_level": level,
            "instance_id": state.new_id(),
            "instance_ip": f"10.64.{n % 256}.{n // 256 % 256 + 10}",
        },
    )
    with state.lock:
        state.add(lb)
        if ip is None:
            ip = new_ip(state, zone, project)
        ip.data["lb_id"] = lb.id
    return json_response(lb_json(state, lb))


def new_ip(state: SandboxState, zone: str, project: str) -> Record:
    """A fresh flexible IP of the zone."""
    n = state.created("lb_ip") + 1
    address = f"51.159.{n // 250 % 250 + 1}.{n % 250 + 1}"
    return state.add(
        Record(
            kind="lb_ip",
            id=state.new_id(),
            location=zone,
            project_id=project,
            name=address,
            tags=[],
            created_at=state.now(),
            timeline=[(state.now(), "ready")],
            data={"address": address, "reverse": f"{address.replace('.', '-')}.lb.par.scw.cloud"},
        )
    )


async def list_lbs(request: Request) -> Response:
    """GET /lbs (filters: name, tags (any), project, organization)."""
    state, zone = state_of(request), zone_of(request)
    tags = query_tags(request, comma_separated=False)
    items = [
        lb_json(state, lb)
        for lb in order(state.all("lb"), request.query_params.get("order_by"))
        if lb.location == zone
        and matches_common(
            request,
            lb,
            project_param="project_id",
            org_param="organization_id",
            tags=tags,
            all_tags=False,
        )
    ]
    return json_response(regional_page(request, "lbs", items))


async def get_lb(request: Request) -> Response:
    """GET /lbs/{lb_id}."""
    return json_response(lb_json(state_of(request), lb_record(request)))


async def delete_lb(request: Request) -> Response:
    """DELETE /lbs/{lb_id}?release_ip=: 204, then ``to_delete`` -> ``deleting`` -> 404."""
    state = state_of(request)
    lb = lb_record(request)
    release_ip = query_bool(request, "release_ip") or False
    with state.lock:
        if state.status(lb) in ("to_delete", "deleting"):
            raise errors.transient_state("lb", lb.id, state.status(lb))
        lb.data["release_ip"] = release_ip
        state.set_timeline(
            lb,
            [
                ("to_delete", DURATIONS_S["to_delete"]),
                ("deleting", DURATIONS_S["deleting"]),
                (GONE, None),
            ],
        )
    return json_response(None, 204)


def _on_lb_gone(state: SandboxState, lb: Record) -> None:
    for kind in ("lb_backend", "lb_frontend", "lb_private_network"):
        for child in state.all(kind):
            if child.parent_id == lb.id:
                state.remove(kind, child.id)
    for ip in state.all("lb_ip"):
        if ip.data.get("lb_id") == lb.id:
            if lb.data.get("release_ip"):
                state.remove("lb_ip", ip.id)
            else:
                ip.data["lb_id"] = None


async def list_ips(request: Request) -> Response:
    """GET /ips."""
    state, zone = state_of(request), zone_of(request)
    items = [ip_json(ip) for ip in state.all("lb_ip") if ip.location == zone]
    return json_response(regional_page(request, "ips", items))


async def get_ip(request: Request) -> Response:
    """GET /ips/{ip_id}."""
    zone, ip_id = zone_of(request), path_id(request, "ip_id")
    ip = state_of(request).get("lb_ip", ip_id)
    if ip is None or ip.location != zone:
        raise errors.not_found("ip", ip_id)
    return json_response(ip_json(ip))


def private_network_json(state: SandboxState, attachment: Record, lb: Record) -> JSON:
    """An LB ``PrivateNetwork`` attachment."""
    return {
        "lb": lb_json(state, lb),
        "ipam_ids": attachment.data["ipam_ids"],
        "dhcp_config": None,
        "static_config": None,
        "ipam_config": {},
        "private_network_id": attachment.data["private_network_id"],
        "status": state.status(attachment),
        "created_at": iso(attachment.created_at),
        "updated_at": iso(attachment.updated_at),
    }


async def attach_private_network(request: Request) -> Response:
    """POST /lbs/{lb_id}/attach-private-network (``pending``, then ``ready``)."""
    state = state_of(request)
    lb = ready_lb(state, lb_record(request))
    fields = Fields(await read_json(request))
    pn_id = fields.uuid("private_network_id", required=True)
    ipam_ids = fields.str_list("ipam_ids") or []
    fields.check()
    network = state.get("private_network", str(pn_id))
    if network is None or network.location != region_of_zone(lb.location):
        raise errors.not_found("private_network", str(pn_id))
    with state.lock:
        if any(
            a.data["private_network_id"] == pn_id for a in children(state, "lb_private_network", lb)
        ):
            raise errors.already_exists(
                "private_network", str(pn_id), "the load balancer is already attached to it"
            )
        attachment = state.add(
            Record(
                kind="lb_private_network",
                id=state.new_id(),
                location=lb.location,
                project_id=lb.project_id,
                name=str(pn_id),
                tags=[],
                created_at=state.now(),
                timeline=state.plan([("pending", PN_PENDING_S), ("ready", None)]),
                data={"private_network_id": pn_id, "ipam_ids": ipam_ids},
                parent_id=lb.id,
            )
        )
    return json_response(private_network_json(state, attachment, lb))


async def list_lb_private_networks(request: Request) -> Response:
    """GET /lbs/{lb_id}/private-networks."""
    state = state_of(request)
    lb = lb_record(request)
    items = [private_network_json(state, a, lb) for a in children(state, "lb_private_network", lb)]
    return json_response(regional_page(request, "private_network", items))


async def detach_private_network(request: Request) -> Response:
    """POST /lbs/{lb_id}/detach-private-network: 204."""
    state = state_of(request)
    lb = ready_lb(state, lb_record(request))
    fields = Fields(await read_json(request))
    pn_id = fields.uuid("private_network_id", required=True)
    fields.check()
    for attachment in children(state, "lb_private_network", lb):
        if attachment.data["private_network_id"] == pn_id:
            state.remove("lb_private_network", attachment.id)
            return json_response(None, 204)
    raise errors.not_found("private_network", str(pn_id))


def install(state: SandboxState) -> None:
    """Register the load balancer's gone hook."""
    state.on_gone["lb"] = _on_lb_gone


LB = f"{PREFIX}/lbs"
routes = [
    Route(f"{PREFIX}/lb-types", list_lb_types, methods=["GET"]),
    Route(LB, create_lb, methods=["POST"]),
    Route(LB, list_lbs, methods=["GET"]),
    Route(f"{LB}/{{lb_id}}", get_lb, methods=["GET"]),
    Route(f"{LB}/{{lb_id}}", delete_lb, methods=["DELETE"]),
    Route(f"{PREFIX}/ips", list_ips, methods=["GET"]),
    Route(f"{PREFIX}/ips/{{ip_id}}", get_ip, methods=["GET"]),
    Route(f"{LB}/{{lb_id}}/attach-private-network", attach_private_network, methods=["POST"]),
    Route(f"{LB}/{{lb_id}}/detach-private-network", detach_private_network, methods=["POST"]),
    Route(f"{LB}/{{lb_id}}/private-networks", list_lb_private_networks, methods=["GET"]),
]
