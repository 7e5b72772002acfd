"""The step protocol: an operation is a sequence of resumable steps over a checkpoint."""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from jobs.models import JSON, Job, Progress
from workers.cache import CacheKind
from workers.children import Children
from workers.leftovers import Trace, find_leftovers
from workers.services import Services

P = TypeVar("P", bound=BaseModel)

CREATE_REJOIN_S = 900.0
"""How long a create's success answers an equal create (see ``Operation.rejoin_succeeded_s``)."""


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
class StepContext(Generic[P]):
    """What a step sees: its job, validated parameters, checkpoint, and services."""

    job: Job
    params: P
    checkpoint: JSON
    services: Services
    now: Callable[[], float]
    _save: Callable[[JSON, Progress | None], Awaitable[None]]
    _report: Callable[[Progress], Awaitable[None]]
    # The jobs this job enqueues (a batch's children).
    children: Children

    async def save(self, progress: Progress | None = None, /, **updates: object) -> None:
        """Merge ``updates`` into the checkpoint and commit it before going on."""
        self.checkpoint.update(updates)
        await self._save(dict(self.checkpoint), progress)

    def note(self, **updates: object) -> None:
        """Merge ``updates`` into the checkpoint committed with this step's outcome."""
        self.checkpoint.update(updates)

    async def report(self, progress: Progress) -> None:
        """Record progress without changing the checkpoint."""
        await self._report(progress)

    @property
    def elapsed_s(self) -> float:
        """Seconds since the job was created."""
        return max(0.0, self.now() - self.job.created_at)


class Operation(abc.ABC, Generic[P]):
    """A named, resumable unit of work run by the job runner, over parameters of type ``P``."""

    name: ClassVar[str]
    # Former names, so that jobs stored under them still run.
    aliases: ClassVar[tuple[str, ...]] = ()
    params_model: type[P]
    # Resource kinds a job of this operation may change (for read-cache invalidation).
    touches: ClassVar[tuple[CacheKind, ...]] = ()
    # The parameters that make two calls the same while a job is active: for a create, its
    # scope and name; for an action, its target. None: every parameter.
    identity: ClassVar[tuple[str, ...] | None] = None
    # Resources its create steps may leave, each with the look-up its resumed step uses.
    traces: ClassVar[tuple[Trace, ...]] = ()
    # Seconds after an equal call's job succeeded during which a new equal call gets that
    # job's answer instead of running again: a client that timed out and re-issued its
    # create after the job ended must not create a second resource. 0: only while active.
    rejoin_succeeded_s: ClassVar[float] = 0.0
    # Parameters its tool fills anew on every call (the file of a generated password): not
    # part of what the caller asked, so ignored when telling whether two calls are the same.
    per_call: ClassVar[tuple[str, ...]] = ()

    def asked(self, params: JSON) -> JSON:
        """``params`` without the ``per_call`` ones: what the caller asked for."""
        return {k: v for k, v in params.items() if k not in self.per_call}

    @abc.abstractmethod
    async def step(self, ctx: StepContext[P]) -> StepOutcome:
        """Do the next piece of work, reading and saving the checkpoint."""

    async def leftovers(self, ctx: StepContext[P]) -> JSON:
        """``{id_key: id}`` of what this job created: from the checkpoint, else found by the
        look-up its resumed step uses (a create whose id was never saved still shows)."""
        return await find_leftovers(ctx, self.traces)

    async def on_cancel(self, ctx: StepContext[P]) -> JSON | None:
        """Say what exists when the job is cancelled (e.g. a half-created resource)."""
        if self.traces:
            return {"created": await self.leftovers(ctx) or None}
        return {"checkpoint": ctx.checkpoint} if ctx.checkpoint else None


AnyOperation = Operation[Any]
