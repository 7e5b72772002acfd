"""The job runner: one step of a claimed job, and its outcome persisted before anything else."""

from __future__ import annotations

import pytest

from jobs.clock import ManualClock
from jobs.models import Progress
from jobs.states import JobState
from jobs.store import JobStore
from tests.unit.fakes import RecordingServices, Scripted, make_runner, run_due
from workers.errors import PermanentError, RateLimited, TransientError
from workers.fencing import check_lease
from workers.leftovers import Trace
from workers.steps import Done, StepContext, Wait

pytestmark = pytest.mark.anyio

FAKE_SECRET = "00000000-0000-0000-0000-00000000beef"


async def test_done_marks_the_job_succeeded_with_its_result(store: JobStore) -> None:
    op = Scripted(Done({"server_id": "srv-1"}))
    job, _ = await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op))

    done = await store.get(job.id)
    assert done.state is JobState.SUCCEEDED
    assert done.result == {"server_id": "srv-1"}
    assert done.error is None
    assert len(op.calls) == 1


async def test_step_sees_its_params_and_checkpoint_and_saves_progress(store: JobStore) -> None:
    async def create(ctx: StepContext) -> Wait:
        assert ctx.params.model_dump() == {"name": "web"}
        await ctx.save(Progress("create", "created srv-1"), server_id="srv-1")
        return Wait(10, Progress("boot", "booting"))

    async def poll(ctx: StepContext) -> Done:
        return Done({"id": ctx.checkpoint["server_id"]})

    op = Scripted(create, poll)
    job, _ = await store.enqueue(op.name, {"name": "web"})
    runner = make_runner(store, op)

    await run_due(store, runner)
    assert (await store.get(job.id)).checkpoint == {"server_id": "srv-1"}
    store.clock.advance(10)  # type: ignore[attr-defined]
    await run_due(store, runner)

    assert (await store.get(job.id)).result == {"id": "srv-1"}
    kinds = [e.kind for e in await store.events(job.id, limit=50)]
    assert kinds == ["enqueued", "claimed", "progress", "waiting", "claimed", "succeeded"]


async def test_wait_parks_the_job_until_its_run_after(store: JobStore, clock: ManualClock) -> None:
    op = Scripted(Wait(15, Progress("provisioning", "cluster creating", 0.3)), Done({}))
    job, _ = await store.enqueue(op.name, {})
    runner = make_runner(store, op)

    await run_due(store, runner)

    waiting = await store.get(job.id)
    assert waiting.state is JobState.WAITING
    assert waiting.run_after_at == clock.now() + 15
    assert waiting.progress == Progress("provisioning", "cluster creating", 0.3)
    assert waiting.lease_owner is None
    assert await run_due(store, runner) == []  # not due yet: the step is not run again
    assert len(op.calls) == 1
    clock.advance(15)
    assert await run_due(store, runner) == [job.id]
    assert (await store.get(job.id)).state is JobState.SUCCEEDED


async def test_transient_errors_are_retried_by_the_runner_with_growing_delays(
    store: JobStore, clock: ManualClock
) -> None:
    op = Scripted(
        TransientError("API 503"),
        TransientError("API 503"),
        TransientError("timeout"),
        Done({"ok": True}),
    )
    job, _ = await store.enqueue(op.name, {}, max_attempts=5)
    runner = make_runner(store, op)
    delays = []

    for _ in range(3):
        assert await run_due(store, runner) == [job.id]
        parked = await store.get(job.id)
        assert parked.state is JobState.WAITING
        delays.append(parked.run_after_at - clock.now())
        assert await run_due(store, runner) == []  # not before its delay
        clock.advance(delays[-1])

    await run_due(store, runner)
    done = await store.get(job.id)
    assert delays == [5.0, 10.0, 20.0]  # base 5 s doubling; the fixed random draws no jitter
    assert done.state is JobState.SUCCEEDED
    assert done.attempts == 3
    assert done.result == {"ok": True}
    assert [e.message for e in await store.events(job.id, limit=50) if e.kind == "retry"] == [
        "API 503",
        "API 503",
        "timeout",
    ]


