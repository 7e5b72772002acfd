"""Retry decisions: tenacity inside a step, growing delays between runner attempts."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import anyio

from workers.errors import RateLimited, TransientError

if TYPE_CHECKING:
    # tenacity loads on the first retry decision: the MCP handshake does not need it.
    from tenacity import RetryCallState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to retry transient failures inside one step."""

    attempts: int = 4
    initial_s: float = 0.5
    max_s: float = 8.0
    jitter_s: float = 0.5


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    from tenacity import wait_exponential_jitter

    exponential = wait_exponential_jitter(
        initial=policy.initial_s, max=policy.max_s, jitter=policy.jitter_s
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            return min(exc.retry_after_s, policy.max_s * 4)
        return exponential(state)

    return wait


def _stop(
    policy: RetryPolicy, time_left: Callable[[], float | None] | None
) -> Callable[[RetryCallState], bool]:
    from tenacity import stop_after_attempt

    attempts = stop_after_attempt(policy.attempts)
    wait = _wait(policy)

    def stop(state: RetryCallState) -> bool:
        left = time_left() if time_left is not None else None
        return attempts(state) or (left is not None and wait(state) > left)

    return stop


async def call_with_retries(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    time_left: Callable[[], float | None] | None = None,
) -> T:
    """Await ``fn()``, retrying TransientError with exponential backoff and jitter.

    ``time_left`` (seconds, None for no limit): no retry whose wait would outlast it.
    """
    from tenacity import AsyncRetrying, retry_if_exception_type

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(TransientError),
        stop=_stop(policy, time_left),
        wait=_wait(policy),
        sleep=sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await fn()
    raise AssertionError("unreachable")  # pragma: no cover


def runner_backoff_s(
    attempt: int, *, base_s: float = 5.0, cap_s: float = 300.0, rng: random.Random | None = None
) -> float:
    """Delay before the runner's next attempt after ``attempt`` failures (1-based), jittered."""
    # The exponent is bounded so that huge attempt counts cannot overflow a float.
    delay = min(cap_s, base_s * 2.0 ** min(max(0, attempt - 1), 60))
    fraction = rng.random() if rng is not None else random.random()
    return delay * (0.5 + fraction / 2)
