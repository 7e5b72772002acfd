"""The serverless tools through a real MCP client session against the sandbox."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    POLL_SCALE,
    Session,
    call,
    groups_session_fixture,
    sandbox_fixture,
    sandbox_session,
)
from tests.integration.scaleway_harness import job_count

pytestmark = pytest.mark.anyio


session = groups_session_fixture("serverless")


async def _namespace(client: Client, kind: str, name: str = "web") -> str:
    answer = await call(client, "create_serverless_namespace", kind=kind, name=name)
    assert answer["status"] == "success", answer
    assert answer["data"]["status"] == "ready"
    return str(answer["data"]["id"])


def _zip(tmp_path: Path) -> Path:
    path = tmp_path / "code.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return {'body': 'hi'}\n")
    return path


async def test_container_deploy_redeploy_cron_and_delete(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    ns = await _namespace(client, "containers")
    deployed = await call(
        client, "deploy_container", namespace_id=ns, name="api", image="nginx:1.27", port=80
    )
    assert deployed["status"] == "success", deployed
    app = deployed["data"]
    assert app["status"] == "ready" and app["created"] is True and app["url"].startswith("https://")

    again = await call(
        client, "deploy_container", namespace_id=ns, name="api", image="nginx:1.28", port=80
    )
    assert again["status"] == "success", again
    assert again["data"]["id"] == app["id"] and again["data"]["created"] is False
    assert again["data"]["image"] == "nginx:1.28" and sandbox.state.created("container") == 1

    cron = await call(
        client, "create_cron_trigger", kind="containers", id=app["id"], schedule="0 3 * * *"
    )
    assert cron["status"] == "success", cron
    detail = await call(client, "get_serverless_app", kind="containers", id=app["id"])
    assert [c["schedule"] for c in detail["data"]["crons"]] == ["0 3 * * *"]

    refused = await call(
        client, "delete_serverless_namespace", kind="containers", namespace_id=ns, confirm=True
    )
    assert refused["status"] == "error" and "container api" in refused["message"], refused

    gone = await call(
        client, "delete_serverless_app", kind="containers", id=app["id"], confirm=True
    )
    assert gone["status"] == "success", gone
    emptied = await call(
        client, "delete_serverless_namespace", kind="containers", namespace_id=ns, confirm=True
    )
    assert emptied["status"] == "success", emptied
    assert sandbox.state.all("container") == [] and sandbox.state.all("container_namespace") == []


async def test_a_failed_deploy_reports_the_api_message(session: Session) -> None:
    client, _ = session
    ns = await _namespace(client, "containers")
    answer = await call(
        client,
        "deploy_container",
        namespace_id=ns,
        name="broken",
        image="nginx:1.27",
        tags=["sandbox:fail=error"],
    )
    assert answer["status"] == "error", answer
    assert (
        "'error'" in answer["message"] and "sandbox: the deploy ended in error" in answer["message"]
    )


async def test_function_with_its_zip_is_ready_and_without_code_reports_the_error(
    session: Session, tmp_path: Path
) -> None:
    client, _ = session
    ns = await _namespace(client, "functions", "jobs")
    ready = await call(
        client,
        "deploy_function",
        namespace_id=ns,
        name="hello",
        runtime="python3",
        zip_path=str(_zip(tmp_path)),
    )
    assert ready["status"] == "success", ready
    assert ready["data"]["status"] == "ready" and ready["data"]["runtime"] == "python3"
    listed = await call(client, "list_serverless_apps", kind="functions", namespace_id=ns)
    assert [f["name"] for f in listed["data"]["functions"]] == ["hello"]

    no_code = await call(
        client, "deploy_function", namespace_id=ns, name="empty", runtime="python3"
    )
    assert no_code["status"] == "error" and "no code" in no_code["message"], no_code


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("deploy_function", {"name": "f", "runtime": "cobol"}, "runtime"),
        (
            "deploy_function",
            {"name": "f", "runtime": "python3", "zip_path": "/nope.zip"},
            "zip_path",
        ),
        ("deploy_container", {"name": "Bad_Name", "image": "x"}, "name"),
        ("deploy_container", {"name": "c", "image": "x", "port": 0}, "port"),
        (
            "deploy_container",
            {"name": "c", "image": "x", "min_scale": 9, "max_scale": 2},
            "min_scale",
        ),
    ],
)
async def test_bad_arguments_are_refused_before_any_job(
    session: Session, tool: str, args: dict[str, Any], field: str
) -> None:
    client, runtime = session
    ns = await _namespace(client, "functions" if tool == "deploy_function" else "containers")
    before = await job_count(runtime)
    answer = await call(client, tool, namespace_id=ns, **args)
    assert answer["status"] == "error" and field in answer["message"], answer
    assert await job_count(runtime) == before


async def test_a_cron_schedule_is_checked_before_any_job(session: Session) -> None:
    client, runtime = session
    ns = await _namespace(client, "containers")
    app = await call(client, "deploy_container", namespace_id=ns, name="api", image="nginx:1")
    before = await job_count(runtime)
    answer = await call(
        client, "create_cron_trigger", kind="containers", id=app["data"]["id"], schedule="hourly"
    )
    assert answer["status"] == "error" and "schedule" in answer["message"], answer
    assert await job_count(runtime) == before
