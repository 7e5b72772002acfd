"""Deleting databases, and backups, users and logical databases, through a real MCP client."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mcp import Client

from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    Session,
    call,
    log_text,
    sandbox_fixture,
    secret_file,
    session_fixture,
    stored_bytes,
)
from tests.integration.scaleway_harness import job_count

pytestmark = pytest.mark.anyio
CANARY = "Canary-User-Pw-4417!"


async def _database(client: Client) -> str:
    answer = await call(client, "create_database", name="orders", user_name="owner")
    assert answer["status"] == "success", answer
    return str(answer["data"]["id"])


async def _jobs(session: Session) -> int:
    return await job_count(session[1])


async def test_delete_database_waits_until_it_is_gone(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    iid = await _database(client)
    answer = await call(client, "delete_database", instance_id=iid, confirm=True)
    assert answer["status"] == "success", answer
    assert answer["data"]["deleted"] == iid
    assert sandbox.state.all("rdb_instance") == []
    missing = await call(client, "get_database", instance_id=iid)
    assert missing["status"] == "error" and iid in missing["message"]


async def test_delete_database_with_a_read_replica_is_refused_naming_it(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    iid = await _database(client)
    replica = "22222222-3333-4444-5555-666666666666"
    record = sandbox.state.get("rdb_instance", iid)
    assert record is not None
    record.data["read_replicas"] = [
        {"id": replica, "endpoints": [], "status": "ready", "region": "fr-par", "same_zone": True}
    ]
    before = await _jobs(session)
    answer = await call(client, "delete_database", instance_id=iid, confirm=True)
    assert answer["status"] == "error" and replica in answer["message"], answer
    assert await _jobs(session) == before and sandbox.state.calls("DELETE") == 0


async def test_backup_user_and_logical_database_lifecycle(
    session: Session, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, runtime = session
    iid = await _database(client)

    backup = await call(client, "create_database_backup", instance_id=iid, name="before-migr")
    assert backup["status"] == "success", backup
    assert backup["data"]["status"] == "ready" and backup["data"]["database_name"] == "rdb"
    listed = await call(client, "list_database_backups", instance_id=iid)
    assert [b["id"] for b in listed["data"]["backups"]] == [backup["data"]["id"]]

    made = await call(client, "create_logical_database", instance_id=iid, name="shop")
    assert made["status"] == "success", made
    shop_backup = await call(
        client, "create_database_backup", instance_id=iid, name="shop-1", database_name="shop"
    )
    assert shop_backup["status"] == "success", shop_backup

    generated = await call(client, "create_database_user", instance_id=iid, name="reporting")
    assert generated["status"] == "success", generated
    mode, password = secret_file(generated["data"]["password_file"])
    assert mode == 0o600 and password not in str(generated)
    given = await call(
        client, "create_database_user", instance_id=iid, name="app", password=CANARY, is_admin=True
    )
    assert given["status"] == "success" and "password_file" not in given["data"], given
    users = await call(client, "list_database_users", instance_id=iid)
    assert users["data"]["users"] == [
        {"name": "app", "is_admin": True},
        {"name": "owner", "is_admin": True},
        {"name": "reporting", "is_admin": False},
    ]
    assert [d["name"] for d in users["data"]["databases"]] == ["rdb", "shop"]
    for secret in (CANARY, password):
        assert secret.encode() not in stored_bytes(runtime.settings.data_dir)
        assert secret not in log_text(caplog.records)


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("create_database_backup", {"name": "b", "database_name": "nope"}, "database_name"),
        ("create_database_user", {"name": "owner"}, "name"),
        ("create_database_user", {"name": "1bad"}, "name"),
        ("create_database_user", {"name": "x", "password": "weak"}, "password"),
        ("create_logical_database", {"name": "rdb"}, "name"),
    ],
)
async def test_bad_or_taken_names_are_refused_before_any_job(
    session: Session, tool: str, args: dict[str, Any], field: str
) -> None:
    client, _ = session
    iid = await _database(client)
    before = await _jobs(session)
    answer = await call(client, tool, instance_id=iid, **args)
    assert answer["status"] == "error" and field in answer["message"], answer
    assert await _jobs(session) == before
