"""Load Balancer v1 (zoned): backends (server IPs, health check) and frontends (port ->
backend). Both need their load balancer ``ready`` (else 409 ``transient_state``) and exist
at once; a frontend's port is unique on its load balancer.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api.common import (
    Fields,
    iso,
    json_response,
    order,
    path_id,
    read_json,
    regional_page,
    state_of,
    zone_of,
)
from sandbox.api.lb import PREFIX, children, lb_json, lb_record, ready_lb
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PROTOCOLS = ("tcp", "http")
ALGORITHMS = ("roundrobin", "leastconn", "first")
STICKY = ("none", "cookie", "table")
PROXY = ("proxy_protocol_none", "proxy_protocol_v1", "proxy_protocol_v2")


def _health_check(fields: Fields, raw: JSON | None, forward_port: int | None) -> JSON:
    check = Fields(raw or {}, prefix="health_check.")
    port = check.int("port", forward_port, minimum=1, maximum=65535)
    result = {
        "port": port,
        "check_max_retries": check.int("check_max_retries", 2, minimum=0),
        "check_send_proxy": check.bool("check_send_proxy", False),
        "check_delay": check.str("check_delay", default="3s"),
        "check_timeout": check.str("check_timeout", default="1s"),
        "transient_check_delay": check.str("transient_check_delay", default="0.5s"),
        "tcp_config": None,
        "http_config": None,
    }
    http = check.obj("http_config")
    if http is not None:
        result["http_config"] = {
            "uri": http.get("uri") or "/",
            "method": http.get("method") or "GET",
            "code": http.get("code"),
            "host_header": http.get("host_header") or "",
        }
    else:
        result["tcp_config"] = {}
    fields.details += check.details
    return result


def _server_ips(fields: Fields, name: str) -> list[str]:
    values = fields.str_list(name) or []
    for value in values:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            fields.fail(name, "format", f"{value!r} is not an IP address")
    return values


def backend_json(state: SandboxState, backend: Record, lb: Record) -> JSON:
    """An LB ``Backend`` with its load balancer."""
    d = backend.data
    return {
        "id": backend.id,
        "name": backend.name,
        "forward_protocol": d["forward_protocol"],
        "forward_port": d["forward_port"],
        "forward_port_algorithm": d["forward_port_algorithm"],
        "sticky_sessions": d["sticky_sessions"],
        "sticky_sessions_cookie_name": d["sticky_sessions_cookie_name"],
        "health_check": d["health_check"],
        "pool": list(d["pool"]),
        "lb": lb_json(state, lb),
        "send_proxy_v2": False,
        "timeout_server": "5m",
        "timeout_connect": "5s",
        "timeout_tunnel": "15m",
        "on_marked_down_action": "on_marked_down_action_none",
        "proxy_protocol": d["proxy_protocol"],
        "created_at": iso(backend.created_at),
        "updated_at": iso(backend.updated_at),
        "failover_host": None,
        "ssl_bridging": False,
        "ignore_ssl_server_verify": False,
        "redispatch_attempt_count": 0,
        "max_retries": 3,
        "max_connections": None,
        "timeout_queue": None,
    }


def _backend(request: Request) -> tuple[Record, Record]:
    state, zone = state_of(request), zone_of(request)
    backend_id = path_id(request, "backend_id")
    backend = state.get("lb_backend", backend_id)
    if backend is None or backend.location != zone:
        raise errors.not_found("backend", backend_id)
    return backend, lb_record(request, backend.parent_id)


async def create_backend(request: Request) -> Response:
    """POST /lbs/{lb_id}/backends."""
    state = state_of(request)
    lb = ready_lb(state, lb_record(request))
    fields = Fields(await read_json(request))
    name = fields.str("name") or f"backend-{state.new_id()[:8]}"
    port = fields.int("forward_port", required=True, minimum=1, maximum=65535)
    data = {
        "forward_protocol": fields.choice("forward_protocol", PROTOCOLS, "tcp"),
        "forward_port": port,
        "forward_port_algorithm": fields.choice("forward_port_algorithm", ALGORITHMS, "roundrobin"),
        "sticky_sessions": fields.choice("sticky_sessions", STICKY, "none"),
        "sticky_sessions_cookie_name": fields.str("sticky_sessions_cookie_name", default=""),
        "proxy_protocol": fields.choice("proxy_protocol", PROXY, "proxy_protocol_none"),
        "pool": _server_ips(fields, "server_ip"),
    }
    raw_check = fields.obj("health_check")
    if raw_check is None:
        fields.fail("health_check", "required", "required key not provided")
    data["health_check"] = _health_check(fields, raw_check, port)
    fields.check()
    backend = state.add(
        Record(
            kind="lb_backend",
            id=state.new_id(),
            location=lb.location,
            project_id=lb.project_id,
            name=name,
            tags=[],
            created_at=state.now(),
            timeline=[(state.now(), "ready")],
            data=data,
            parent_id=lb.id,
        )
    )
    return json_response(backend_json(state, backend, lb))


async def list_backends(request: Request) -> Response:
    """GET /lbs/{lb_id}/backends."""
    state = state_of(request)
    lb = lb_record(request)
    name = (request.query_params.get("name") or "").lower()
    items = [
        backend_json(state, b, lb)
        for b in order(children(state, "lb_backend", lb), request.query_params.get("order_by"))
        if name in b.name.lower()
    ]
    return json_response(regional_page(request, "backends", items))


async def get_backend(request: Request) -> Response:
    """GET /backends/{backend_id}."""
    backend, lb = _backend(request)
    return json_response(backend_json(state_of(request), backend, lb))


async def set_backend_servers(request: Request) -> Response:
    """PUT /backends/{backend_id}/servers: replace the server IPs."""
    state = state_of(request)
    backend, lb = _backend(request)
    ready_lb(state, lb)
    fields = Fields(await read_json(request))
    ips = _server_ips(fields, "server_ip")
    if fields.data.get("server_ip") is None:
        fields.fail("server_ip", "required", "required key not provided")
    fields.check()
    backend.data["pool"] = ips
    backend.updated_at = state.now()
    return json_response(backend_json(state, backend, lb))


async def delete_backend(request: Request) -> Response:
    """DELETE /backends/{backend_id}: 204 (its frontends go too)."""
    state = state_of(request)
    backend, lb = _backend(request)
    ready_lb(state, lb)
    for frontend in children(state, "lb_frontend", lb):
        if frontend.data["backend_id"] == backend.id:
            state.remove("lb_frontend", frontend.id)
    state.remove("lb_backend", backend.id)
    return json_response(None, 204)


def frontend_json(state: SandboxState, frontend: Record, lb: Record) -> JSON:
    """An LB ``Frontend`` with its backend and load balancer."""
    backend = state.get("lb_backend", frontend.data["backend_id"])
    return {
        "id": frontend.id,
        "name": frontend.name,
        "inbound_port": frontend.data["inbound_port"],
        "backend": backend_json(state, backend, lb) if backend else None,
        "lb": lb_json(state, lb),
        "timeout_client": "5m",
        "certificate": None,
        "certificate_ids": [],
        "created_at": iso(frontend.created_at),
        "updated_at": iso(frontend.updated_at),
        "enable_http3": False,
        "connection_rate_limit": None,
        "enable_access_logs": False,
    }


async def create_frontend(request: Request) -> Response:
    """POST /lbs/{lb_id}/frontends: a port unique on the load balancer, a backend of it."""
    state = state_of(request)
    lb = ready_lb(state, lb_record(request))
    fields = Fields(await read_json(request))
    name = fields.str("name") or f"frontend-{state.new_id()[:8]}"
    port = fields.int("inbound_port", required=True, minimum=1, maximum=65535)
    backend_id = fields.uuid("backend_id", required=True)
    fields.check()
    backend = state.get("lb_backend", str(backend_id))
    if backend is None or backend.parent_id != lb.id:
        raise errors.not_found("backend", str(backend_id))
    with state.lock:
        for other in children(state, "lb_frontend", lb):
            if other.data["inbound_port"] == port:
                raise errors.invalid_argument(
                    "inbound_port", "constraint", f"port {port} is used by frontend {other.id}"
                )
        frontend = state.add(
            Record(
                kind="lb_frontend",
                id=state.new_id(),
                location=lb.location,
                project_id=lb.project_id,
                name=name,
                tags=[],
                created_at=state.now(),
                timeline=[(state.now(), "ready")],
                data={"inbound_port": port, "backend_id": backend.id},
                parent_id=lb.id,
            )
        )
    return json_response(frontend_json(state, frontend, lb))


async def list_frontends(request: Request) -> Response:
    """GET /lbs/{lb_id}/frontends."""
    state = state_of(request)
    lb = lb_record(request)
    items = [frontend_json(state, f, lb) for f in children(state, "lb_frontend", lb)]
    return json_response(regional_page(request, "frontends", items))


async def get_frontend(request: Request) -> Response:
    """GET /frontends/{frontend_id}."""
    state, zone = state_of(request), zone_of(request)
    frontend_id = path_id(request, "frontend_id")
    frontend = state.get("lb_frontend", frontend_id)
    if frontend is None or frontend.location != zone:
        raise errors.not_found("frontend", frontend_id)
    return json_response(frontend_json(state, frontend, lb_record(request, frontend.parent_id)))


async def delete_frontend(request: Request) -> Response:
    """DELETE /frontends/{frontend_id}: 204."""
    state, zone = state_of(request), zone_of(request)
    frontend_id = path_id(request, "frontend_id")
    frontend = state.get("lb_frontend", frontend_id)
    if frontend is None or frontend.location != zone:
        raise errors.not_found("frontend", frontend_id)
    state.remove("lb_frontend", frontend.id)
    return json_response(None, 204)


routes = [
    Route(f"{PREFIX}/lbs/{{lb_id}}/backends", create_backend, methods=["POST"]),
    Route(f"{PREFIX}/lbs/{{lb_id}}/backends", list_backends, methods=["GET"]),
    Route(f"{PREFIX}/backends/{{backend_id}}", get_backend, methods=["GET"]),
    Route(f"{PREFIX}/backends/{{backend_id}}", delete_backend, methods=["DELETE"]),
    Route(f"{PREFIX}/backends/{{backend_id}}/servers", set_backend_servers, methods=["PUT"]),
    Route(f"{PREFIX}/lbs/{{lb_id}}/frontends", create_frontend, methods=["POST"]),
    Route(f"{PREFIX}/lbs/{{lb_id}}/frontends", list_frontends, methods=["GET"]),
    Route(f"{PREFIX}/frontends/{{frontend_id}}", get_frontend, methods=["GET"]),
    Route(f"{PREFIX}/frontends/{{frontend_id}}", delete_frontend, methods=["DELETE"]),
]
