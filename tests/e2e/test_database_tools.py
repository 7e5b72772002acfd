"""The managed database tools through a real MCP client session against the sandbox."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    POLL_SCALE,
    Session,
    call,
    list_dir,
    log_text,
    sandbox_fixture,
    sandbox_session,
    secret_file,
    session_fixture,
    stored_bytes,
)
from tests.support.hints import hints

pytestmark = pytest.mark.anyio
CANARY = "Canary-Pw-7731!"  # a password nobody else would write anywhere


async def create(client: Any, progress: list[str] | None = None, **args: Any) -> dict[str, Any]:
    return dict(await call(client, "create_database", progress, **{"name": "orders", **args}))


async def test_database_tools_carry_the_promised_annotations(session: Session) -> None:
    client, _ = session
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name, read_only in (
        ("list_databases", True),
        ("get_database", True),
        ("create_database", False),
    ):
        assert tools[name].title and hints(tools[name])[:2] == (read_only, False), name


async def test_database_from_request_to_ready_with_a_generated_password_in_a_0600_file(
    session: Session, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, runtime = session
    progress: list[str] = []
    answer = await create(client, progress, tags=["team:shop"])

    assert answer["status"] == "success", answer
    db = answer["data"]
    assert db["status"] == "ready" and db["engine"] == "PostgreSQL-17"  # newest by default
    assert db["endpoints"] and db["endpoints"][0]["port"] > 0
    # Progress shows the observed status (on a loaded machine a poll may miss one of the two
    # short transient states of the fast sandbox, so either one proves it).
    assert any("provisioning" in m or "initializing" in m for m in progress), progress
    assert sandbox.state.created("rdb_instance") == 1

    path = Path(db["credentials"]["password_file"])
    assert path.parent == runtime.settings.secrets_dir
    mode, password = secret_file(path)
    assert mode == 0o600
    assert len(password) >= 16
    # The password is in that file only: not in the answer, the job rows or the logs.
    assert password not in str(answer)
    assert password.encode() not in stored_bytes(runtime.settings.data_dir)
    assert password not in log_text(caplog.records)

    detail = await call(client, "get_database", instance_id=db["id"])
    assert detail["data"]["endpoints"] == db["endpoints"]
    # Re-issued, the create answers with its job: its own new password file goes again.
    again = await create(client, tags=["team:shop"])
    assert "nothing new was made" in again["note"]
    assert again["data"]["credentials"]["password_file"] == str(path)
    assert list_dir(runtime.settings.secrets_dir) == [path]
    listed = await call(client, "list_databases", engine="postgresql", status="ready")
    assert [d["id"] for d in listed["data"]["databases"]] == [db["id"]]
    assert (await call(client, "list_databases", engine="MySQL"))["data"]["databases"] == []
    # The same request_id twice is one call, though each call writes its own password file.
    named = await create(client, name="named", request_id="db-1")
    named_again = await create(client, name="named", request_id="db-1")
    assert named["status"] == named_again["status"] == "success", named_again
    assert named_again["job"]["id"] == named["job"]["id"]
    assert len(list_dir(runtime.settings.secrets_dir)) == 2


async def test_a_given_password_never_reaches_job_rows_logs_or_output(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, runtime = session
    answer = await create(client, password=CANARY, engine="mysql-8", user_name="shop")

    assert answer["status"] == "success", answer
    assert answer["data"]["engine"] == "MySQL-8"
    assert answer["data"]["credentials"] == {"user_name": "shop", "password": "the one you gave"}
    assert CANARY not in str(answer)
    assert CANARY.encode() not in stored_bytes(runtime.settings.data_dir)
    assert CANARY not in log_text(caplog.records)
    # The file that carried it to the job is gone once the database exists.
    assert not any("pending" in p.name for p in list_dir(runtime.settings.secrets_dir))
    jobs = await call(client, "list_jobs")
    assert CANARY not in str(jobs)


@pytest.mark.parametrize("status", ["disk_full", "locked", "error"])
async def test_database_in_a_failure_state_fails_the_job_with_advice(
    session: Session, sandbox: SandboxServer, status: str
) -> None:
    client, _ = session
    answer = await create(client, tags=[f"sandbox:fail={status}"])
    assert answer["status"] == "error", answer
    assert repr(status) in answer["message"] and "get_database" in answer["message"]
    assert sandbox.state.created("rdb_instance") == 1


async def test_bad_arguments_are_refused_before_any_change(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    cases: list[tuple[dict[str, Any], str]] = [
        ({"engine": "Oracle-19"}, "PostgreSQL-17"),  # the message lists the engines offered
        ({"node_type": "db-huge"}, "db-dev-s"),
        ({"password": "short"}, "password"),
        ({"user_name": "1admin"}, "user_name"),
        ({"volume_size_gb": 1}, "volume_size_gb"),
    ]
    for args, words in cases:
        answer = await create(client, **args)
        assert answer["status"] == "error" and words in answer["message"], (args, answer)
        assert "short" not in answer["message"] or "password" not in args
    assert sandbox.state.calls("POST") == 0
