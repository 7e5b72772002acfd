"""The Container Registry tools through a real MCP client session against the sandbox."""

from __future__ import annotations

import pytest

from sandbox.api.registry import push_image
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    Session,
    call,
    sandbox_fixture,
    session_fixture,
)
from tests.integration.scaleway_harness import job_count
from tests.support.hints import hints

pytestmark = pytest.mark.anyio


async def test_registry_tools_carry_the_promised_annotations(session: Session) -> None:
    client, _ = session
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("list_registry_namespaces", "list_registry_images", "list_registry_tags"):
        assert tools[name].title and hints(tools[name])[0], name
    assert hints(tools["create_registry_namespace"]) == (False, False, False)


async def test_namespace_images_and_tags(session: Session, sandbox: SandboxServer) -> None:
    client, _ = session
    created = await call(client, "create_registry_namespace", name="team-web")
    assert created["status"] == "success", created
    ns = created["data"]
    assert ns["status"] == "ready" and ns["endpoint"] == "rg.fr-par.scw.cloud/team-web"
    assert "docker push rg.fr-par.scw.cloud/team-web/" in ns["push_hint"]
    assert created["job"]["state"] == "succeeded"

    listed = await call(client, "list_registry_namespaces")
    assert [n["name"] for n in listed["data"]["namespaces"]] == ["team-web"]

    push_image(sandbox.state, ns["id"], "api", ["v1", "latest"])
    images = await call(client, "list_registry_images", namespace_id=ns["id"])
    (image,) = images["data"]["images"]
    assert image["name"] == "api" and sorted(image["tags"]) == ["latest", "v1"]
    tags = await call(client, "list_registry_tags", image_id=image["id"])
    assert sorted(t["name"] for t in tags["data"]["tags"]) == ["latest", "v1"]
    assert all(t["digest"].startswith("sha256:") for t in tags["data"]["tags"])


async def test_a_taken_name_is_a_clear_conflict_and_creates_nothing(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    assert (await call(client, "create_registry_namespace", name="shared"))["status"] == "success"
    # A new call on purpose (its own request_id), not a re-issue of the first one.
    again = await call(client, "create_registry_namespace", name="shared", request_id="again")
    assert again["status"] == "error" and "already exists" in again["message"], again
    assert sandbox.state.created("registry_namespace") == 1


async def test_bad_names_are_refused_before_any_call(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    for name in ("UPPER", "ab", "-dash-first", "x" * 60):
        answer = await call(client, "create_registry_namespace", name=name)
        assert answer["status"] == "error" and "name" in answer["message"], answer
    assert sandbox.state.calls() == 0


async def test_a_namespace_with_images_is_refused_unless_forced(
    session: Session, sandbox: SandboxServer
) -> None:
    client, runtime = session
    ns = (await call(client, "create_registry_namespace", name="team-api"))["data"]
    push_image(sandbox.state, ns["id"], "api", ["v1"])
    jobs = await job_count(runtime)

    refused = await call(client, "delete_registry_namespace", namespace_id=ns["id"], confirm=True)
    assert refused["status"] == "error" and "image api" in refused["message"], refused
    assert "force" in refused["message"]
    assert await job_count(runtime) == jobs
    assert sandbox.state.calls("DELETE") == 0

    forced = await call(
        client, "delete_registry_namespace", namespace_id=ns["id"], force=True, confirm=True
    )
    assert forced["status"] == "success", forced
    assert forced["data"]["deleted"] == ns["id"]
    assert sandbox.state.all("registry_namespace") == []
    assert sandbox.state.all("registry_image") == []


async def test_an_empty_namespace_is_deleted_and_a_missing_one_named(session: Session) -> None:
    client, _ = session
    ns = (await call(client, "create_registry_namespace", name="team-empty"))["data"]
    deleted = await call(client, "delete_registry_namespace", namespace_id=ns["id"], confirm=True)
    assert deleted["status"] == "success", deleted
    missing = await call(client, "delete_registry_namespace", namespace_id=ns["id"], confirm=True)
    assert missing["status"] == "error" and ns["id"] in missing["message"], missing
