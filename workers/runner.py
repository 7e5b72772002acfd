"""Running one claimed job for one step, and persisting its outcome before anything else."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import BaseModel

from jobs.errors import DatabaseError, LeaseLost
from jobs.models import JSON, Job, Progress
from jobs.store import JobStore
from workers.children import Children
from workers.errors import FailedWithResult, PermanentError, TransientError, is_transient
from workers.fencing import fenced_by
from workers.leftovers import unverified
from workers.redact import sanitize_message
from workers.registry import OperationRegistry
from workers.retry import runner_backoff_s
from workers.services import Services
from workers.steps import AnyOperation, Done, StepContext, Wait

logger = logging.getLogger(__name__)


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    """Knobs of the job runner."""

    lease_s: float = 30.0
    retry_base_s: float = 5.0
    retry_cap_s: float = 300.0


class JobRunner:
    """Executes one step of a claimed job and records what happened."""

    def __init__(
        self,
        store: JobStore,
        registry: OperationRegistry,
        *,
        owner: str,
        services: Services | None = None,
        settings: RunnerSettings | None = None,
        secrets: Iterable[str] = (),
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.owner = owner
        self.services = services if services is not None else Services()
        self.settings = settings or RunnerSettings()
        self._secrets = tuple(secrets)
        self._rng = rng or random.Random()

    async def run(self, job: Job, *, step_done: Callable[[], None] | None = None) -> None:
        """Run one step of ``job``; never raises for the job's own failures.

        ``step_done`` is called once the step itself has ended, before its outcome is
        recorded: a pool frees the job's slot then, so that its next claim can share the
        outcome's commit.
        """
        try:
            await self._run(job, step_done or _nothing)
        except LeaseLost:
            logger.warning("job %s: lease lost; another worker owns it now", job.id)

    async def _run(self, job: Job, step_done: Callable[[], None]) -> None:
        try:
            operation = self.registry.get(job.operation)
            params = operation.params_model.model_validate(job.params)
        except Exception as exc:
            await self.store.fail(job.id, self.owner, self._message(exc), checkpoint=job.checkpoint)
            await self._ended(job)
            return
        ctx = self._context(job, params)
        if job.attempts >= job.max_attempts:
            message = f"gave up after {job.attempts} attempts: its worker stopped while running it"
            await self._fail(operation, ctx, message)
            return
        if job.cancel_requested:
            await self._cancel(operation, ctx)
            return

        cancel_requested = False
        lease_lost = False
        outcome: Done | Wait | None = None
        error: Exception | None = None

        step_ended = anyio.Event()

        async def heartbeat() -> None:
            """Renew the lease (also right before a create: the fence); LeaseLost if lost."""
            nonlocal cancel_requested, lease_lost
            try:
                cancel_requested = await self.store.heartbeat(
                    job.id, self.owner, lease_s=self.settings.lease_s
                )
            except LeaseLost:
                lease_lost = True
                raise

        async def renew_lease(scope: anyio.CancelScope) -> None:
            while True:
                # Ended by an event, not a cancel: cancelling a scope formats the task's
                # repr, which costs more than a short job's whole step.
                with anyio.move_on_after(self.settings.lease_s / 3):
                    await step_ended.wait()
                if step_ended.is_set():
                    return
                try:
                    await heartbeat()
                except LeaseLost:
                    scope.cancel()  # another worker owns the job: stop working on it
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(renew_lease, tg.cancel_scope)
            try:
                with fenced_by(heartbeat):
                    outcome = await operation.step(ctx)
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as exc:  # decided below: retry or fail
                error = exc
            finally:
                step_ended.set()
        step_done()
        if lease_lost:
            raise LeaseLost(f"job {job.id} lease lost during its step")
        self._touched(operation)
        if error is not None:
            # The job store itself failed (disk full, read-only…): not the operation's fault,
            # so no attempt is spent; the job stays leased and is picked up again later.
            if isinstance(error, LeaseLost | DatabaseError):
                raise error
            await self._failed(job, ctx, error, operation)
            return
        if isinstance(outcome, Done):
            await self.store.finish(job.id, self.owner, outcome.result, checkpoint=ctx.checkpoint)
            await self._ended(job)
            logger.info("job %s (%s) succeeded", job.id, job.operation)
            return
        assert isinstance(outcome, Wait)
        # The store refuses to park a job whose cancel was requested (a flag this worker's
        # heartbeat may not have seen yet): it is cancelled at this step boundary instead.
        parked = not cancel_requested and await self.store.park(
            job.id,
            self.owner,
            run_after_at=self.store.clock.now() + max(0.0, outcome.seconds),
            checkpoint=ctx.checkpoint,
            progress=outcome.progress,
        )
        if not parked:
            await self._cancel(operation, ctx)

    async def _ended(self, job: Job) -> None:
        """A child that ended wakes its batch, which waits for its children."""
        if job.parent_id is not None:
            await self.store.wake(job.parent_id)

    def _touched(self, operation: AnyOperation) -> None:
        if operation.touches:
            self.services.touched(operation.touches)

    def _context(self, job: Job, params: BaseModel) -> StepContext[Any]:
        async def save(checkpoint: JSON, progress: Progress | None) -> None:
            await self.store.checkpoint(job.id, self.owner, checkpoint, progress=progress)

        async def report(progress: Progress) -> None:
            await self.store.set_progress(job.id, self.owner, progress)

        return StepContext(
            job=job,
            params=params,
            checkpoint=dict(job.checkpoint),
            services=self.services,
            now=self.store.clock.now,
            _save=save,
            _report=report,
            children=Children(self.store, job, self.still_there),
        )

    async def still_there(self, job: Job) -> bool:
        """Whether the resource a succeeded create made still exists: its first trace, looked
        up by the job's tag as a resumed step would. An operation without traces cannot say
        (False); a look-up that fails says True, since a second create is the worse mistake.
        """
        operation = self.registry.get(job.operation)
        if not operation.traces:
            return False
        ctx = self._context(job, operation.params_model.model_validate(job.params))
        try:
            return await operation.traces[0].find(ctx) is not None
        except Exception as exc:
            logger.warning("job %s: could not look its resource up (%s)", job.id, exc)
            return True

    async def what_exists(self, job: Job) -> JSON | None:
        """What a job that is not running created, as its cancel would word it (looked up the
        way its resumed step looks; a failed look-up says so and names the job's tag)."""
        operation = self.registry.get(job.operation)
        ctx = self._context(job, operation.params_model.model_validate(job.params))
        return await self._on_cancel(operation, ctx)

    async def _on_cancel(self, operation: AnyOperation, ctx: StepContext[Any]) -> JSON | None:
        try:
            return await operation.on_cancel(ctx)
        except Exception as exc:
            logger.warning("job %s: describing cancelled work failed: %s", ctx.job.id, exc)
            return {**unverified(ctx.job.id, self._message(exc)), "checkpoint": ctx.checkpoint}

    async def _cancel(self, operation: AnyOperation, ctx: StepContext[Any]) -> None:
        result = await self._on_cancel(operation, ctx)
        await self.store.mark_cancelled(ctx.job.id, self.owner, result, checkpoint=ctx.checkpoint)
        await self._ended(ctx.job)
        logger.info("job %s (%s) cancelled", ctx.job.id, ctx.job.operation)

    async def _leftovers(self, operation: AnyOperation, ctx: StepContext[Any]) -> JSON:
        """``{"created": {...}}`` for a failing job that created something, or how it is unknown."""
        if not operation.traces:
            return {}
        try:
            found = await operation.leftovers(ctx)
        except Exception as exc:
            return unverified(ctx.job.id, self._message(exc))
        return {"created": found} if found else {}

    async def _failed(
        self, job: Job, ctx: StepContext[Any], exc: Exception, operation: AnyOperation
    ) -> None:
        message = self._message(exc)
        attempt = job.attempts + 1
        retryable = is_transient(exc)
        if not isinstance(exc, TransientError | PermanentError):
            logger.exception("job %s (%s): unexpected error", job.id, job.operation)
        if retryable and attempt < job.max_attempts:
            delay = runner_backoff_s(
                attempt,
                base_s=self.settings.retry_base_s,
                cap_s=self.settings.retry_cap_s,
                rng=self._rng,
            )
            logger.info(
                "job %s: attempt %d/%d failed (%s); retrying in %.1fs",
                job.id,
                attempt,
                job.max_attempts,
                message,
                delay,
            )
            await self.store.retry_later(
                job.id,
                self.owner,
                run_after_at=self.store.clock.now() + delay,
                error=message,
                checkpoint=ctx.checkpoint,
            )
            return
        if retryable:
            message = f"gave up after {attempt} attempts: {message}"
        await self._fail(
            operation, ctx, message, exc.result if isinstance(exc, FailedWithResult) else None
        )

    async def _fail(
        self,
        operation: AnyOperation,
        ctx: StepContext[Any],
        message: str,
        result: JSON | None = None,
    ) -> None:
        """Fail the job, naming what it created (looked up as its resumed step would) and
        keeping the ``result`` the operation gave with its failure."""
        left = {**(result or {}), **await self._leftovers(operation, ctx)}
        created = left.get("created")
        if isinstance(created, dict):
            ids = [str(v) for v in created.values() if str(v) not in message]
            if ids:
                message += f"; it had created {', '.join(ids)}, which still exist"
        elif created == "unknown":
            message += f"; {left['note']}"
        job = ctx.job
        await self.store.fail(
            job.id, self.owner, message, checkpoint=ctx.checkpoint, result=left or None
        )
        await self._ended(job)
        logger.info("job %s (%s) failed: %s", job.id, job.operation, message)

    def _message(self, exc: Exception) -> str:
        if isinstance(exc, TransientError | PermanentError):
            text = str(exc) or type(exc).__name__
        else:
            # Unexpected exceptions may carry anything; show their kind, log the rest.
            text = f"the step failed unexpectedly ({type(exc).__name__}); see the server log"
        return sanitize_message(text, self._secrets)
