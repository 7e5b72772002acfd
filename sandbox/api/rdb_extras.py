"""Managed Database v1 (regional): backups, users and logical databases of an instance.

A new instance has its first user (admin) and a database ``rdb``. A backup goes
``creating`` (20 s at speed 1) -> ``ready``; users and databases exist at once. Each needs
the instance ``ready`` (else 409 ``transient_state``); a taken name is 409 ``already_exists``.
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
    order,
    path_id,
    read_json,
    region_of,
    regional_page,
    state_of,
)
from sandbox.api.rdb import PREFIX, password_problem
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

BACKUP_CREATING_S = 20.0
"""How long a backup is ``creating`` at speed 1."""
NAME_LIMIT = 63


def _ready_instance(request: Request, instance_id: str) -> Record:
    state, region = state_of(request), region_of(request)
    db = state.get("rdb_instance", instance_id)
    if db is None or db.location != region:
        raise errors.not_found("instance", instance_id)
    current = state.status(db)
    if current != "ready" and request.method != "GET":
        raise errors.transient_state("instance", db.id, current)
    return db


def users_of(db: Record) -> list[JSON]:
    """An instance's users (its first user is created with it)."""
    return db.data.setdefault(
        "users", [{"name": db.data.get("user_name", "admin"), "is_admin": True}]
    )


def databases_of(db: Record) -> list[JSON]:
    """An instance's logical databases (``rdb`` exists from the start)."""
    default = [{"name": "rdb", "owner": "", "managed": True, "size": 0}]
    return db.data.setdefault("databases", default)


def backup_json(state: SandboxState, backup: Record) -> JSON:
    """An RDB ``DatabaseBackup``."""
    d = backup.data
    status = state.status(backup)
    return {
        "id": backup.id,
        "instance_id": d["instance_id"],
        "database_name": d["database_name"],
        "name": backup.name,
        "status": status,
        "size": d["size"] if status == "ready" else None,
        "expires_at": d["expires_at"],
        "created_at": iso(backup.created_at),
        "updated_at": iso(backup.updated_at),
        "instance_name": d["instance_name"],
        "region": backup.location,
        "same_region": d["same_region"],
        "download_url": None,
        "download_url_expires_at": None,
    }


async def create_backup(request: Request) -> Response:
    """POST /backups (200, ``creating``)."""
    state, region = state_of(request), region_of(request)
    fields = Fields(await read_json(request))
    instance_id = fields.uuid("instance_id", required=True)
    database_name = fields.str("database_name", required=True)
    name = fields.str("name", required=True)
    expires_at = fields.str("expires_at")
    fields.check()
    db = _ready_instance(request, str(instance_id))
    if database_name not in [d["name"] for d in databases_of(db)]:
        raise errors.not_found("database", str(database_name))
    now = state.now()
    backup = state.add(
        Record(
            kind="rdb_backup",
            id=state.new_id(),
            location=region,
            project_id=db.project_id,
            name=name,
            tags=[],
            created_at=now,
            timeline=state.plan([("creating", BACKUP_CREATING_S), ("ready", None)]),
            data={
                "instance_id": db.id,
                "instance_name": db.name,
                "database_name": database_name,
                "expires_at": expires_at,
                "same_region": db.data["backup_same_region"],
                "size": 8_000_000,
            },
        )
    )
    return json_response(backup_json(state, backup))


async def list_backups(request: Request) -> Response:
    """GET /backups (filters: instance_id, name)."""
    state, region = state_of(request), region_of(request)
    params = request.query_params
    wanted, name = params.get("instance_id"), (params.get("name") or "").lower()
    items = [
        backup_json(state, b)
        for b in order(state.all("rdb_backup"), params.get("order_by"), default_desc=True)
        if b.location == region
        and (not wanted or b.data["instance_id"] == wanted)
        and name in b.name.lower()
    ]
    return json_response(regional_page(request, "database_backups", items))


async def get_backup(request: Request) -> Response:
    """GET /backups/{database_backup_id}."""
    state, region = state_of(request), region_of(request)
    backup_id = path_id(request, "database_backup_id")
    backup = state.get("rdb_backup", backup_id)
    if backup is None or backup.location != region:
        raise errors.not_found("database_backup", backup_id)
    return json_response(backup_json(state, backup))


async def list_users(request: Request) -> Response:
    """GET /instances/{instance_id}/users."""
    db = _ready_instance(request, path_id(request, "instance_id"))
    name = request.query_params.get("name")
    users = [u for u in users_of(db) if not name or u["name"] == name]
    return json_response(regional_page(request, "users", sorted(users, key=lambda u: u["name"])))


async def create_user(request: Request) -> Response:
    """POST /instances/{instance_id}/users."""
    state = state_of(request)
    db = _ready_instance(request, path_id(request, "instance_id"))
    fields = Fields(await read_json(request))
    name = fields.str("name", required=True)
    password = fields.str("password", required=True)
    if password and (problem := password_problem(password)):
        fields.fail("password", "constraint", problem)
    is_admin = fields.bool("is_admin", False)
    fields.check()
    with state.lock:
        users = users_of(db)
        if any(u["name"] == name for u in users):
            raise errors.already_exists("user", db.id, f"user {name} already exists")
        user = {"name": name, "is_admin": is_admin}
        users.append(user)
    return json_response(user)


async def list_databases(request: Request) -> Response:
    """GET /instances/{instance_id}/databases."""
    db = _ready_instance(request, path_id(request, "instance_id"))
    items = sorted(databases_of(db), key=lambda d: d["name"])
    return json_response(regional_page(request, "databases", items))


async def create_database(request: Request) -> Response:
    """POST /instances/{instance_id}/databases."""
    state = state_of(request)
    db = _ready_instance(request, path_id(request, "instance_id"))
    fields = Fields(await read_json(request))
    name = fields.str("name", required=True)
    if name and len(name) > NAME_LIMIT:
        fields.fail("name", "constraint", f"must be at most {NAME_LIMIT} characters")
    fields.check()
    with state.lock:
        databases = databases_of(db)
        if any(d["name"] == name for d in databases):
            raise errors.already_exists("database", db.id, f"database {name} already exists")
        created = {"name": name, "owner": "", "managed": True, "size": 0}
        databases.append(created)
        db.updated_at = state.now()
    return json_response(created)


routes = [
    Route(f"{PREFIX}/backups", create_backup, methods=["POST"]),
    Route(f"{PREFIX}/backups", list_backups, methods=["GET"]),
    Route(f"{PREFIX}/backups/{{database_backup_id}}", get_backup, methods=["GET"]),
    Route(f"{PREFIX}/instances/{{instance_id}}/users", list_users, methods=["GET"]),
    Route(f"{PREFIX}/instances/{{instance_id}}/users", create_user, methods=["POST"]),
    Route(f"{PREFIX}/instances/{{instance_id}}/databases", list_databases, methods=["GET"]),
    Route(f"{PREFIX}/instances/{{instance_id}}/databases", create_database, methods=["POST"]),
]