async def test_transient_errors_fail_the_job_after_max_attempts(
    store: JobStore, clock: ManualClock
) -> None:
    op = Scripted(*(RateLimited("API 429: slow down") for _ in range(3)))
    job, _ = await store.enqueue(op.name, {}, max_attempts=3)
    runner = make_runner(store, op)

    for _ in range(3):
        await run_due(store, runner)
        clock.advance(1000)

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED
    assert failed.error == "gave up after 3 attempts: API 429: slow down"
    assert failed.attempts == 2  # two retries counted, the third attempt failed the job
    assert len(op.calls) == 3
    assert await run_due(store, runner) == []


async def test_permanent_error_fails_the_job_at_once_with_its_message(store: JobStore) -> None:
    op = Scripted(PermanentError("server type GP1-XL is not available in fr-par-1"))
    job, _ = await store.enqueue(op.name, {}, max_attempts=5)

    await run_due(store, make_runner(store, op))

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED
    assert failed.error == "server type GP1-XL is not available in fr-par-1"
    assert failed.attempts == 0


async def test_unexpected_exception_fails_without_leaking_its_message(
    store: JobStore, clock: ManualClock
) -> None:
    op = Scripted(KeyError("internal detail at /home/ops/.config"))
    job, _ = await store.enqueue(op.name, {}, max_attempts=1)

    await run_due(store, make_runner(store, op))

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED
    assert "KeyError" in failed.error
    assert "internal detail" not in failed.error
    assert "/home/ops" not in failed.error


async def test_unexpected_exception_is_retried_like_a_transient_one(
    store: JobStore, clock: ManualClock
) -> None:
    op = Scripted(ConnectionResetError("reset"), Done({}))
    job, _ = await store.enqueue(op.name, {}, max_attempts=3)
    runner = make_runner(store, op)

    await run_due(store, runner)
    assert (await store.get(job.id)).state is JobState.WAITING
    clock.advance(5)
    await run_due(store, runner)
    assert (await store.get(job.id)).state is JobState.SUCCEEDED


@pytest.mark.parametrize(
    "error",
    [
        PermanentError(f"403 forbidden for key {FAKE_SECRET}"),
        TransientError(f"timeout; headers {{'X-Auth-Token': '{FAKE_SECRET}'}}"),
    ],
    ids=["permanent", "transient"],
)
async def test_a_secret_never_reaches_the_stored_error_or_events(
    store: JobStore, clock: ManualClock, error: Exception
) -> None:
    op = Scripted(error, error)
    job, _ = await store.enqueue(op.name, {}, max_attempts=2)
    runner = make_runner(store, op, secrets=(FAKE_SECRET,))

    await run_due(store, runner)
    clock.advance(1000)
    await run_due(store, runner)

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED
    assert failed.error
    assert FAKE_SECRET not in failed.error
    assert "[REDACTED]" in failed.error
    for event in await store.events(job.id, limit=50):
        assert FAKE_SECRET not in event.message


async def test_cancel_requested_during_a_step_cancels_at_the_step_boundary(
    store: JobStore,
) -> None:
    async def create_then_user_cancels(ctx: StepContext) -> Wait:
        await ctx.save(server_id="srv-1")
        await store.request_cancel(ctx.job.id)  # the user, while the step runs
        assert (await store.get(ctx.job.id)).state is JobState.RUNNING
        return Wait(30)

    op = Scripted(create_then_user_cancels)
    job, _ = await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op))

    cancelled = await store.get(job.id)
    assert cancelled.state is JobState.CANCELLED
    assert cancelled.result == {"left_behind": "srv-1"}
    assert cancelled.checkpoint == {"server_id": "srv-1"}
    assert len(op.cancelled) == 1


async def test_flagged_job_reclaimed_after_a_crash_is_cancelled_without_running_a_step(
    store: JobStore, clock: ManualClock
) -> None:
    op = Scripted(Done({}))
    job, _ = await store.enqueue(op.name, {})
    await store.claim("crashed", limit=1, lease_s=10)
    await store.request_cancel(job.id)
    clock.advance(11)

    await run_due(store, make_runner(store, op, owner="w2"))

    assert (await store.get(job.id)).state is JobState.CANCELLED
    assert op.calls == []
    assert len(op.cancelled) == 1


