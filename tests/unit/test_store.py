"""The job store over a real SQLite file, on a manual clock: every write and read."""

from __future__ import annotations

import pytest

from jobs.clock import ManualClock
from jobs.errors import InvalidTransition, JobNotFound, LeaseLost
from jobs.models import Job, Progress
from jobs.states import JobState
from jobs.store import JobStore

pytestmark = pytest.mark.anyio

OP = "test.op"
LEASE_S = 30.0


async def claim_one(store: JobStore, owner: str = "w1", lease_s: float = LEASE_S) -> Job:
    claimed = await store.claim(owner, limit=1, lease_s=lease_s)
    assert len(claimed) == 1, claimed
    return claimed[0]


async def event_kinds(store: JobStore, job_id: str) -> list[str]:
    return [e.kind for e in await store.events(job_id, limit=100)]


# -- enqueue ----------------------------------------------------------------------------


async def test_enqueue_creates_a_queued_job_due_now(store: JobStore, clock: ManualClock) -> None:
    job, created = await store.enqueue(OP, {"name": "web-1"}, max_attempts=3)

    assert created
    assert job.state is JobState.QUEUED
    assert job.operation == OP
    assert job.params == {"name": "web-1"}
    assert job.attempts == 0
    assert job.max_attempts == 3
    assert job.run_after_at == clock.now()
    assert job.created_at == job.updated_at == clock.now()
    assert job.lease_owner is None
    assert job.checkpoint == {}
    assert job.result is None and job.error is None
    assert not job.cancel_requested
    assert await store.get(job.id) == job


async def test_enqueue_gives_every_job_its_own_id(store: JobStore) -> None:
    ids = {(await store.enqueue(OP, {}))[0].id for _ in range(5)}
    assert len(ids) == 5


async def test_enqueue_with_a_known_idempotency_key_returns_the_existing_job(
    store: JobStore, clock: ManualClock
) -> None:
    first, created_first = await store.enqueue(OP, {"n": 1}, idempotency_key="create-web-1")
    clock.advance(5)
    second, created_second = await store.enqueue(OP, {"n": 2}, idempotency_key="create-web-1")

    assert created_first and not created_second
    assert second == first
    assert second.params == {"n": 1}
    page = await store.list_jobs()
    assert [j.id for j in page.jobs] == [first.id]


async def test_enqueue_with_different_idempotency_keys_creates_two_jobs(store: JobStore) -> None:
    a, _ = await store.enqueue(OP, {}, idempotency_key="a")
    b, created = await store.enqueue(OP, {}, idempotency_key="b")
    assert created and a.id != b.id


async def test_idempotency_key_still_returns_the_job_once_it_finished(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {}, idempotency_key="k")
    await claim_one(store)
    await store.finish(job.id, "w1", {"ok": True}, checkpoint={})

    again, created = await store.enqueue(OP, {}, idempotency_key="k")

    assert not created
    assert again.id == job.id and again.state is JobState.SUCCEEDED


async def test_a_derived_key_joins_a_recent_success_but_not_an_old_one_nor_a_failure(
    store: JobStore, clock: ManualClock
) -> None:
    async def equal_call() -> tuple[Job, bool]:
        return await store.enqueue(
            OP, {}, idempotency_key="same", reuse_finished=False, reuse_succeeded_within_s=900
        )

    done, _ = await equal_call()
    await claim_one(store)
    await store.finish(done.id, "w1", {"ok": True}, checkpoint={})
    clock.advance(899)
    recent, created = await equal_call()
    assert (recent.id, created) == (done.id, False)
    clock.advance(2)
    later, created = await equal_call()
    assert created and later.id != done.id

    await claim_one(store)
    await store.fail(later.id, "w1", "quota exceeded", checkpoint={})
    retry, created = await equal_call()
    assert created and retry.id != later.id  # a failed create is tried again


