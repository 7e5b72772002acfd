"""Reaching a ready cluster: a task the client host follows, against the model polling job tools.

Both drive the real ``create_cluster`` tool through a real MCP client on a runtime over the
sandbox, at ``--speed`` times real time (polls, the wait budget and ``wait_s`` scaled alike):

* job tools: the model calls ``create_cluster`` (which waits the 20 s budget, then answers
  with the job id) and then ``get_job_status`` with ``wait_s=50`` until the job has ended;
  every call is a round trip through the model (tokens, a turn).
* tasks (2026-07-28 extension): the model calls ``create_cluster`` once; the host follows the
  task with ``tasks/get`` at the ``pollIntervalMs`` the server gives, out of the model's sight.

Reported per mode: model-visible round trips, host requests, and how long after the job ended
(the cluster was ready) the client learnt it, in real (unscaled) seconds. Trials alternate the
order of the two modes. Run: ``uv run python -m bench.tasks [--trials 3] [--speed 20]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp import Client
from mcp.client import ClaimContext, ClientExtension, ResultClaim
from mcp.types import CallToolResult, GetTaskRequest, GetTaskRequestParams, Result
from pydantic import ConfigDict, TypeAdapter

from bench.common import median, print_table, write_results
from mcp_front.config import load_settings
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer

FAKE_ENV = {
    "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
    "SCW_SECRET_KEY": "00000000-0000-0000-0000-000000000000",
    "SCW_DEFAULT_PROJECT_ID": "00000000-0000-0000-0000-000000000000",
    "SCW_DEFAULT_REGION": "fr-par",
}
BUDGET_S = 20.0
WAIT_S = 50.0
CLUSTER = {"node_type": "DEV1-M", "pool_size": 3}
_ANY = TypeAdapter(dict[str, Any])


class _CreatedTask(Result):
    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"] = "task"
    task_id: str


class _Host(ClientExtension):
    """A client host that follows tasks itself, honouring ``pollIntervalMs``."""

    identifier = "io.modelcontextprotocol/tasks"

    def __init__(self) -> None:
        self.requests = 0

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=_CreatedTask, resolve=self._follow)]

    async def _follow(self, created: _CreatedTask, ctx: ClaimContext) -> CallToolResult:
        request = GetTaskRequest(params=GetTaskRequestParams(task_id=created.task_id))
        wait_ms = created.model_extra.get("pollIntervalMs", 1000) if created.model_extra else 1000
        while True:
            await anyio.sleep(wait_ms / 1000)
            task = await ctx.session.send_request(request, _ANY)
            self.requests += 1
            if task["status"] != "working":
                return CallToolResult.model_validate(task["result"])
            wait_ms = task.get("pollIntervalMs", 1000)


async def _run(mode: str, speed: float, name: str) -> dict[str, float]:
    with SandboxServer(speed=speed, with_s3=False) as sb, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {
                **FAKE_ENV,
                "HOME": tmp,
                "SCW_MCP_DATA_DIR": str(Path(tmp) / "data"),
                "SCW_API_URL": sb.api_url,
                "SCW_MCP_POLL_SCALE": str(1 / speed),
                "SCW_MCP_WAIT_BUDGET_S": str(BUDGET_S / speed),
            }
        )
        async with open_runtime(settings) as runtime:
            host = _Host()
            extensions = [host] if mode == "tasks" else []
            server = build_server(runtime)
            async with Client(server, mode="2026-07-28", extensions=extensions) as client:
                answer = await client.call_tool("create_cluster", {"name": name, **CLUSTER})
                model_calls = 1
                body = answer.structured_content or {}
                while body["job"]["state"] not in ("succeeded", "failed", "cancelled"):
                    args = {"job_id": body["job"]["id"], "wait_s": WAIT_S / speed, "events": 0}
                    status = await client.call_tool("get_job_status", args)
                    model_calls += 1
                    data = (status.structured_content or {})["data"]
                    body = {"job": data}
                learnt_at = time.time()
            job = await runtime.store.get(body["job"]["id"])
    assert job.finished_at is not None and job.state.value == "succeeded", job.state
    return {
        "model_calls": model_calls,
        "host_requests": host.requests,
        # Real seconds: the client's margins (pollIntervalMs past a check) are not scaled.
        "late_s": learnt_at - job.finished_at,
        "total_s": (job.finished_at - job.created_at) * speed,
    }


async def main(trials: int, speed: float) -> None:
    runs: dict[str, list[dict[str, float]]] = {"job tools": [], "tasks": []}
    for trial in range(trials):
        order = ["job tools", "tasks"] if trial % 2 == 0 else ["tasks", "job tools"]
        for mode in order:
            runs[mode].append(await _run(mode, speed, f"bench-{trial}"))
    summary = {
        mode: {key: median([r[key] for r in results]) for key in results[0]}
        for mode, results in runs.items()
    }
    polling, tasks = summary["job tools"], summary["tasks"]
    rows = [
        ("cluster + 3-node pool ready after (s, at scale)", f"{tasks['total_s']:.0f}"),
        ("model round trips, job tools", f"{polling['model_calls']:.0f}"),
        ("model round trips, tasks", f"{tasks['model_calls']:.0f}"),
        ("job tools / tasks (round trips)", f"{polling['model_calls'] / tasks['model_calls']:.1f}"),
        ("host tasks/get requests (not seen by the model)", f"{tasks['host_requests']:.0f}"),
        ("learnt after ready, job tools (real s)", f"{polling['late_s']:.1f}"),
        ("learnt after ready, tasks (real s)", f"{tasks['late_s']:.1f}"),
    ]
    print_table(f"Ready cluster: tasks vs job-tool polling, median of {trials}", rows)
    write_results("tasks", {"speed": speed, "trials": trials, "runs": runs, "median": summary})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--speed", type=float, default=20.0)
    cli = parser.parse_args()
    anyio.run(main, cli.trials, cli.speed)
