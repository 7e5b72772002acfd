"""Listing jobs: filters, newest first, and cursor pagination that never skips or repeats."""

from __future__ import annotations

import base64

import pytest

from jobs.clock import ManualClock
from jobs.models import Job
from jobs.states import JobState
from jobs.store import MAX_PAGE_SIZE, JobStore

pytestmark = pytest.mark.anyio


async def enqueue_spread(store: JobStore, clock: ManualClock, n: int, op: str = "op") -> list[Job]:
    jobs = []
    for i in range(n):
        jobs.append((await store.enqueue(op, {"i": i}))[0])
        clock.advance(1)
    return jobs


async def all_pages(store: JobStore, **filters: object) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = await store.list_jobs(cursor=cursor, **filters)  # type: ignore[arg-type]
        pages.append([j.id for j in page.jobs])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 100, "pagination does not end"


async def test_list_is_newest_first(store: JobStore, clock: ManualClock) -> None:
    jobs = await enqueue_spread(store, clock, 4)
    page = await store.list_jobs()
    assert [j.id for j in page.jobs] == [j.id for j in reversed(jobs)]
    assert page.next_cursor is None


async def test_list_of_an_empty_store_is_empty(store: JobStore) -> None:
    page = await store.list_jobs()
    assert page.jobs == [] and page.next_cursor is None


async def test_list_filters_by_state(store: JobStore, clock: ManualClock) -> None:
    queued, running, cancelled = await enqueue_spread(store, clock, 3)
    await store.request_cancel(cancelled.id)
    claimed = await store.claim("w1", limit=1, lease_s=30)
    assert [j.id for j in claimed] == [queued.id]

    only_running = await store.list_jobs(states=[JobState.RUNNING])
    live = await store.list_jobs(states=[JobState.QUEUED, JobState.RUNNING])
    assert [j.id for j in only_running.jobs] == [queued.id]
    assert [j.id for j in live.jobs] == [running.id, queued.id]
    assert (await store.list_jobs(states=[JobState.FAILED])).jobs == []


async def test_list_filters_by_operation(store: JobStore, clock: ManualClock) -> None:
    a = await enqueue_spread(store, clock, 2, op="k8s.create_cluster")
    await enqueue_spread(store, clock, 2, op="instance.create_server")

    page = await store.list_jobs(operation="k8s.create_cluster")

    assert [j.id for j in page.jobs] == [a[1].id, a[0].id]


async def test_list_filters_by_creation_time_after_inclusive_before_exclusive(
    store: JobStore, clock: ManualClock
) -> None:
    t0 = clock.now()
    jobs = await enqueue_spread(store, clock, 5)  # created at t0, t0+1, ... t0+4

    page = await store.list_jobs(created_after=t0 + 1, created_before=t0 + 3)

    assert [j.id for j in page.jobs] == [jobs[2].id, jobs[1].id]
    assert [j.id for j in (await store.list_jobs(created_after=t0 + 4)).jobs] == [jobs[4].id]
    assert [j.id for j in (await store.list_jobs(created_before=t0 + 1)).jobs] == [jobs[0].id]


async def test_list_filters_combine(store: JobStore, clock: ManualClock) -> None:
    t0 = clock.now()
    a = await enqueue_spread(store, clock, 3, op="a")
    await enqueue_spread(store, clock, 3, op="b")
    await store.request_cancel(a[2].id)

    page = await store.list_jobs(states=[JobState.QUEUED], operation="a", created_after=t0 + 1)

    assert [j.id for j in page.jobs] == [a[1].id]


@pytest.mark.parametrize("same_instant", [False, True], ids=["spread", "same-instant"])
@pytest.mark.parametrize("limit", [1, 3, 7, 25])
async def test_paging_with_the_cursor_covers_every_job_exactly_once_newest_first(
    store: JobStore, clock: ManualClock, limit: int, same_instant: bool
) -> None:
    jobs = []
    for i in range(23):
        jobs.append((await store.enqueue("op", {"i": i}))[0])
        if not same_instant:
            clock.advance(0.1)  # binary fractions: the cursor must carry the exact float

    pages = await all_pages(store, limit=limit)
    seen = [job_id for page in pages for job_id in page]

    assert sorted(seen) == sorted(j.id for j in jobs)
    assert len(seen) == len(set(seen))
    assert all(len(page) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= limit
    listed = {j.id: j for j in jobs}
    keys = [(listed[i].created_at, i) for i in seen]
    assert keys == sorted(keys, reverse=True)


async def test_paging_with_a_filter_stays_within_the_filter(
    store: JobStore, clock: ManualClock
) -> None:
    wanted = await enqueue_spread(store, clock, 5, op="a")
    await enqueue_spread(store, clock, 5, op="b")

    pages = await all_pages(store, operation="a", limit=2)

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [j.id for j in reversed(wanted)]


async def test_jobs_created_after_a_page_was_read_do_not_shift_the_next_page(
    store: JobStore, clock: ManualClock
) -> None:
    old = await enqueue_spread(store, clock, 4)
    first = await store.list_jobs(limit=2)
    await enqueue_spread(store, clock, 3)

    second = await store.list_jobs(limit=2, cursor=first.next_cursor)

    assert [j.id for j in second.jobs] == [old[1].id, old[0].id]
    assert second.next_cursor is None


async def test_list_limit_is_clamped_to_the_page_size_bounds(
    store: JobStore, clock: ManualClock
) -> None:
    await enqueue_spread(store, clock, MAX_PAGE_SIZE + 2)

    assert len((await store.list_jobs(limit=0)).jobs) == 1
    big = await store.list_jobs(limit=10_000)
    assert len(big.jobs) == MAX_PAGE_SIZE
    assert big.next_cursor is not None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "abc",
        base64.urlsafe_b64encode(b"no separator").decode(),
        base64.urlsafe_b64encode(b"yesterday|some-id").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe|x").decode(),
    ],
)
async def test_list_with_a_cursor_it_did_not_make_raises_value_error(
    store: JobStore, cursor: str
) -> None:
    with pytest.raises(ValueError, match="cursor"):
        await store.list_jobs(cursor=cursor)
