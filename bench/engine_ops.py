"""The trivial operations ``bench.engine`` runs: done at once, or parked for an hour."""

from __future__ import annotations

from pydantic import BaseModel

from workers.steps import Done, Operation, StepContext, StepOutcome, Wait


class _NoParams(BaseModel):
    pass


class Noop(Operation):
    """Done at its first step."""

    name = "bench.noop"
    params_model = _NoParams

    async def step(self, ctx: StepContext) -> StepOutcome:
        return Done({})


class Park(Operation):
    """Waits an hour at its first step."""

    name = "bench.park"
    params_model = _NoParams

    async def step(self, ctx: StepContext) -> StepOutcome:
        return Wait(3600)
