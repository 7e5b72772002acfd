"""Managed Database (RDB) v1 (regional): engines, node types and instances.

An instance goes ``provisioning`` (45 s at speed 1) -> ``initializing`` (152 s) -> ``ready``;
``endpoint`` is null and ``endpoints`` empty until then, and ``settings`` fill in after
provisioning. An update of a ready instance shows ``configuring`` (15 s). Create answers
200; delete answers 200 with the instance ``deleting``, then 404 (15 s).
"""

from __future__ import annotations

import re

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
    query_tags,
    read_json,
    region_of,
    regional_page,
    stable_id,
    state_of,
)
from sandbox.lifecycle import DURATIONS_S, GONE, with_failure
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/rdb/v1/regions/{region}"
VOLUME_TYPES = ("lssd", "bssd", "sbs_5k", "sbs_15k")
HIDDEN_ENDPOINT = frozenset({"provisioning", "initializing", "error"})
DEFAULT_SETTINGS = (
    ("effective_cache_size", "1300"),
    ("maintenance_work_mem", "150"),
    ("max_connections", "100"),
    ("work_mem", "4"),
)


def password_problem(password: str) -> str | None:
    """Why the API refuses a password (length and character classes), or None."""
    if not 8 <= len(password) <= 128:
        return "password must be between 8 and 128 characters"
    classes = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")
    if not all(re.search(c, password) for c in classes):
        return (
            "password must contain at least one lowercase, one uppercase, one digit and "
            "one special character"
        )
    return None


def instance_json(state: SandboxState, db: Record) -> JSON:
    """An RDB ``Instance``."""
    status = state.status(db)
    d = db.data
    endpoint = None if status in HIDDEN_ENDPOINT else d["endpoint"]
    settings = (
        [] if status == "provisioning" else [{"name": n, "value": v} for n, v in DEFAULT_SETTINGS]
    )
    return {
        "backup_same_region": d["backup_same_region"],
        "backup_schedule": {
            "disabled": d["disable_backup"],
            "frequency": 24,
            "next_run_at": None,
            "retention": 7,
        },
        "created_at": iso(db.created_at),
        "encryption": {"enabled": d["encryption"]},
        "endpoint": endpoint,
        "endpoints": [endpoint] if endpoint else [],
        "engine": d["engine"],
        "id": db.id,
        "init_settings": d["init_settings"],
        "is_ha_cluster": d["is_ha_cluster"],
        "high_availability_mode": "multi_az" if d["is_ha_cluster"] else "standalone",
        "logs_policy": {"max_age_retention": 30, "total_disk_retention": None},
        "maintenances": [],
        "name": db.name,
        "node_type": d["node_type"],
        "organization_id": db.project_id,
        "project_id": db.project_id,
        "read_replicas": list(d.get("read_replicas", [])),
        "region": db.location,
        "settings": settings,
        "status": status,
        "tags": list(db.tags),
        "upgradable_version": [],
        "volume": {
            "class": "sbs" if d["volume_type"].startswith("sbs") else d["volume_type"],
            "size": d["volume_size"],
            "type": d["volume_type"],
        },
    }


def _db(request: Request) -> Record:
    region = region_of(request)
    instance_id = path_id(request, "instance_id")
    db = state_of(request).get("rdb_instance", instance_id)
    if db is None or db.location != region:
        raise errors.not_found("instance", instance_id)
    return db


async def list_engines(request: Request) -> Response:
    """GET /database-engines."""
    region = region_of(request)
    name = request.query_params.get("name")
    engines = [
        catalog.rdb_engine_json(e, region)
        for e in catalog.RDB_ENGINES
        if not name or e.lower() == name.lower()
    ]
    return json_response(regional_page(request, "engines", engines))


async def list_node_types(request: Request) -> Response:
    """GET /node-types."""
    region = region_of(request)
    types = [catalog.rdb_node_type_json(*t, region) for t in catalog.RDB_NODE_TYPES]
    return json_response(regional_page(request, "node_types", types))


