"""Serverless Containers v1beta1 and Functions v1beta1 (regional): namespaces, containers or
functions, and their cron triggers. The two APIs share their shapes, so one set of handlers
serves both, parametrised by a :class:`Product`.

A namespace is ``pending`` (10 s at speed 1) then ``ready``. A container or function is
``created`` until deployed; a deploy goes ``pending`` (30 s; a function builds 40 s) then
``ready``, or ``error`` with an ``error_message`` when its tags hold ``sandbox:fail=error``
or a function has no code. Deleting goes ``deleting`` (5 s) then 404, crons included; a
namespace takes its containers or functions with it. A function's code goes to the URL
``upload-url`` returns (``PUT /_sandbox/function-code/{id}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    query_int,
    query_tags,
    read_json,
    region_of,
    regional_page,
    state_of,
)
from sandbox.lifecycle import GONE, fail_status
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

NAMESPACE_PENDING_S = 10.0
DELETING_S = 5.0
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,32}[a-z0-9])?$")
CRON_RE = re.compile(r"^(\S+\s+){4}\S+$")
RUNTIMES = catalog.FUNCTION_RUNTIMES


@dataclass(frozen=True, slots=True)
class Product:
    """What differs between Serverless Containers and Functions."""

    api: str  # "containers" or "functions"
    app: str  # "container" or "function"
    deploy_s: float

    @property
    def prefix(self) -> str:
        """The regional path prefix."""
        return f"/{self.api}/v1beta1/regions/{{region}}"

    def kind(self, what: str) -> str:
        """The record kind of ``namespace``, the app or ``cron``."""
        return self.app if what == "app" else f"{self.app}_{what}"


CONTAINERS = Product("containers", "container", 30.0)
FUNCTIONS = Product("functions", "function", 40.0)


def namespace_json(state: SandboxState, p: Product, ns: Record) -> JSON:
    """A serverless ``Namespace``."""
    return {
        "id": ns.id,
        "name": ns.name,
        "environment_variables": dict(ns.data["environment_variables"]),
        "organization_id": ns.project_id,
        "project_id": ns.project_id,
        "status": state.status(ns),
        "registry_namespace_id": ns.data["registry_namespace_id"],
        "error_message": None,
        "registry_endpoint": f"rg.{ns.location}.scw.cloud/{p.app}-ns-{ns.id[:8]}",
        "secret_environment_variables": [],
        "region": ns.location,
        "tags": list(ns.tags),
        "description": ns.data["description"],
        "created_at": iso(ns.created_at),
        "updated_at": iso(ns.updated_at),
        "vpc_integration_activated": False,
    }


def app_json(state: SandboxState, p: Product, app: Record) -> JSON:
    """A ``Container`` or a ``Function``."""
    d = app.data
    status = state.status(app)
    common = {
        "id": app.id,
        "name": app.name,
        "namespace_id": app.parent_id,
        "status": status,
        "environment_variables": dict(d["environment_variables"]),
        "min_scale": d["min_scale"],
        "max_scale": d["max_scale"],
        "memory_limit": d["memory_limit"],
        "cpu_limit": d["memory_limit"] * 1120 // 2048,
        "privacy": d["privacy"],
        "domain_name": f"{app.name}-{app.id[:8]}.{p.api}.fnc.{app.location}.scw.cloud",
        "secret_environment_variables": [],
        "timeout": "300s",
        "error_message": d["error_message"] if status == "error" else None,
        "description": d["description"],
        "region": app.location,
        "http_option": "enabled",
        "sandbox": "v2",
        "tags": list(app.tags),
        "created_at": iso(app.created_at),
        "updated_at": iso(app.updated_at),
        "ready_at": iso(d["ready_at"]) if status == "ready" else None,
        "private_network_id": None,
    }
    if p is FUNCTIONS:
        return {
            **common,
            "runtime": d["runtime"],
            "handler": d["handler"],
            "build_message": "build succeeded" if status == "ready" else None,
            "runtime_message": "",
        }
    return {
        **common,
        "registry_image": d["registry_image"],
        "max_concurrency": 50,
        "protocol": "http1",
        "port": d["port"],
        "local_storage_limit": 1000,
        "scaling_option": {
            "concurrent_requests_threshold": 50,
            "cpu_usage_threshold": None,
            "memory_usage_threshold": None,
        },
        "command": [],
        "args": [],
        "health_check": {"failure_threshold": 30, "interval": "10s", "http": None, "tcp": {}},
    }


def cron_json(state: SandboxState, p: Product, cron: Record) -> JSON:
    """A ``Cron`` trigger."""
    return {
        "id": cron.id,
        f"{p.app}_id": cron.parent_id,
        "schedule": cron.data["schedule"],
        "args": cron.data["args"],
        "status": state.status(cron),
        "name": cron.name,
    }


def _get(request: Request, p: Product, what: str, param: str) -> Record:
    region = region_of(request)
    record_id = path_id(request, param)
    record = state_of(request).get(p.kind(what), record_id)
    if record is None or record.location != region:
        raise errors.not_found(p.kind(what) if what != "app" else p.app, record_id)
    return record


def _deleting(state: SandboxState, record: Record) -> None:
    with state.lock:
        current = state.status(record)
        if current == "deleting":
            raise errors.transient_state(record.kind, record.id, current)
        state.set_timeline(record, [("deleting", DELETING_S), (GONE, None)])


def _name(fields: Fields, state: SandboxState) -> str:
    name = fields.str("name") or f"app-{state.new_id()[:8]}"
    if not NAME_RE.match(name):
        fields.fail("name", "constraint", "must be 1-34 lowercase letters, digits or '-'")
    return name


def handlers(p: Product) -> list[Route]:
    """The routes of one serverless product."""

    async def create_namespace(request: Request) -> Response:
        state, region = state_of(request), region_of(request)
        fields = Fields(await read_json(request))
        project = project_from(fields, "project_id")
        name = _name(fields, state)
        env = fields.obj("environment_variables") or {}
        data = {
            "environment_variables": env,
            "description": fields.str("description"),
            "registry_namespace_id": state.new_id(),
        }
        tags = fields.str_list("tags") or []
        fields.check()
        if any(n.name == name and n.location == region for n in state.all(p.kind("namespace"))):
            raise errors.already_exists("namespace", name, f"namespace {name} already exists")
        ns = state.add(
            Record(
                kind=p.kind("namespace"),
                id=state.new_id(),
                location=region,
                project_id=project,
                name=name,
                tags=tags,
                created_at=state.now(),
                timeline=state.plan([("pending", NAMESPACE_PENDING_S), ("ready", None)]),
                data=data,
            )
        )
        return json_response(namespace_json(state, p, ns))

    async def list_namespaces(request: Request) -> Response:
        state, region = state_of(request), region_of(request)
        tags = query_tags(request, comma_separated=False)
        items = [
            namespace_json(state, p, ns)
            for ns in order(state.all(p.kind("namespace")), request.query_params.get("order_by"))
            if ns.location == region
            and matches_common(
                request, ns, project_param="project_id", org_param="organization_id", tags=tags
            )
        ]
        return json_response(regional_page(request, "namespaces", items))

    async def get_namespace(request: Request) -> Response:
        ns = _get(request, p, "namespace", "namespace_id")
        return json_response(namespace_json(state_of(request), p, ns))

    async def delete_namespace(request: Request) -> Response:
        state = state_of(request)
        ns = _get(request, p, "namespace", "namespace_id")
        _deleting(state, ns)
        for app in state.all(p.app):
            if app.parent_id == ns.id and state.status(app) != "deleting":
                _deleting(state, app)
        return json_response(namespace_json(state, p, ns))

    async def create_app(request: Request) -> Response:
        state, region = state_of(request), region_of(request)
        fields = Fields(await read_json(request))
        ns_id = fields.uuid("namespace_id", required=True)
        name = _name(fields, state)
        data: JSON = {
            "environment_variables": fields.obj("environment_variables") or {},
            "min_scale": fields.int("min_scale", 0, minimum=0, maximum=50),
            "max_scale": fields.int("max_scale", 5, minimum=1, maximum=50),
            "memory_limit": fields.int("memory_limit", 2048, minimum=128, maximum=32768),
            "privacy": fields.choice("privacy", ("public", "private"), "public"),
            "description": fields.str("description"),
            "error_message": None,
            "ready_at": None,
            "code_size": 0,
        }
        if p is FUNCTIONS:
            names = [r[0] for r in RUNTIMES]
            data["runtime"] = fields.choice("runtime", names, None)
            if data["runtime"] is None and "runtime" not in fields.data:
                fields.fail("runtime", "required", "required key not provided")
            data["handler"] = fields.str("handler", default="handler.handle")
        else:
            data["registry_image"] = fields.str("registry_image")
            data["port"] = fields.int("port", 8080, minimum=1, maximum=65535)
        tags = fields.str_list("tags") or []
        fields.check()
        ns = state.get(p.kind("namespace"), str(ns_id))
        if ns is None or ns.location != region:
            raise errors.not_found("namespace", str(ns_id))
        if state.status(ns) != "ready":
            raise errors.transient_state("namespace", ns.id, state.status(ns))
        if p is CONTAINERS and not data["registry_image"]:
            data["registry_image"] = f"{namespace_json(state, p, ns)['registry_endpoint']}/{name}"
        if any(a.name == name and a.parent_id == ns.id for a in state.all(p.app)):
            raise errors.already_exists(p.app, name, f"{p.app} {name} already exists")
        app = state.add(
            Record(
                kind=p.app,
                id=state.new_id(),
                location=region,
                project_id=ns.project_id,
                name=name,
                tags=tags,
                created_at=state.now(),
                timeline=[(state.now(), "created")],
                data=data,
                parent_id=ns.id,
            )
        )
        return json_response(app_json(state, p, app))

    async def list_apps(request: Request) -> Response:
        state, region = state_of(request), region_of(request)
        params = request.query_params
        ns_id, name = params.get("namespace_id"), (params.get("name") or "").lower()
        items = [
            app_json(state, p, a)
            for a in order(state.all(p.app), params.get("order_by"))
            if a.location == region
            and (not ns_id or a.parent_id == ns_id)
            and name in a.name.lower()
        ]
        return json_response(regional_page(request, f"{p.app}s", items))

    async def get_app(request: Request) -> Response:
        return json_response(app_json(state_of(request), p, _get(request, p, "app", "app_id")))

    async def update_app(request: Request) -> Response:
        state = state_of(request)
        app = _get(request, p, "app", "app_id")
        fields = Fields(await read_json(request))
        changes = {
            "min_scale": fields.int("min_scale", minimum=0, maximum=50),
            "max_scale": fields.int("max_scale", minimum=1, maximum=50),
            "memory_limit": fields.int("memory_limit", minimum=128, maximum=32768),
            "environment_variables": fields.obj("environment_variables"),
        }
        if p is CONTAINERS:
            changes["registry_image"] = fields.str("registry_image")
            changes["port"] = fields.int("port", minimum=1, maximum=65535)
        redeploy = fields.bool("redeploy", False)
        fields.check()
        with state.lock:
            app.data.update({k: v for k, v in changes.items() if v is not None})
            app.updated_at = state.now()
            if redeploy:
                _deploy(state, p, app)
        return json_response(app_json(state, p, app))

    async def deploy_app(request: Request) -> Response:
        state = state_of(request)
        app = _get(request, p, "app", "app_id")
        with state.lock:
            current = state.status(app)
            if current in ("pending", "deleting"):
                raise errors.transient_state(p.app, app.id, current)
            _deploy(state, p, app)
        return json_response(app_json(state, p, app))

    async def delete_app(request: Request) -> Response:
        state = state_of(request)
        app = _get(request, p, "app", "app_id")
        _deleting(state, app)
        return json_response(app_json(state, p, app))

    async def create_cron(request: Request) -> Response:
        state, region = state_of(request), region_of(request)
        fields = Fields(await read_json(request))
        app_id = fields.uuid(f"{p.app}_id", required=True)
        schedule = fields.str("schedule", required=True)
        if schedule and not CRON_RE.match(schedule.strip()):
            fields.fail("schedule", "constraint", "must be a 5-field cron schedule")
        args = fields.obj("args") or {}
        name = fields.str("name") or f"cron-{state.new_id()[:8]}"
        fields.check()
        app = state.get(p.app, str(app_id))
        if app is None or app.location != region:
            raise errors.not_found(p.app, str(app_id))
        cron = state.add(
            Record(
                kind=p.kind("cron"),
                id=state.new_id(),
                location=region,
                project_id=app.project_id,
                name=name,
                tags=[],
                created_at=state.now(),
                timeline=state.plan([("pending", 2.0), ("ready", None)]),
                data={"schedule": schedule.strip(), "args": args},
                parent_id=app.id,
            )
        )
        return json_response(cron_json(state, p, cron))

    async def list_crons(request: Request) -> Response:
        state, region = state_of(request), region_of(request)
        app_id = request.query_params.get(f"{p.app}_id")
        items = [
            cron_json(state, p, c)
            for c in state.all(p.kind("cron"))
            if c.location == region and (not app_id or c.parent_id == app_id)
        ]
        return json_response(regional_page(request, "crons", items))

    async def get_cron(request: Request) -> Response:
        return json_response(cron_json(state_of(request), p, _get(request, p, "cron", "cron_id")))

    async def delete_cron(request: Request) -> Response:
        state = state_of(request)
        cron = _get(request, p, "cron", "cron_id")
        state.remove(cron.kind, cron.id)
        return json_response(cron_json(state, p, cron) | {"status": "deleting"})

    prefix, apps = p.prefix, f"{p.prefix}/{p.app}s"
    routes = [
        Route(f"{prefix}/namespaces", create_namespace, methods=["POST"]),
        Route(f"{prefix}/namespaces", list_namespaces, methods=["GET"]),
        Route(f"{prefix}/namespaces/{{namespace_id}}", get_namespace, methods=["GET"]),
        Route(f"{prefix}/namespaces/{{namespace_id}}", delete_namespace, methods=["DELETE"]),
        Route(apps, create_app, methods=["POST"]),
        Route(apps, list_apps, methods=["GET"]),
        Route(f"{apps}/{{app_id}}", get_app, methods=["GET"]),
        Route(f"{apps}/{{app_id}}", update_app, methods=["PATCH"]),
        Route(f"{apps}/{{app_id}}", delete_app, methods=["DELETE"]),
        Route(f"{apps}/{{app_id}}/deploy", deploy_app, methods=["POST"]),
        Route(f"{prefix}/crons", create_cron, methods=["POST"]),
        Route(f"{prefix}/crons", list_crons, methods=["GET"]),
        Route(f"{prefix}/crons/{{cron_id}}", get_cron, methods=["GET"]),
        Route(f"{prefix}/crons/{{cron_id}}", delete_cron, methods=["DELETE"]),
    ]
    if p is FUNCTIONS:
        routes += [
            Route(f"{prefix}/runtimes", list_runtimes, methods=["GET"]),
            Route(f"{apps}/{{app_id}}/upload-url", upload_url, methods=["GET"]),
        ]
    return routes


def _deploy(state: SandboxState, p: Product, app: Record) -> None:
    failed = fail_status(app.tags)
    if p is FUNCTIONS and not app.data["code_size"]:
        failed, app.data["error_message"] = "error", "no code was uploaded to this function"
    elif failed:
        app.data["error_message"] = f"sandbox: the deploy ended in {failed} as the tag asked"
    app.data["ready_at"] = state.now() + p.deploy_s / state.speed
    state.set_timeline(app, [("pending", p.deploy_s), (failed or "ready", None)])


async def list_runtimes(request: Request) -> Response:
    """GET /functions/v1beta1/regions/{region}/runtimes."""
    region_of(request)
    runtimes = [
        {
            "name": name,
            "language": name.rstrip("0123456789"),
            "version": version,
            "default_handler": handler,
            "code_sample": "",
            "status": "available",
            "status_message": "",
            "extension": extension,
            "implementation": "",
            "logo_url": "",
        }
        for name, version, handler, extension in RUNTIMES
    ]
    return json_response({"runtimes": runtimes, "total_count": len(runtimes)})


async def upload_url(request: Request) -> Response:
    """GET /functions/{id}/upload-url?content_length=: where to PUT the zip."""
    app = _get(request, FUNCTIONS, "app", "app_id")
    query_int(request, "content_length", 0, 1, 100 * 1024 * 1024)
    base = str(request.base_url).rstrip("/")
    return json_response(
        {
            "url": f"{base}/_sandbox/function-code/{app.id}",
            "headers": {"content-type": ["application/octet-stream"]},
        }
    )


async def put_function_code(request: Request) -> Response:
    """PUT /_sandbox/function-code/{function_id}: the zip a deploy will build."""
    state = state_of(request)
    function_id = request.path_params["function_id"]
    app = state.get(FUNCTIONS.app, function_id)
    if app is None:
        raise errors.not_found("function", function_id)
    app.data["code_size"] = len(await request.body())
    return json_response(None, 200)


def _on_app_gone(state: SandboxState, app: Record) -> None:
    for kind in ("container_cron", "function_cron"):
        for cron in state.all(kind):
            if cron.parent_id == app.id:
                state.remove(kind, cron.id)


def install(state: SandboxState) -> None:
    """Crons go with their container or function."""
    state.on_gone["container"] = _on_app_gone
    state.on_gone["function"] = _on_app_gone


routes = [*handlers(CONTAINERS), *handlers(FUNCTIONS)]
