"""Block Storage (v1alpha1 and v1) volumes: where a server's SBS volumes are read and deleted.

Instance v1 answers 404 ``instance_volume`` for an SBS volume, as the real API does; the
product deletes SBS volumes through ``DELETE /block/v1alpha1/zones/{zone}/volumes/{id}``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api.common import (
    iso,
    json_response,
    matches_common,
    order,
    path_id,
    query_tags,
    regional_page,
    state_of,
    zone_of,
)
from sandbox.state import Record, SandboxState
from sandbox.types import JSON


def volume_json(state: SandboxState, volume: Record) -> JSON:
    """A Block ``Volume``."""
    server_id = volume.data.get("server_id")
    references = []
    if server_id:
        references.append(
            {
                "id": volume.id,
                "product_resource_type": "instance_server",
                "product_resource_id": server_id,
                "type": "exclusive",
                "status": "attached",
                "created_at": iso(volume.created_at),
            }
        )
    return {
        "id": volume.id,
        "name": volume.name,
        "type": "sbs_5k",
        "size": volume.data["size"],
        "project_id": volume.project_id,
        "references": references,
        "status": "in_use" if server_id else "available",
        "tags": list(volume.tags),
        "zone": volume.location,
        "created_at": iso(volume.created_at),
        "updated_at": iso(volume.updated_at),
        "parent_snapshot_id": None,
        "specs": {"class": "sbs", "perf_iops": 5000},
        "last_detached_at": None,
    }


def _volume(request: Request) -> Record:
    state, zone = state_of(request), zone_of(request)
    volume_id = path_id(request, "volume_id")
    volume = state.get("volume", volume_id)
    if volume is None or volume.location != zone or volume.data["volume_type"] != "sbs_volume":
        raise errors.not_found("volume", volume_id)
    return volume


async def list_volumes(request: Request) -> Response:
    """GET /volumes."""
    state, zone = state_of(request), zone_of(request)
    tags = query_tags(request, comma_separated=False)
    items = [
        volume_json(state, v)
        for v in order(state.all("volume"), request.query_params.get("order_by"))
        if v.location == zone
        and v.data["volume_type"] == "sbs_volume"
        and matches_common(
            request, v, project_param="project_id", org_param="organization_id", tags=tags
        )
    ]
    return json_response(regional_page(request, "volumes", items))


async def get_volume(request: Request) -> Response:
    """GET /volumes/{volume_id}."""
    return json_response(volume_json(state_of(request), _volume(request)))


async def delete_volume(request: Request) -> Response:
    """DELETE /volumes/{volume_id}: 204; refused while a server uses it."""
    volume = _volume(request)
    if volume.data.get("server_id"):
        raise errors.precondition_failed("resource_still_in_use", "volume is in use")
    state_of(request).remove("volume", volume.id)
    return json_response(None, 204)


routes = [
    route
    for version in ("v1alpha1", "v1")
    for route in (
        Route(f"/block/{version}/zones/{{zone}}/volumes", list_volumes, methods=["GET"]),
        Route(
            f"/block/{version}/zones/{{zone}}/volumes/{{volume_id}}", get_volume, methods=["GET"]
        ),
        Route(
            f"/block/{version}/zones/{{zone}}/volumes/{{volume_id}}",
            delete_volume,
            methods=["DELETE"],
        ),
    )
]