async def create_instance(request: Request) -> Response:
    """POST /instances (200, ``provisioning``)."""
    state, region = state_of(request), region_of(request)
    fields = Fields(await read_json(request))
    project = project_from(fields, "project_id", "organization_id")
    name = fields.str("name") or f"rdb-{state.new_id()[:8]}"
    engine = fields.str("engine", required=True)
    if engine and engine not in catalog.RDB_ENGINE_NAMES:
        allowed = sorted(catalog.RDB_ENGINE_NAMES)
        fields.fail("engine", "constraint", f"engine must be one of {allowed}")
    node_type = (fields.str("node_type", required=True) or "").lower()
    if node_type and node_type not in catalog.RDB_NODE_TYPE_NAMES:
        fields.fail("node_type", "constraint", f"unknown node type {node_type!r}")
    fields.str("user_name", required=True)
    password = fields.str("password", required=True)
    if password and (problem := password_problem(password)):
        fields.fail("password", "constraint", problem)
    volume_type = fields.choice("volume_type", VOLUME_TYPES, "lssd")
    volume_size = fields.int("volume_size", 0, minimum=0) or 5 * catalog.GB
    tags = fields.str_list("tags") or []
    init_settings = [s for s in fields.list("init_settings") or [] if isinstance(s, dict)]
    encryption = (fields.obj("encryption") or {}).get("enabled") is True
    data = {
        "engine": engine,
        "node_type": node_type,
        "volume_type": volume_type,
        "volume_size": volume_size,
        "is_ha_cluster": fields.bool("is_ha_cluster", False),
        "disable_backup": fields.bool("disable_backup", False),
        "backup_same_region": fields.bool("backup_same_region", False),
        "init_settings": init_settings,
        "encryption": encryption,
        "user_name": fields.str("user_name"),
    }
    fields.check()
    state.check_quota("rdb_instance", project, "rdb_instances")
    n = state.created("rdb_instance") + 1
    instance_id = state.new_id()
    data["endpoint"] = {
        "id": stable_id("rdb-endpoint", instance_id),
        "ip": f"51.159.{n % 256}.140",
        "port": 5432 + n,
        "name": None,
        "load_balancer": {},
    }
    d = DURATIONS_S
    phases = [
        ("provisioning", d["rdb.provisioning"]),
        ("initializing", d["rdb.initializing"]),
        ("ready", None),
    ]
    now = state.now()
    db = state.add(
        Record(
            kind="rdb_instance",
            id=instance_id,
            location=region,
            project_id=project,
            name=name,
            tags=tags,
            created_at=now,
            timeline=state.plan(with_failure(phases, tags)),
            data=data,
        )
    )
    return json_response(instance_json(state, db))


async def list_instances(request: Request) -> Response:
    """GET /instances (filters: name, tags, project, organization)."""
    state, region = state_of(request), region_of(request)
    tags = query_tags(request, comma_separated=False)
    items = [
        instance_json(state, db)
        for db in order(state.all("rdb_instance"), request.query_params.get("order_by"))
        if db.location == region
        and matches_common(
            request, db, project_param="project_id", org_param="organization_id", tags=tags
        )
    ]
    return json_response(regional_page(request, "instances", items))


async def get_instance(request: Request) -> Response:
    """GET /instances/{instance_id}."""
    return json_response(instance_json(state_of(request), _db(request)))


async def update_instance(request: Request) -> Response:
    """PATCH /instances/{instance_id}: name, tags, backups (``configuring`` for a while)."""
    state = state_of(request)
    db = _db(request)
    fields = Fields(await read_json(request))
    name = fields.str("name")
    tags = fields.str_list("tags")
    disabled = fields.bool("is_backup_schedule_disabled")
    same_region = fields.bool("backup_same_region")
    fields.check()
    with state.lock:
        current = state.status(db)
        if current != "ready":
            raise errors.transient_state("instance", db.id, current)
        if name:
            db.name = name
        if tags is not None:
            db.tags = tags
        if disabled is not None:
            db.data["disable_backup"] = disabled
        if same_region is not None:
            db.data["backup_same_region"] = same_region
        state.set_timeline(db, [("configuring", DURATIONS_S["rdb.configuring"]), ("ready", None)])
    return json_response(instance_json(state, db))


async def delete_instance(request: Request) -> Response:
    """DELETE /instances/{instance_id}: 200 ``deleting``, then 404."""
    state = state_of(request)
    db = _db(request)
    with state.lock:
        if state.status(db) == "deleting":
            raise errors.transient_state("instance", db.id, "deleting")
        state.set_timeline(db, [("deleting", DURATIONS_S["rdb.deleting"]), (GONE, None)])
    return json_response(instance_json(state, db))


routes = [
    Route(f"{PREFIX}/database-engines", list_engines, methods=["GET"]),
    Route(f"{PREFIX}/node-types", list_node_types, methods=["GET"]),
    Route(f"{PREFIX}/instances", create_instance, methods=["POST"]),
    Route(f"{PREFIX}/instances", list_instances, methods=["GET"]),
    Route(f"{PREFIX}/instances/{{instance_id}}", get_instance, methods=["GET"]),
    Route(f"{PREFIX}/instances/{{instance_id}}", update_instance, methods=["PATCH"]),
    Route(f"{PREFIX}/instances/{{instance_id}}", delete_instance, methods=["DELETE"]),
]