async def test_on_cancel_failure_still_cancels_the_job(store: JobStore) -> None:
    class Broken(Scripted):
        async def on_cancel(self, ctx: StepContext) -> None:
            raise RuntimeError("cannot describe")

    async def user_cancels(ctx: StepContext) -> Wait:
        await store.request_cancel(ctx.job.id)
        return Wait(1)

    op = Broken(user_cancels)
    job, _ = await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op))

    assert (await store.get(job.id)).state is JobState.CANCELLED


async def test_unknown_operation_fails_the_job_naming_it(store: JobStore) -> None:
    job, _ = await store.enqueue("nobody.knows", {})

    await run_due(store, make_runner(store, Scripted()))

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED
    assert "nobody.knows" in failed.error


async def test_stored_params_that_no_longer_validate_fail_the_job_without_a_step(
    store: JobStore,
) -> None:
    from pydantic import BaseModel

    class Strict(BaseModel):
        size: int

    class Sized(Scripted):
        params_model = Strict

    op = Sized(Done({}))
    job, _ = await store.enqueue(op.name, {"size": "huge"})

    await run_due(store, make_runner(store, op))

    assert (await store.get(job.id)).state is JobState.FAILED
    assert op.calls == []


async def test_runner_that_lost_its_lease_does_not_overwrite_the_new_owner(
    store: JobStore, clock: ManualClock
) -> None:
    async def stall_past_the_lease(ctx: StepContext) -> Done:
        clock.advance(31)
        [taken] = await store.claim("w2", limit=1, lease_s=30)
        assert taken.id == ctx.job.id
        return Done({"by": "w1"})

    op = Scripted(stall_past_the_lease)
    job, _ = await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op, owner="w1"))  # does not raise

    row = await store.get(job.id)
    assert row.state is JobState.RUNNING
    assert row.lease_owner == "w2"
    assert row.result is None


async def test_runner_renews_the_lease_while_a_long_step_runs(
    store: JobStore, clock: ManualClock
) -> None:
    import anyio

    async def long_step(ctx: StepContext) -> Done:
        clock.advance(100)
        # The renewal runs every lease_s / 3 of real time; wait (bounded) until one lands.
        for _ in range(500):
            if (await store.get(ctx.job.id)).lease_expires_at == clock.now() + 0.03:
                return Done({"renewed": True})
            await anyio.sleep(0.01)
        return Done({"renewed": False})

    op = Scripted(long_step)
    job, _ = await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op, lease_s=0.03))

    assert (await store.get(job.id)).result == {"renewed": True}


class Touching(Scripted):
    touches = ("server", "ip")


@pytest.mark.parametrize(
    "outcome",
    [Done({}), Wait(5), PermanentError("no")],
    ids=["done", "wait", "failed"],
)
async def test_services_are_told_which_kinds_an_operation_touched(
    store: JobStore, outcome: object
) -> None:
    services = RecordingServices()
    op = Touching(outcome)  # type: ignore[arg-type]
    await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op, services=services))

    assert services.touched_kinds == [("server", "ip")]


async def test_services_are_not_told_anything_by_an_operation_that_touches_nothing(
    store: JobStore,
) -> None:
    services = RecordingServices()
    op = Scripted(Done({}))
    await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op, services=services))

    assert services.touched_kinds == []


