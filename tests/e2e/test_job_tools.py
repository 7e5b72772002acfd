"""The job tools and the shared enqueue-and-wait path, through a real in-process MCP client."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from mcp_front.job_wait import submit_and_wait
from mcp_front.runtime import Runtime
from mcp_front.server import build_server
from mcp_front.toolkit import ToolInput, ToolSpec
from tests.support.counting_ops import CountOperation, CountParams
from tests.support.hints import hints

pytestmark = pytest.mark.anyio


class CountInput(ToolInput):
    polls: int = Field(3, ge=0, le=50, description="How many polls.")
    poll_s: float = Field(0.02, ge=0, description="Seconds between polls.")
    budget_s: float = Field(10, ge=0, description="How long the tool waits.")
    fail: bool = Field(False, description="Fail permanently.")


def count_tool(log: Path) -> ToolSpec:
    """A mutating test tool built on the shared helper, as product tools are."""

    async def handler(args: CountInput, runtime: Runtime, ctx: Context) -> CallToolResult:
        return await submit_and_wait(
            runtime,
            ctx,
            CountOperation(),
            CountParams(
                log_path=str(log),
                polls=args.polls,
                poll_s=args.poll_s,
                permanent_failure=args.fail,
            ),
            budget_s=args.budget_s,
        )

    return ToolSpec(
        name="count",
        title="Count",
        description="test tool",
        input_model=CountInput,
        handler=handler,
        group="jobs",
        read_only=False,
    )


def body(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    return result.structured_content


async def test_fast_job_answers_inline_with_progress_notifications(
    runtime: Runtime, tmp_path: Path
) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with Client(build_server(runtime, [count_tool(tmp_path / "log")])) as client:
        result = await client.call_tool("count", {"polls": 3}, progress_callback=on_progress)

    assert not result.is_error
    payload = body(result)
    assert payload["status"] == "success"
    assert payload["data"] == {"polls": 3, "job": payload["job"]["id"]}
    assert payload["job"]["state"] == "succeeded"
    # The job's own progress reaches the client; which of its polls a busy machine lets the
    # reporter see is timing, so any of them will do.
    assert any(re.search(r"poll [123] of 3", m or "") for _, _, m in progress), progress
    values = [v for v, _, _ in progress]
    assert values == sorted(values) and len(set(values)) == len(values)
    # The text content carries the same JSON as the structured content.
    import json

    assert json.loads(result.content[0].text) == payload  # type: ignore[union-attr]


async def test_slow_job_returns_job_id_and_hint_then_finishes(
    runtime: Runtime, tmp_path: Path
) -> None:
    async with Client(build_server(runtime, [count_tool(tmp_path / "log")])) as client:
        result = await client.call_tool("count", {"polls": 5, "poll_s": 0.1, "budget_s": 0})
        payload = body(result)
        assert payload["status"] == "success"
        job_id = payload["data"]["job_id"]
        assert payload["data"]["state"] in ("queued", "running", "waiting")
        assert "get_job_status" in payload["data"]["hint"]

        status = body(await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 10}))
    data = status["data"]
    assert data["state"] == "succeeded"
    assert data["result"] == {"polls": 5, "job": job_id}
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[-1] == "succeeded" and "waiting" in kinds


async def test_failed_job_is_an_error_envelope_with_the_reason(
    runtime: Runtime, tmp_path: Path
) -> None:
    async with Client(build_server(runtime, [count_tool(tmp_path / "log")])) as client:
        result = await client.call_tool("count", {"fail": True})
    assert result.is_error
    payload = body(result)
    assert payload["status"] == "error"
    assert "permanent failure" in payload["message"]
    assert payload["details"]["job"]["state"] == "failed"


async def test_list_jobs_filters_and_paginates(runtime: Runtime, tmp_path: Path) -> None:
    ids = []
    for _ in range(5):
        job, _ = await runtime.store.enqueue(
            "test.count", {"log_path": str(tmp_path / "l"), "polls": 0}
        )
        ids.append(job.id)
    async with Client(build_server(runtime)) as client:
        seen: list[str] = []
        cursor = None
        while True:
            args: dict[str, Any] = {"limit": 2, "operation": "test.count"}
            if cursor:
                args["cursor"] = cursor
            page = body(await client.call_tool("list_jobs", args))["data"]
            seen += [j["id"] for j in page["jobs"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        none = body(await client.call_tool("list_jobs", {"operation": "nothing.like.this"}))
        # One state as a plain string, as models often send it, is a list of one.
        queued = body(await client.call_tool("list_jobs", {"state": "queued", "limit": 100}))
    assert sorted(seen) == sorted(ids)
    assert queued["status"] == "success"
    assert {j["state"] for j in queued["data"]["jobs"]} <= {"queued"}
    assert none["data"]["jobs"] == []


async def test_cancel_a_queued_job_and_refuse_cancelling_it_again(
    runtime: Runtime, tmp_path: Path
) -> None:
    # Far in the future, so no worker picks it up first.
    job, _ = await runtime.store.enqueue(
        "test.count",
        {"log_path": str(tmp_path / "l")},
        run_after_at=runtime.store.clock.now() + 3600,
    )
    async with Client(build_server(runtime)) as client:
        first = body(await client.call_tool("cancel_job", {"job_id": job.id}))
        second = await client.call_tool("cancel_job", {"job_id": job.id})
    assert first["data"]["state"] == "cancelled"
    assert second.is_error
    assert "already cancelled" in body(second)["message"]


async def test_cancel_a_running_job_stops_it_at_a_step_boundary(
    runtime: Runtime, tmp_path: Path
) -> None:
    async with Client(build_server(runtime, [count_tool(tmp_path / "log")])) as client:
        started = body(
            await client.call_tool("count", {"polls": 50, "poll_s": 0.05, "budget_s": 0.2})
        )
        job_id = started["data"]["job_id"]
        # Cancel only once the job is under way (on a loaded machine it may still be queued).
        with anyio.fail_after(10):
            while (await runtime.store.get(job_id)).checkpoint.get("polls", 0) < 1:
                await runtime.store.signals.wait_job_changed(job_id, 0.5)
        cancelled = body(await client.call_tool("cancel_job", {"job_id": job_id}))
        final = body(await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 5}))
    assert cancelled["status"] == "success"
    assert final["data"]["state"] == "cancelled", final
    # The result, worded by the operation, names what the job had done when it stopped.
    assert final["data"]["result"]["created"] is True
    assert final["data"]["result"]["note"] == "the test side effect stays in the log"
    polls = (tmp_path / "log").read_text().count(" poll ")
    assert 0 < polls < 50


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("get_job_status", {"job_id": "not-a-uuid"}, "job_id: must be a job id"),
        ("get_job_status", {}, "job_id: is required"),
        ("get_job_status", {"job_id": str(uuid.UUID(int=0))}, "no job with id"),
        ("get_job_status", {"job_id": str(uuid.UUID(int=0)), "wait_s": 500}, "wait_s"),
        ("list_jobs", {"state": ["sleeping"]}, "state.0: must be 'queued'"),
        ("list_jobs", {"state": "sleeping"}, "state.0: must be 'queued'"),
        ("list_jobs", {"limit": 0}, "limit"),
        ("list_jobs", {"cursor": "garbage!"}, "cursor"),
        ("list_jobs", {"created_after": "yesterday-ish"}, "created_after"),
        ("cancel_job", {"job_id": "123"}, "job_id: must be a job id"),
        ("list_jobs", {"limit": 5, "force": True}, "force: is not a known argument"),
    ],
)
async def test_bad_input_gets_a_clear_error_envelope(
    runtime: Runtime, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    async with Client(build_server(runtime)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    payload = body(result)
    assert payload["status"] == "error"
    assert expected in payload["message"]
    assert "Traceback" not in payload["message"]


async def test_every_tool_has_annotations_and_a_described_schema(runtime: Runtime) -> None:
    async with Client(build_server(runtime)) as client:
        tools = (await client.list_tools()).tools
    names = {t.name for t in tools}
    assert {"get_job_status", "list_jobs", "cancel_job"} <= names
    instructions = build_server(runtime).instructions or ""
    for tool in tools:
        assert tool.title and tool.annotations is not None
        assert tool.annotations.read_only_hint is not None
        for name, prop in tool.input_schema.get("properties", {}).items():
            if name == "request_id":
                # Shared by every job tool: described once, in the server instructions.
                assert "request_id" in instructions
                continue
            assert prop.get("description"), f"{tool.name}.{name} has no description"


async def test_read_only_mode_hides_mutating_tools(make_settings: Any) -> None:
    from mcp_front.runtime import open_runtime

    settings = make_settings(SCW_MCP_READ_ONLY="true")
    async with open_runtime(settings, run_workers=False) as rt:
        async with Client(build_server(rt)) as client:
            tools = (await client.list_tools()).tools
            # A hidden tool called anyway gets an envelope that says why, and no job.
            refused = await client.call_tool("create_instance", {"name": "x"})
            lb = await client.call_tool("list_load_balancers", {})
        jobs = await rt.store.list_jobs()
    assert refused.is_error and "read-only mode" in body(refused)["message"]
    assert lb.is_error and "--tools default,lb" in body(lb)["message"]
    assert jobs.jobs == []
    names = {t.name for t in tools}
    assert "get_job_status" in names and "list_jobs" in names and "get_cluster" in names
    assert "cancel_job" not in names
    # Writing local files is a change too: both such reads are off, like every mutation.
    assert "get_cluster_kubeconfig" not in names and "download_object" not in names
    assert all(t.annotations and t.annotations.read_only_hint for t in tools)


async def test_tools_that_write_local_files_say_so_in_their_annotations(runtime: Runtime) -> None:
    async with Client(build_server(runtime)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("get_cluster_kubeconfig", "download_object", "create_database"):
        assert hints(tools[name])[:2] == (False, False), name


async def test_cancel_a_waiting_job_lets_its_operation_word_the_result(
    runtime: Runtime, tmp_path: Path
) -> None:
    async with Client(build_server(runtime, [count_tool(tmp_path / "log")])) as client:
        started = body(await client.call_tool("count", {"polls": 3, "poll_s": 3600}))
        job_id = started["data"]["job_id"]
        assert started["data"]["state"] == "waiting"  # parked for an hour after poll 1
        cancelled = body(await client.call_tool("cancel_job", {"job_id": job_id}))
    assert cancelled["data"]["state"] == "cancelled"
    assert cancelled["data"]["result"] == {
        "created": True,
        "polls_done": 1,
        "note": "the test side effect stays in the log",
    }


async def test_cancel_without_a_running_worker_still_cancels_and_says_what_exists(
    make_settings: Any, tmp_path: Path
) -> None:
    from mcp_front.runtime import open_runtime

    settings = make_settings(
        SCW_MCP_EXTRA_OPERATIONS="tests.support.counting_ops", SCW_MCP_WAIT_BUDGET_S="0.3"
    )
    async with open_runtime(settings, run_workers=False) as rt:
        job, _ = await rt.store.enqueue("test.count", {"log_path": str(tmp_path / "l")})
        claimed = await rt.store.claim("someone", limit=1, lease_s=30)
        await rt.store.park(
            job.id,
            "someone",
            run_after_at=rt.store.clock.now() + 3600,
            checkpoint={"created": True, "polls": 2},
            progress=claimed[0].progress,
        )
        async with Client(build_server(rt)) as client:
            cancelled = body(await client.call_tool("cancel_job", {"job_id": job.id}))
    assert cancelled["data"]["state"] == "cancelled"
    # No worker came: the operation's own account of what exists is given here and now.
    assert cancelled["data"]["result"] == {
        "created": True,
        "polls_done": 2,
        "note": "the test side effect stays in the log",
    }


async def test_an_unknown_tool_gets_the_error_envelope(runtime: Runtime) -> None:
    async with Client(build_server(runtime)) as client:
        answer = await client.call_tool("no_such_tool", {"x": 1})
    assert answer.is_error
    assert answer.structured_content is not None
    assert answer.structured_content["status"] == "error"
    assert "unknown tool 'no_such_tool'" in answer.structured_content["message"]
