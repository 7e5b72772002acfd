"""The step protocol: an operation is a sequence of resumable steps over a checkpoint."""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import BaseModel

from jobs.models import JSON, Job, Progress


@dataclass(frozen=True, slots=True)
class Done:
    """The operation finished; ``result`` is what the user gets back."""

    result: JSON


@dataclass(frozen=True, slots=True)
class Wait:
    """Poll me again in ``seconds``; the job holds no worker meanwhile."""

    seconds: float
    progress: Progress = field(default_factory=Progress)


StepOutcome = Done | Wait


@dataclass(slots=True)
class StepContext:
    """What a step sees: its job, validated parameters, checkpoint, and services."""

    job: Job
    params: BaseModel
    checkpoint: JSON
    services: object
    now: Callable[[], float]
    _save: Callable[[JSON, Progress | None], Awaitable[None]]
    _report: Callable[[Progress], Awaitable[None]]

    async def save(self, progress: Progress | None = None, **updates: object) -> None:
        """Merge ``updates`` into the checkpoint and commit it before going on."""
        self.checkpoint.update(updates)
        await self._save(dict(self.checkpoint), progress)

    async def report(self, progress: Progress) -> None:
        """Record progress without changing the checkpoint."""
        await self._report(progress)

    @property
    def elapsed_s(self) -> float:
        """Seconds since the job was created."""
        return max(0.0, self.now() - self.job.created_at)


class Operation(abc.ABC):
    """A named, resumable unit of work run by the job runner."""

    name: ClassVar[str]
    params_model: ClassVar[type[BaseModel]]
    # Resource kinds a job of this operation may change (for read-cache invalidation).
    touches: ClassVar[tuple[str, ...]] = ()
    # The parameters that make two calls the same while a job is active: for a create, its
    # scope and name; for an action, its target. None: every parameter.
    identity: ClassVar[tuple[str, ...] | None] = None

    @abc.abstractmethod
    async def step(self, ctx: StepContext) -> StepOutcome:
        """Do the next piece of work, reading and saving the checkpoint."""

    async def on_cancel(self, ctx: StepContext) -> JSON | None:
        """Say what exists when the job is cancelled (e.g. a half-created resource)."""
        return {"checkpoint": ctx.checkpoint} if ctx.checkpoint else None
