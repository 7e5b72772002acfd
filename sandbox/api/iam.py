"""IAM v1alpha1 quota (read-only): the limits the sandbox enforces on creates, by quotum name.

``GET /iam/v1alpha1/quota`` lists them (``quotum_names`` filters, paginated with
``total_count``) and ``GET /iam/v1alpha1/quota/{quotum_name}`` reads one, in the SDK's
``Quotum`` shape: ``name``, ``pretty_name``, ``unit``, ``description``, ``locality_type``
and ``limits`` (one per zone for a zonal quotum, one ``global`` otherwise). Like the real
API it gives limits, not usage: a caller counts what exists. An unknown name answers 404.
Creates past a limit answer 403 ``quotas_exceeded`` naming the same quotum (see
``SandboxState.check_quota``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api.common import ZONES, json_response, regional_page, state_of
from sandbox.types import JSON

# Sandbox resource kind -> (quotum name, locality type, what it counts).
QUOTA_NAMES: dict[str, tuple[str, str, str]] = {
    "server": ("instances_servers_per_zone", "zone", "Instances per zone"),
    "ip": ("instances_ips_per_zone", "zone", "Flexible IPs per zone"),
    "private_network": ("private_networks", "global", "Private Networks"),
    "cluster": ("k8s_clusters", "global", "Kubernetes clusters"),
    "rdb_instance": ("rdb_instances", "global", "Database Instances"),
    "registry_namespace": ("registry_namespaces", "global", "Registry namespaces"),
    "lb": ("lbs", "global", "Load Balancers"),
}


def quotum_json(name: str, locality: str, pretty: str, limit: int) -> JSON:
    """One ``Quotum`` as the API shows it."""
    if locality == "zone":
        limits: list[JSON] = [{"zone": zone, "limit": limit} for zone in sorted(ZONES)]
    else:
        limits = [{"global": True, "limit": limit}]
    return {
        "name": name,
        "pretty_name": pretty,
        "unit": "resource",
        "description": f"Maximum number of {pretty} (sandbox limit, per project)",
        "locality_type": locality,
        "limits": limits,
    }


def _quota(request: Request) -> list[JSON]:
    state = state_of(request)
    return [
        quotum_json(name, locality, pretty, state.quotas[kind])
        for kind, (name, locality, pretty) in QUOTA_NAMES.items()
        if kind in state.quotas
    ]


async def list_quota(request: Request) -> Response:
    """GET /iam/v1alpha1/quota."""
    quota = _quota(request)
    wanted = request.query_params.getlist("quotum_names")
    if wanted:
        quota = [q for q in quota if q["name"] in wanted]
    return json_response(regional_page(request, "quota", quota))


async def get_quotum(request: Request) -> Response:
    """GET /iam/v1alpha1/quota/{quotum_name}."""
    name = request.path_params["quotum_name"]
    for quotum in _quota(request):
        if quotum["name"] == name:
            return json_response(quotum)
    raise errors.not_found("quotum", name)


routes = [
    Route("/iam/v1alpha1/quota", list_quota, methods=["GET"]),
    Route("/iam/v1alpha1/quota/{quotum_name}", get_quotum, methods=["GET"]),
]
