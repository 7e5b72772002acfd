"""Batches: children enqueued once each, at most ``concurrency`` at a time, counted into the
parent's progress and result; a failed child fails the batch; a cancel stops the unstarted."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from jobs.clock import ManualClock
from jobs.models import Job
from jobs.states import JobState
from jobs.store import JobStore
from tests.unit.fakes import make_runner, run_due
from workers.children import Children, child_index
from workers.errors import PermanentError
from workers.operations.batch import CREATE_BATCH, BatchChild, CreateBatchParams, Tally
from workers.runner import JobRunner
from workers.steps import Done, Operation, StepContext, StepOutcome

pytestmark = pytest.mark.anyio


class ChildParams(BaseModel):
    name: str
    fail: bool = False


class MakeThing(Operation[ChildParams]):
    """A child that creates a thing at once, or fails when told to."""

    name: ClassVar[str] = "test.make_thing"
    params_model = ChildParams

    async def step(self, ctx: StepContext[ChildParams]) -> StepOutcome:
        if ctx.params.fail:
            raise PermanentError(f"no room for {ctx.params.name}")
        return Done({"thing_id": f"id-{ctx.params.name}", "name": ctx.params.name, "x": [1]})


def batch_params(count: int, concurrency: int, failing: frozenset[int] = frozenset()) -> dict:
    children = [
        BatchChild(label=f"web-{i}", params={"name": f"web-{i}", "fail": i in failing})
        for i in range(count)
    ]
    return CreateBatchParams(
        operation=MakeThing.name, children=children, concurrency=concurrency
    ).model_dump(mode="json")


def runner_for(store: JobStore) -> JobRunner:
    return make_runner(store, CREATE_BATCH, MakeThing())


async def run_to_end(store: JobStore, runner: JobRunner, parent: Job, limit: int) -> list[int]:
    """Run due jobs until the parent ends; the active children seen after each round."""
    actives = []
    for _ in range(100):
        await run_due(store, runner)
        children = await store.children(parent.id)
        actives.append(sum(1 for c in children if not c.state.is_terminal))
        if (await store.get(parent.id)).state.is_terminal:
            return actives
    raise AssertionError("the batch never ended")


def test_the_tally_counts_children_and_words_the_progress() -> None:
    tally = Tally(total=10, succeeded=3, failed=1, active=4)
    assert tally.message() == "3 of 10 done, 1 failed, 4 running, 2 pending"
    assert tally.fraction == 0.4
    assert Tally(total=2, succeeded=2).message() == "2 of 2 done"


async def test_children_run_at_most_concurrency_at_once_and_each_is_created_once(
    store: JobStore,
) -> None:
    runner = runner_for(store)
    parent, _ = await store.enqueue(CREATE_BATCH.name, batch_params(7, concurrency=3))

    actives = await run_to_end(store, runner, parent, limit=3)

    assert max(actives) <= 3
    done = await store.get(parent.id)
    assert done.state is JobState.SUCCEEDED
    assert done.result is not None
    assert (done.result["total"], done.result["succeeded"], done.result["failed"]) == (7, 7, 0)
    children = await store.children(parent.id)
    assert sorted(child_index(c) or 0 for c in children) == list(range(7))
    assert all(c.parent_id == parent.id and c.operation == MakeThing.name for c in children)
    lines = done.result["children"]
    assert [line["name"] for line in lines] == [f"web-{i}" for i in range(7)]
    # The report keeps a child's ids and name, not its whole result.
    assert lines[0]["result"] == {"thing_id": "id-web-0", "name": "web-0"}
    assert {line["job_id"] for line in lines} == {c.id for c in children}


async def test_progress_counts_the_children(store: JobStore, clock: ManualClock) -> None:
    runner = runner_for(store)
    parent, _ = await store.enqueue(CREATE_BATCH.name, batch_params(4, concurrency=2))

    await run_due(store, runner)  # the parent enqueues two children and waits

    waiting = await store.get(parent.id)
    assert waiting.state is JobState.WAITING
    assert waiting.progress.message == "0 of 4 done, 2 running, 2 pending"
    assert waiting.progress.fraction == 0.0
    await run_due(store, runner)  # both children succeed and wake the parent at once
    assert (await store.get(parent.id)).run_after_at <= clock.now()
    await run_due(store, runner)
    assert (await store.get(parent.id)).progress.message == "2 of 4 done, 2 running"


async def test_a_parent_resumed_after_a_crash_never_enqueues_a_child_twice(
    store: JobStore, clock: ManualClock
) -> None:
    runner = runner_for(store)
    parent, _ = await store.enqueue(CREATE_BATCH.name, batch_params(5, concurrency=3))
    (claimed,) = await store.claim("dying", limit=1, lease_s=30)
    # The step enqueues its children, then its worker dies before the outcome is saved.
    ctx = runner._context(claimed, CREATE_BATCH.params_model.model_validate(claimed.params))
    await CREATE_BATCH.step(ctx)
    first = {c.id for c in await store.children(parent.id)}
    assert len(first) == 3

    clock.advance(31)  # the lease expires; another worker takes the parent over
    actives = await run_to_end(store, runner, parent, limit=3)

    assert max(actives) <= 3
    assert (await store.get(parent.id)).state is JobState.SUCCEEDED
    children = await store.children(parent.id)
    assert sorted(child_index(c) or 0 for c in children) == [0, 1, 2, 3, 4]
    assert first <= {c.id for c in children}
    again = await Children(store, claimed, runner.still_there).enqueue(
        0, MakeThing.name, {"name": "web-0"}
    )
    assert again.id == next(c.id for c in children if child_index(c) == 0)


async def test_a_failed_child_fails_the_batch_and_the_report_names_each_child(
    store: JobStore,
) -> None:
    runner = runner_for(store)
    parent, _ = await store.enqueue(
        CREATE_BATCH.name, batch_params(4, concurrency=4, failing=frozenset({2}))
    )

    await run_to_end(store, runner, parent, limit=4)

    failed = await store.get(parent.id)
    assert failed.state is JobState.FAILED
    assert failed.error is not None
    assert "1 failed of 4 children (3 succeeded" in failed.error
    assert "child 2 (web-2): no room for web-2" in failed.error
    assert failed.result is not None
    states = [line["state"] for line in failed.result["children"]]
    assert states == ["succeeded", "succeeded", "failed", "succeeded"]
    assert failed.result["children"][2]["error"] == "no room for web-2"


async def test_cancelling_the_batch_cancels_queued_children_and_lets_running_ones_end(
    store: JobStore,
) -> None:
    runner = runner_for(store)
    parent, _ = await store.enqueue(CREATE_BATCH.name, batch_params(5, concurrency=2))
    await run_due(store, runner)  # children 0 and 1 queued
    (running,) = await store.claim("other-worker", limit=1, lease_s=30)
    assert running.parent_id == parent.id

    # cancel_job with no free worker: the batch words what exists, then is cancelled.
    left = await runner.what_exists(await store.get(parent.id))
    await store.request_cancel(parent.id, result=left)

    cancelled = await store.get(parent.id)
    assert cancelled.state is JobState.CANCELLED
    children = {child_index(c): c for c in await store.children(parent.id)}
    assert len(children) == 2  # children 2-4 were never enqueued
    queued = next(c for c in children.values() if c.id != running.id)
    assert queued.state is JobState.CANCELLED
    assert children[child_index(running)].state is JobState.RUNNING
    assert cancelled.result is not None
    lines = cancelled.result["children"]
    assert [line["state"] for line in lines[2:]] == ["not_started"] * 3
    note = cancelled.result["note"]
    assert note.startswith("children cancelled before they started: 1; never enqueued: 3; still")
    assert "still running: 1 (they run to their end" in note