async def test_step_is_stopped_when_its_lease_renewal_finds_another_owner(
    store: JobStore, clock: ManualClock, open_db
) -> None:
    import anyio

    # Another process whose clock is far ahead: to it, w1's lease has always expired, even
    # if w1 renews it while the claim below is under way.
    other = JobStore(open_db(), clock=ManualClock(start=clock.now() + 1000))
    stopped = anyio.Event()

    async def reclaimed_while_working(ctx: StepContext) -> Done:
        # PostgreSQL's SKIP LOCKED passes over the row while a heartbeat of w1 holds it:
        # the other process simply claims again, as its poll would.
        while True:
            taken = await other.claim("w2", limit=1, lease_s=30)
            if taken:
                break
            await anyio.sleep(0.001)
        assert [j.id for j in taken] == [ctx.job.id]
        try:
            await anyio.sleep_forever()
        finally:
            stopped.set()
        raise AssertionError("unreachable")

    op = Scripted(reclaimed_while_working)
    job, _ = await store.enqueue(op.name, {})

    with anyio.fail_after(10):  # a safety net, not a timing assertion
        await run_due(store, make_runner(store, op, lease_s=0.03))

    assert stopped.is_set()
    row = await store.get(job.id)
    assert (row.state, row.lease_owner, row.result) == (JobState.RUNNING, "w2", None)


class _Found:
    id = "srv-lost"


class _CreatesThenFails(Scripted):
    """A create whose id never reached the checkpoint; its look-up finds the server."""

    traces = (Trace("server_id", lambda ctx: _found()),)


async def _found() -> _Found:
    return _Found()


async def _unreachable() -> None:
    raise TransientError("API unreachable")


class _CannotLook(Scripted):
    traces = (Trace("server_id", lambda ctx: _unreachable()),)


async def test_a_failing_create_names_what_its_look_up_finds(store: JobStore) -> None:
    op = _CreatesThenFails(PermanentError("quota exceeded"))
    job, _ = await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op))

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED
    assert failed.error is not None and "srv-lost" in failed.error
    assert failed.result == {"created": {"server_id": "srv-lost"}}


async def test_a_failing_create_whose_look_up_fails_says_what_may_exist(store: JobStore) -> None:
    op = _CannotLook(PermanentError("quota exceeded"))
    job, _ = await store.enqueue(op.name, {})

    await run_due(store, make_runner(store, op))

    failed = await store.get(job.id)
    assert failed.error is not None and f"tagged job:{job.id} may exist" in failed.error
    assert failed.result is not None and failed.result["created"] == "unknown"


async def test_a_create_given_up_after_crashes_names_what_it_created(
    store: JobStore, clock: ManualClock
) -> None:
    op = _CreatesThenFails(Done({}))
    job, _ = await store.enqueue(op.name, {}, max_attempts=1)
    await store.claim("dead-process", limit=1, lease_s=1)  # then SIGKILLed mid-create
    clock.advance(2)

    await run_due(store, make_runner(store, op))

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED and op.calls == []
    assert failed.error is not None and "its worker stopped" in failed.error
    assert "srv-lost" in failed.error
    assert failed.result == {"created": {"server_id": "srv-lost"}}


async def test_a_step_that_lost_its_lease_never_reaches_its_create(
    store: JobStore, clock: ManualClock
) -> None:
    created: list[str] = []

    async def starved_create(ctx: StepContext) -> Done:
        # The worker was starved past its lease, and another worker took the job over.
        clock.advance(31)
        assert [j.id for j in await store.claim("w2", limit=1, lease_s=30)] == [ctx.job.id]
        await check_lease()  # what ScalewayClient.create_once does right before the POST
        created.append("server")
        return Done({})

    op = Scripted(starved_create)
    job, _ = await store.enqueue(op.name, {})
    await run_due(store, make_runner(store, op))

    assert created == []
    taken = await store.get(job.id)
    assert taken.state is JobState.RUNNING and taken.lease_owner == "w2"


async def test_the_lease_check_renews_the_lease_of_a_step_that_still_owns_its_job(
    store: JobStore, clock: ManualClock
) -> None:
    async def slow_create(ctx: StepContext) -> Done:
        clock.advance(20)
        await check_lease()
        clock.advance(20)  # past the first lease, within the renewed one
        assert await store.claim("w2", limit=1, lease_s=30) == []
        return Done({"ok": True})

    op = Scripted(slow_create)
    job, _ = await store.enqueue(op.name, {})
    await run_due(store, make_runner(store, op))

    assert (await store.get(job.id)).state is JobState.SUCCEEDED
