"""Destructive tools ask the user first, on both protocol generations, before any job exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitRequestParams, ElicitResult

from mcp_front.config import Settings
from mcp_front.runtime import Runtime
from sandbox.server import SandboxServer
from tests.e2e.client_support import MODES, call, connected, settings_fixture  # noqa: F401
from tests.e2e.long_jobs_support import POLL_SCALE, sandbox_fixture  # noqa: F401

pytestmark = pytest.mark.anyio


class User:
    """An elicitation callback that records every question and answers as told."""

    def __init__(self, answer: str = "accept", confirm: bool = True) -> None:
        self.answer, self.confirm = answer, confirm
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        content = {"confirm": self.confirm} if self.answer == "accept" else None
        return ElicitResult(action=self.answer, content=content)  # type: ignore[arg-type]


async def new_server(client: Client) -> str:
    made = await call(client, "create_instance", name="web-1", commercial_type="DEV1-S")
    assert made["status"] == "success", made
    return str(made["data"]["id"])


async def job_count(runtime: Runtime) -> int:
    return sum((await runtime.store.count_by_state()).values())


async def test_every_destructive_tool_offers_confirm_and_no_other_does(
    settings: Settings, sandbox: SandboxServer
) -> None:
    async with connected(settings, sandbox.api_url, "legacy") as (client, _):
        tools = (await client.list_tools()).tools
    destructive = {t.name for t in tools if t.annotations and t.annotations.destructive_hint}
    assert destructive >= {"delete_instance", "stop_instance", "delete_cluster", "delete_object"}
    for tool in tools:
        assert ("confirm" in tool.input_schema["properties"]) is (tool.name in destructive)
        assert "confirm" not in tool.input_schema.get("required", []), tool.name


@pytest.mark.parametrize("mode", MODES)
async def test_accepted_deletion_names_the_server_then_deletes_it(
    mode: str, settings: Settings, sandbox: SandboxServer
) -> None:
    user = User()
    async with connected(settings, sandbox.api_url, mode, elicitation_callback=user) as (client, _):
        server_id = await new_server(client)
        answer = await call(client, "delete_instance", server_id=server_id, delete_ips=False)

    assert answer["status"] == "success", answer
    [question] = user.questions
    assert "Delete server web-1 (DEV1-S, running, fr-par-1)" in question, question
    assert "public IP" in question and "stay" in question, question
    assert sandbox.state.get("server", server_id) is None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("action", "agreed"), [("decline", True), ("cancel", True), ("accept", False)]
)
async def test_a_declined_deletion_creates_no_job_and_says_so(
    mode: str, action: str, agreed: bool, settings: Settings, sandbox: SandboxServer
) -> None:
    user = User(action, agreed)
    async with connected(settings, sandbox.api_url, mode, elicitation_callback=user) as (
        client,
        runtime,
    ):
        server_id = await new_server(client)
        jobs_before, calls_before = await job_count(runtime), sandbox.state.calls("POST")
        answer = await call(client, "delete_instance", server_id=server_id, confirm=True)
        jobs_after = await job_count(runtime)

    assert answer["status"] == "error" and "the user declined" in answer["message"], answer
    assert answer["details"]["declined"] is True
    # confirm: true from the model never replaces the user's answer.
    assert len(user.questions) == 1
    assert jobs_after == jobs_before
    assert sandbox.state.get("server", server_id) is not None
    assert sandbox.state.calls("DELETE") == 0 and sandbox.state.calls("POST") == calls_before


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_without_elicitation_must_pass_confirm(
    mode: str, settings: Settings, sandbox: SandboxServer
) -> None:
    async with connected(settings, sandbox.api_url, mode) as (client, runtime):
        server_id = await new_server(client)
        jobs_before = await job_count(runtime)
        refused = await call(client, "stop_instance", server_id=server_id)
        jobs_after = await job_count(runtime)
        stopped = await call(client, "stop_instance", server_id=server_id, confirm=True)
        wrong = await call(client, "stop_instance", server_id=server_id, confirm="yes")

    assert refused["status"] == "error", refused
    message = refused["message"]
    assert message.startswith("confirm:") and "confirm: true" in message, message
    assert "no elicitation" in message and "Power off server web-1" in message, message
    assert jobs_after == jobs_before
    assert stopped["status"] == "success" and stopped["data"]["state"] == "stopped", stopped
    assert wrong["status"] == "error" and "confirm: must be true or false" in wrong["message"]


async def test_cluster_question_names_its_nodes_and_private_network(
    settings: Settings, sandbox: SandboxServer
) -> None:
    user = User()
    async with connected(settings, sandbox.api_url, "2026-07-28", elicitation_callback=user) as (
        client,
        _,
    ):
        made = await call(client, "create_cluster", name="web", node_type="DEV1-M", pool_size=3)
        assert made["status"] == "success", made
        cluster_id = made["data"]["id"]
        answer = await call(
            client, "delete_cluster", cluster_id=cluster_id, with_additional_resources=True
        )

    assert answer["status"] == "success", answer
    [question] = user.questions
    assert "Delete cluster web (3 nodes, fr-par)" in question, question
    assert "private network web-pn" in question, question


async def test_confirm_never_skips_the_question(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> None:
    settings = replace(
        make_settings(
            SCW_API_URL=sandbox.api_url, SCW_MCP_POLL_SCALE=POLL_SCALE, SCW_MCP_CONFIRM="never"
        ),
        sandbox=True,
    )
    user = User("decline")
    async with connected(settings, sandbox.api_url, "legacy", elicitation_callback=user) as (
        client,
        _,
    ):
        server_id = await new_server(client)
        answer = await call(client, "delete_instance", server_id=server_id)

    assert answer["status"] == "success", answer
    assert user.questions == []


async def test_refusals_come_before_the_question_and_questions_name_what_depends(
    settings: Settings, sandbox: SandboxServer
) -> None:
    user = User()
    async with connected(settings, sandbox.api_url, "2026-07-28", elicitation_callback=user) as (
        client,
        _,
    ):
        server_id = await new_server(client)
        made = await call(client, "create_private_network", name="backend", region="fr-par")
        pn_id = made["data"]["id"]
        await call(
            client, "attach_instance_to_network", server_id=server_id, private_network_id=pn_id
        )
        in_use = await call(client, "delete_private_network", private_network_id=pn_id)
        questions_when_refused = list(user.questions)
        detached = await call(
            client, "detach_instance_from_network", server_id=server_id, private_network_id=pn_id
        )
        deleted = await call(client, "delete_private_network", private_network_id=pn_id)

    # A network still in use is refused, naming its server, and nobody is asked anything.
    assert in_use["status"] == "error" and "web-1" in in_use["message"], in_use
    assert questions_when_refused == []
    assert detached["status"] == "success" and deleted["status"] == "success", (detached, deleted)
    detach_question, delete_question = user.questions
    assert "Detach server web-1 from private network" in detach_question, detach_question
    assert "Delete private network backend (" in delete_question, delete_question
