"""Retry decisions: tenacity inside a step, and the runner's growing, capped, jittered delays."""

from __future__ import annotations

import random

import pytest

from workers.errors import PermanentError, RateLimited, TransientError
from workers.retry import RetryPolicy, call_with_retries, runner_backoff_s

pytestmark = pytest.mark.anyio

NO_JITTER = RetryPolicy(attempts=4, initial_s=0.5, max_s=8.0, jitter_s=0.0)


class Script:
    """An async callable that raises its errors in order, then returns ``value``."""

    def __init__(self, *errors: Exception, value: str = "ok") -> None:
        self.errors = list(errors)
        self.value = value
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.value


class Sleeps:
    """A sleep that only records how long it was asked to sleep."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


async def test_success_at_first_try_does_not_sleep() -> None:
    fn, sleep = Script(), Sleeps()
    assert await call_with_retries(fn, NO_JITTER, sleep=sleep) == "ok"
    assert (fn.calls, sleep.seconds) == (1, [])


async def test_transient_errors_are_retried_until_success() -> None:
    fn, sleep = Script(TransientError("503"), TransientError("reset")), Sleeps()

    assert await call_with_retries(fn, NO_JITTER, sleep=sleep) == "ok"

    assert fn.calls == 3
    assert sleep.seconds == [0.5, 1.0]


async def test_transient_errors_are_retried_up_to_attempts_then_the_last_is_raised() -> None:
    last = TransientError("still 503")
    fn = Script(TransientError("503"), TransientError("503"), TransientError("503"), last)
    sleep = Sleeps()

    with pytest.raises(TransientError) as caught:
        await call_with_retries(fn, NO_JITTER, sleep=sleep)

    assert caught.value is last
    assert fn.calls == 4
    assert sleep.seconds == [0.5, 1.0, 2.0]


async def test_backoff_inside_a_step_is_capped_at_max() -> None:
    policy = RetryPolicy(attempts=6, initial_s=1.0, max_s=4.0, jitter_s=0.0)
    fn, sleep = Script(*(TransientError("x") for _ in range(5))), Sleeps()

    await call_with_retries(fn, policy, sleep=sleep)

    assert sleep.seconds == [1.0, 2.0, 4.0, 4.0, 4.0]


async def test_jitter_inside_a_step_stays_within_its_bound() -> None:
    policy = RetryPolicy(attempts=4, initial_s=0.5, max_s=8.0, jitter_s=0.5)
    for _ in range(20):
        fn, sleep = Script(*(TransientError("x") for _ in range(3))), Sleeps()
        await call_with_retries(fn, policy, sleep=sleep)
        for base, slept in zip([0.5, 1.0, 2.0], sleep.seconds, strict=True):
            assert base <= slept <= base + 0.5


@pytest.mark.parametrize(
    "error",
    [PermanentError("400 bad request"), ValueError("bug"), KeyError("k")],
    ids=["permanent", "value-error", "key-error"],
)
async def test_other_errors_are_not_retried(error: Exception) -> None:
    fn, sleep = Script(error), Sleeps()

    with pytest.raises(type(error)):
        await call_with_retries(fn, NO_JITTER, sleep=sleep)

    assert (fn.calls, sleep.seconds) == (1, [])


async def test_rate_limited_waits_what_the_api_asked() -> None:
    fn = Script(RateLimited("429", retry_after_s=7.0), RateLimited("429", retry_after_s=3.0))
    sleep = Sleeps()

    assert await call_with_retries(fn, NO_JITTER, sleep=sleep) == "ok"

    assert sleep.seconds == [7.0, 3.0]


async def test_rate_limited_wait_is_bounded_when_the_api_asks_too_much() -> None:
    fn, sleep = Script(RateLimited("429", retry_after_s=3600.0)), Sleeps()

    await call_with_retries(fn, NO_JITTER, sleep=sleep)

    assert sleep.seconds == [NO_JITTER.max_s * 4]


async def test_rate_limited_without_retry_after_backs_off_exponentially() -> None:
    fn, sleep = Script(RateLimited("429"), RateLimited("429")), Sleeps()

    await call_with_retries(fn, NO_JITTER, sleep=sleep)

    assert sleep.seconds == [0.5, 1.0]


async def test_rate_limited_counts_against_the_attempts() -> None:
    fn = Script(*(RateLimited("429", retry_after_s=1.0) for _ in range(4)))
    sleep = Sleeps()

    with pytest.raises(RateLimited):
        await call_with_retries(fn, NO_JITTER, sleep=sleep)
    assert fn.calls == 4


class Fixed:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def test_runner_backoff_doubles_from_the_base() -> None:
    delays = [runner_backoff_s(n, base_s=5.0, cap_s=1000.0, rng=Fixed(1.0)) for n in range(1, 6)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 80.0]


def test_runner_backoff_is_capped() -> None:
    delays = [runner_backoff_s(n, base_s=5.0, cap_s=60.0, rng=Fixed(1.0)) for n in range(1, 10)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0, 60.0, 60.0, 60.0]


def test_runner_backoff_before_the_first_failure_is_the_base() -> None:
    assert runner_backoff_s(0, base_s=5.0, rng=Fixed(1.0)) == 5.0


@pytest.mark.parametrize(("draw", "factor"), [(0.0, 0.5), (0.5, 0.75), (0.999, 0.9995)])
def test_runner_backoff_jitter_scales_the_delay_by_half_to_one(draw: float, factor: float) -> None:
    assert runner_backoff_s(3, base_s=5.0, cap_s=300.0, rng=Fixed(draw)) == pytest.approx(
        20.0 * factor
    )


def test_runner_backoff_with_real_randomness_stays_within_half_and_full_delay() -> None:
    rng = random.Random(42)
    for attempt in range(1, 12):
        delay = min(300.0, 5.0 * 2 ** (attempt - 1))
        for _ in range(200):
            assert 0.5 * delay <= runner_backoff_s(attempt, rng=rng) <= delay


def test_runner_backoff_is_capped_for_any_attempt_count() -> None:
    assert runner_backoff_s(5000, base_s=5.0, cap_s=300.0, rng=Fixed(1.0)) == 300.0