async def test_enqueue_records_an_enqueued_event(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    [event] = await store.events(job.id)
    assert (event.kind, event.state, event.message) == ("enqueued", JobState.QUEUED, OP)


# -- claim ------------------------------------------------------------------------------


async def test_claim_takes_a_due_job_and_leases_it(store: JobStore, clock: ManualClock) -> None:
    job, _ = await store.enqueue(OP, {})

    claimed = await claim_one(store, "w1", lease_s=30)

    assert claimed.id == job.id
    assert claimed.state is JobState.RUNNING
    assert claimed.lease_owner == "w1"
    assert claimed.lease_expires_at == clock.now() + 30
    assert claimed.started_at == clock.now()
    assert await store.get(job.id) == claimed


async def test_claim_takes_each_job_once(store: JobStore) -> None:
    await store.enqueue(OP, {})
    await claim_one(store, "w1")
    assert await store.claim("w2", limit=5, lease_s=LEASE_S) == []


async def test_claim_respects_the_limit_and_takes_the_oldest_due_first(
    store: JobStore, clock: ManualClock
) -> None:
    now = clock.now()
    late, _ = await store.enqueue(OP, {"n": "late"}, run_after_at=now - 1)
    early, _ = await store.enqueue(OP, {"n": "early"}, run_after_at=now - 30)
    middle, _ = await store.enqueue(OP, {"n": "middle"}, run_after_at=now - 10)

    first = await store.claim("w1", limit=2, lease_s=LEASE_S)
    rest = await store.claim("w1", limit=2, lease_s=LEASE_S)

    assert sorted(j.id for j in first) == sorted([early.id, middle.id])
    assert [j.id for j in rest] == [late.id]


async def test_claim_with_no_room_takes_nothing(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    assert await store.claim("w1", limit=0, lease_s=LEASE_S) == []
    assert (await store.get(job.id)).state is JobState.QUEUED


async def test_claim_on_an_empty_table_returns_nothing(store: JobStore) -> None:
    assert await store.claim("w1", limit=10, lease_s=LEASE_S) == []


async def test_job_enqueued_for_later_is_claimable_only_once_due(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue(OP, {}, run_after_at=clock.now() + 60)

    assert await store.claim("w1", limit=1, lease_s=LEASE_S) == []
    clock.advance(60)
    assert (await claim_one(store)).id == job.id


async def test_waiting_job_is_not_claimable_before_run_after_and_is_after(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.park(
        job.id,
        "w1",
        run_after_at=clock.now() + 15,
        checkpoint={"cluster_id": "c-1"},
        progress=Progress("provisioning", "cluster is creating", 0.2),
    )

    waiting = await store.get(job.id)
    assert waiting.state is JobState.WAITING
    assert waiting.lease_owner is None and waiting.lease_expires_at is None
    assert waiting.checkpoint == {"cluster_id": "c-1"}
    assert waiting.progress == Progress("provisioning", "cluster is creating", 0.2)

    clock.advance(14.9)
    assert await store.claim("w2", limit=1, lease_s=LEASE_S) == []
    clock.advance(0.1)
    again = await claim_one(store, "w2")
    assert again.id == job.id
    assert again.lease_owner == "w2"
    assert again.checkpoint == {"cluster_id": "c-1"}
    assert again.started_at == waiting.started_at  # the first start is kept


async def test_expired_lease_makes_a_running_job_claimable_again(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "dead-worker", lease_s=10)

    clock.advance(10.5)
    taken = await claim_one(store, "w2", lease_s=10)

    assert taken.id == job.id
    assert taken.lease_owner == "w2"
    assert taken.lease_expires_at == clock.now() + 10
    events = await store.events(job.id)
    assert [e.kind for e in events] == ["enqueued", "claimed", "reclaimed"]
    assert events[-1].message == "claimed by w2"


async def test_live_lease_keeps_a_running_job_from_other_workers(
    store: JobStore, clock: ManualClock
) -> None:
    await store.enqueue(OP, {})
    await claim_one(store, "w1", lease_s=10)

    clock.advance(9)
    assert await store.claim("w2", limit=1, lease_s=10) == []


async def test_finished_jobs_are_never_claimed(store: JobStore, clock: ManualClock) -> None:
    ok, _ = await store.enqueue(OP, {})
    await claim_one(store)
    await store.finish(ok.id, "w1", {}, checkpoint={})
    bad, _ = await store.enqueue(OP, {})
    await claim_one(store)
    await store.fail(bad.id, "w1", "boom", checkpoint={})
    gone, _ = await store.enqueue(OP, {})
    await store.request_cancel(gone.id)

    clock.advance(10_000)
    assert await store.claim("w2", limit=10, lease_s=LEASE_S) == []


# -- heartbeat and stale owners ---------------------------------------------------------


async def test_heartbeat_extends_the_lease(store: JobStore, clock: ManualClock) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1", lease_s=10)

    clock.advance(8)
    cancel = await store.heartbeat(job.id, "w1", lease_s=10)
    clock.advance(8)  # 16 s after the claim: past the first lease, within the renewed one

    assert cancel is False
    assert (await store.get(job.id)).lease_expires_at == clock.now() - 8 + 10
    assert await store.claim("w2", limit=1, lease_s=10) == []


async def test_heartbeat_reports_a_requested_cancel(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.request_cancel(job.id)
    assert await store.heartbeat(job.id, "w1", lease_s=LEASE_S) is True


async def test_heartbeat_by_a_worker_that_does_not_own_the_job_raises_lease_lost(
    store: JobStore,
) -> None:
    job, _ = await store.enqueue(OP, {})
    claimed = await claim_one(store, "w1")

    with pytest.raises(LeaseLost, match="w2"):
        await store.heartbeat(job.id, "w2", lease_s=LEASE_S)
    assert await store.get(job.id) == claimed


async def test_heartbeat_of_a_job_that_is_not_running_raises_lease_lost(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    with pytest.raises(LeaseLost):
        await store.heartbeat(job.id, "w1", lease_s=LEASE_S)


async def _reclaimed(store: JobStore, clock: ManualClock) -> Job:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "stale", lease_s=10)
    clock.advance(11)
    owned = await claim_one(store, "fresh", lease_s=10)
    await store.checkpoint(job.id, "fresh", {"step": "fresh's"})
    return await store.get(owned.id)


STALE_WRITES = {
    "heartbeat": lambda s, j: s.heartbeat(j, "stale", lease_s=10),
    "checkpoint": lambda s, j: s.checkpoint(j, "stale", {"step": "stale's"}),
    "set_progress": lambda s, j: s.set_progress(j, "stale", Progress("x", "stale")),
    "park": lambda s, j: s.park(
        j, "stale", run_after_at=0.0, checkpoint={"step": "stale's"}, progress=Progress()
    ),
    "retry_later": lambda s, j: s.retry_later(
        j, "stale", run_after_at=0.0, error="stale", checkpoint={}
    ),
    "release": lambda s, j: s.release(j, "stale"),
    "finish": lambda s, j: s.finish(j, "stale", {"by": "stale"}, checkpoint={}),
    "fail": lambda s, j: s.fail(j, "stale", "stale", checkpoint={}),
    "mark_cancelled": lambda s, j: s.mark_cancelled(j, "stale", None, checkpoint={}),
}


@pytest.mark.parametrize("write", sorted(STALE_WRITES))
async def test_write_by_a_stale_owner_after_reclaim_raises_lease_lost_and_changes_nothing(
    store: JobStore, clock: ManualClock, write: str
) -> None:
    before = await _reclaimed(store, clock)
    events_before = await store.events(before.id, limit=100)

    with pytest.raises(LeaseLost):
        await STALE_WRITES[write](store, before.id)

    assert await store.get(before.id) == before
    assert await store.events(before.id, limit=100) == events_before


# -- checkpoint and progress ------------------------------------------------------------


async def test_checkpoint_persists_and_survives_a_new_store(
    store: JobStore, clock: ManualClock, open_db
) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.checkpoint(
        job.id, "w1", {"server_id": "s-1", "ips": ["10.0.0.1"]}, progress=Progress("boot", "up")
    )

    reopened = JobStore(open_db(), clock=clock)
    saved = await reopened.get(job.id)
    assert saved.checkpoint == {"server_id": "s-1", "ips": ["10.0.0.1"]}
    assert saved.progress == Progress("boot", "up")
    assert saved.state is JobState.RUNNING
    assert (await reopened.events(job.id))[-1].kind == "progress"


async def test_checkpoint_without_progress_keeps_the_previous_progress(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.set_progress(job.id, "w1", Progress("phase-1", "working", 0.5))
    await store.checkpoint(job.id, "w1", {"a": 1})

    saved = await store.get(job.id)
    assert saved.progress == Progress("phase-1", "working", 0.5)
    assert saved.checkpoint == {"a": 1}


async def test_set_progress_records_progress_and_an_event(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.set_progress(job.id, "w1", Progress("copy", "copied 3 of 4", 0.75))

    assert (await store.get(job.id)).progress == Progress("copy", "copied 3 of 4", 0.75)
    last = (await store.events(job.id))[-1]
    assert (last.kind, last.state, last.message) == ("progress", None, "copied 3 of 4")


# -- outcomes ---------------------------------------------------------------------------


async def test_finish_stores_result_and_clears_the_lease(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    clock.advance(3)
    await store.finish(job.id, "w1", {"id": "srv-1"}, checkpoint={"created": True})

    done = await store.get(job.id)
    assert done.state is JobState.SUCCEEDED
    assert done.result == {"id": "srv-1"}
    assert done.checkpoint == {"created": True}
    assert done.finished_at == clock.now()
    assert done.lease_owner is None and done.lease_expires_at is None
    assert done.progress.fraction == 1.0


async def test_fail_stores_the_error(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.fail(job.id, "w1", "quota exceeded", checkpoint={})

    failed = await store.get(job.id)
    assert failed.state is JobState.FAILED
    assert failed.error == "quota exceeded"
    assert failed.finished_at is not None


async def test_retry_later_counts_the_attempt_and_parks_the_job(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.retry_later(
        job.id, "w1", run_after_at=clock.now() + 5, error="timeout", checkpoint={"a": 1}
    )

    parked = await store.get(job.id)
    assert parked.state is JobState.WAITING
    assert parked.attempts == 1
    assert parked.error == "timeout"
    assert parked.run_after_at == clock.now() + 5
    assert parked.lease_owner is None


async def test_release_hands_the_job_back_to_the_queue_at_once(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    clock.advance(2)
    await store.release(job.id, "w1")

    released = await store.get(job.id)
    assert released.state is JobState.QUEUED
    assert released.lease_owner is None
    assert (await claim_one(store, "w2")).id == job.id


async def test_a_finished_job_cannot_be_finished_again(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.finish(job.id, "w1", {"n": 1}, checkpoint={})

    with pytest.raises(LeaseLost):
        await store.fail(job.id, "w1", "late", checkpoint={})
    assert (await store.get(job.id)).result == {"n": 1}


# -- cancel -----------------------------------------------------------------------------


async def test_cancel_of_a_queued_job_is_immediate(store: JobStore, clock: ManualClock) -> None:
    job, _ = await store.enqueue(OP, {})
    clock.advance(1)

    cancelled = await store.request_cancel(job.id)

    assert cancelled.state is JobState.CANCELLED
    assert cancelled.finished_at == clock.now()
    assert await store.get(job.id) == cancelled
    assert (await store.events(job.id))[-1].kind == "cancelled"


async def test_cancel_of_a_waiting_job_is_immediate(store: JobStore, clock: ManualClock) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.park(
        job.id, "w1", run_after_at=clock.now() + 60, checkpoint={}, progress=Progress()
    )

    cancelled = await store.request_cancel(job.id)

    assert cancelled.state is JobState.CANCELLED
    clock.advance(120)
    assert await store.claim("w1", limit=1, lease_s=LEASE_S) == []


async def test_cancel_of_a_waiting_job_reports_what_it_already_made(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    await store.park(
        job.id,
        "w1",
        run_after_at=clock.now() + 60,
        checkpoint={"cluster_id": "k-1"},
        progress=Progress(),
    )

    cancelled = await store.request_cancel(job.id)

    assert cancelled.result == {"checkpoint": {"cluster_id": "k-1"}}


async def test_cancel_of_a_job_that_made_nothing_has_no_result(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    assert (await store.request_cancel(job.id)).result is None


async def test_cancel_of_a_running_job_only_flags_it(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    running = await claim_one(store, "w1")

    flagged = await store.request_cancel(job.id)

    assert flagged.state is JobState.RUNNING
    assert flagged.cancel_requested
    assert flagged.lease_owner == running.lease_owner == "w1"
    assert (await store.events(job.id))[-1].kind == "cancel_requested"
    # The worker learns it at its next step boundary and records the cancel itself.
    await store.mark_cancelled(job.id, "w1", {"created": "srv-1"}, checkpoint={})
    final = await store.get(job.id)
    assert final.state is JobState.CANCELLED
    assert final.result == {"created": "srv-1"}


@pytest.mark.parametrize("outcome", ["succeeded", "failed", "cancelled"])
async def test_cancel_of_a_finished_job_raises_invalid_transition_with_a_clear_message(
    store: JobStore, outcome: str
) -> None:
    job, _ = await store.enqueue(OP, {})
    if outcome == "cancelled":
        await store.request_cancel(job.id)
    else:
        await claim_one(store, "w1")
        if outcome == "succeeded":
            await store.finish(job.id, "w1", {}, checkpoint={})
        else:
            await store.fail(job.id, "w1", "boom", checkpoint={})
    before = await store.get(job.id)

    with pytest.raises(InvalidTransition) as caught:
        await store.request_cancel(job.id)

    message = str(caught.value)
    assert job.id in message
    assert f"already {outcome}" in message
    assert "queued, waiting or running" in message
    assert await store.get(job.id) == before


async def test_cancel_of_an_unknown_job_raises_job_not_found(store: JobStore) -> None:
    with pytest.raises(JobNotFound):
        await store.request_cancel("00000000-0000-0000-0000-000000000000")


# -- reading ----------------------------------------------------------------------------


async def test_get_of_an_unknown_job_raises_job_not_found_naming_it(store: JobStore) -> None:
    with pytest.raises(JobNotFound) as caught:
        await store.get("00000000-0000-0000-0000-000000000000")
    assert caught.value.job_id == "00000000-0000-0000-0000-000000000000"
    assert "00000000-0000-0000-0000-000000000000" in str(caught.value)


async def test_events_follow_every_transition_in_order(store: JobStore, clock: ManualClock) -> None:
    job, _ = await store.enqueue(OP, {})
    clock.advance(1)
    await claim_one(store, "w1")
    clock.advance(1)
    await store.set_progress(job.id, "w1", Progress("create", "creating"))
    clock.advance(1)
    await store.retry_later(job.id, "w1", run_after_at=clock.now(), error="503", checkpoint={})
    clock.advance(1)
    await claim_one(store, "w1")
    clock.advance(1)
    await store.park(
        job.id, "w1", run_after_at=clock.now(), checkpoint={}, progress=Progress("p", "polling")
    )
    clock.advance(1)
    await claim_one(store, "w2")
    clock.advance(1)
    await store.release(job.id, "w2")
    clock.advance(1)
    await claim_one(store, "w3")
    clock.advance(1)
    await store.finish(job.id, "w3", {}, checkpoint={})

    events = await store.events(job.id, limit=100)

    assert [(e.kind, e.state) for e in events] == [
        ("enqueued", JobState.QUEUED),
        ("claimed", JobState.RUNNING),
        ("progress", None),
        ("retry", JobState.WAITING),
        ("claimed", JobState.RUNNING),
        ("waiting", JobState.WAITING),
        ("claimed", JobState.RUNNING),
        ("released", JobState.QUEUED),
        ("claimed", JobState.RUNNING),
        ("succeeded", JobState.SUCCEEDED),
    ]
    assert [e.at for e in events] == [clock.now() - 9 + i for i in range(10)]
    assert events[3].message == "503"
    assert events[5].message == "polling"


async def test_events_limit_keeps_the_latest_oldest_first(store: JobStore) -> None:
    job, _ = await store.enqueue(OP, {})
    await claim_one(store, "w1")
    for n in range(5):
        await store.set_progress(job.id, "w1", Progress("p", f"message {n}"))

    events = await store.events(job.id, limit=3)

    assert [e.message for e in events] == ["message 2", "message 3", "message 4"]


async def test_events_of_one_job_do_not_include_another_jobs(store: JobStore) -> None:
    a, _ = await store.enqueue("op.a", {})
    b, _ = await store.enqueue("op.b", {})
    assert [e.message for e in await store.events(a.id)] == ["op.a"]
    assert [e.message for e in await store.events(b.id)] == ["op.b"]


async def test_next_due_at_is_none_without_pending_jobs(store: JobStore) -> None:
    assert await store.next_due_at() is None
    job, _ = await store.enqueue(OP, {})
    await claim_one(store)
    await store.finish(job.id, "w1", {}, checkpoint={})
    assert await store.next_due_at() is None


async def test_next_due_at_is_the_earliest_run_after_or_lease_expiry(
    store: JobStore, clock: ManualClock
) -> None:
    t0 = clock.now()
    await store.enqueue(OP, {}, run_after_at=t0 + 100)
    assert await store.next_due_at() == t0 + 100

    running, _ = await store.enqueue(OP, {}, run_after_at=t0)
    await store.claim("w1", limit=1, lease_s=40)  # takes the one due now
    assert (await store.get(running.id)).state is JobState.RUNNING
    assert await store.next_due_at() == t0 + 40

    waiting, _ = await store.enqueue(OP, {}, run_after_at=t0)
    await store.claim("w1", limit=1, lease_s=40)
    await store.park(waiting.id, "w1", run_after_at=t0 + 7, checkpoint={}, progress=Progress())
    assert await store.next_due_at() == t0 + 7


async def test_count_by_state_counts_every_state(store: JobStore) -> None:
    for _ in range(3):
        await store.enqueue(OP, {})
    job = await claim_one(store)
    await store.finish(job.id, "w1", {}, checkpoint={})
    await claim_one(store)

    assert await store.count_by_state() == {
        JobState.QUEUED: 1,
        JobState.RUNNING: 1,
        JobState.SUCCEEDED: 1,
    }
