"""Test-only operations, loaded into a server with SCW_MCP_EXTRA_OPERATIONS.

``test.count`` performs one "create" side effect (looked up first, like a tagged cloud
resource) and then ``polls`` poll steps, appending one line per side effect to a file:
``<job_id> create`` or ``<job_id> poll <n> after <checkpointed n>``.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
from pydantic import BaseModel

from jobs.models import Progress
from workers.errors import PermanentError, TransientError
from workers.steps import Done, Operation, StepContext, StepOutcome, Wait


class CountParams(BaseModel):
    log_path: str
    polls: int = 3
    poll_s: float = 0.05
    fail_times: int = 0
    permanent_failure: bool = False
    step_sleep_s: float = 0.0


def _read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _append(path: Path, line: str) -> None:
    with path.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


class CountOperation(Operation):
    """Create once, then poll ``polls`` times, recording every side effect."""

    name = "test.count"
    params_model = CountParams

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: CountParams = ctx.params  # type: ignore[assignment]
        log = Path(params.log_path)
        if params.permanent_failure:
            raise PermanentError("the test asked for a permanent failure")
        if ctx.job.attempts < params.fail_times:
            raise TransientError(f"transient failure {ctx.job.attempts + 1}")
        if "created" not in ctx.checkpoint:
            if f"{ctx.job.id} create" not in _read_lines(log):  # the "tag look-up"
                _append(log, f"{ctx.job.id} create")
            await ctx.save(created=True, polls=0)
        if params.step_sleep_s:
            await anyio.sleep(params.step_sleep_s)
        done = int(ctx.checkpoint.get("polls", 0))
        if done >= params.polls:
            return Done({"polls": done, "job": ctx.job.id})
        _append(log, f"{ctx.job.id} poll {done + 1} after {done}")
        await ctx.save(polls=done + 1)
        return Wait(
            params.poll_s,
            Progress("polling", f"poll {done + 1} of {params.polls}", (done + 1) / params.polls),
        )

    async def on_cancel(self, ctx: StepContext) -> dict[str, object]:
        """Word what exists, as product operations do."""
        return {
            "created": bool(ctx.checkpoint.get("created")),
            "polls_done": int(ctx.checkpoint.get("polls", 0)),
            "note": "the test side effect stays in the log",
        }


OPERATIONS = [CountOperation()]
