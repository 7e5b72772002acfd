"""Fakes shared by the worker tests: a scripted operation, a fixed random source, services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from pydantic import BaseModel

from jobs.models import JSON
from jobs.store import JobStore
from workers.registry import OperationRegistry
from workers.runner import JobRunner, RunnerSettings
from workers.steps import Operation, StepContext, StepOutcome

Step = StepOutcome | BaseException | Callable[[StepContext], Awaitable[StepOutcome]]


class NoParams(BaseModel):
    """Scripted jobs take any parameters and ignore them."""

    model_config = {"extra": "allow"}


class Scripted(Operation):
    """Plays its outcomes in order, one per step: return it, raise it, or await it."""

    name: ClassVar[str] = "test.scripted"
    params_model: ClassVar[type[BaseModel]] = NoParams

    def __init__(self, *outcomes: Step) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[StepContext] = []
        self.cancelled: list[StepContext] = []

    async def step(self, ctx: StepContext) -> StepOutcome:
        self.calls.append(ctx)
        if not self.outcomes:
            raise AssertionError("the script has no more steps")
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            return await outcome(ctx)
        return outcome

    async def on_cancel(self, ctx: StepContext) -> JSON | None:
        self.cancelled.append(ctx)
        return {"left_behind": ctx.checkpoint.get("server_id")}


class FixedRandom:
    """A random source that always draws the same number (jitter made predictable)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


class RecordingServices:
    """Services that remember which resource kinds jobs touched."""

    def __init__(self) -> None:
        self.touched_kinds: list[tuple[str, ...]] = []

    def touched(self, kinds: tuple[str, ...]) -> None:
        self.touched_kinds.append(kinds)


def make_runner(
    store: JobStore,
    *operations: Operation,
    owner: str = "w1",
    services: object = None,
    secrets: tuple[str, ...] = (),
    lease_s: float = 30.0,
) -> JobRunner:
    return JobRunner(
        store,
        OperationRegistry(operations),
        owner=owner,
        services=services,
        settings=RunnerSettings(lease_s=lease_s, retry_base_s=5.0, retry_cap_s=300.0),
        secrets=secrets,
        rng=FixedRandom(1.0),  # type: ignore[arg-type]
    )


async def run_due(store: JobStore, runner: JobRunner) -> list[str]:
    """Claim every job due now and run one step of each, one after the other."""
    jobs = await store.claim(runner.owner, limit=100, lease_s=runner.settings.lease_s)
    for job in jobs:
        await runner.run(job)
    return [j.id for j in jobs]
