"""Client-side rate limits, one per Scaleway API and zone or region, shared by every job.

A token bucket (``rate_per_s`` sustained, ``burst`` at once): each call reserves a token and
sleeps until it is due, outside the lock, so callers are served in order. A 429 answer
pauses the callers of that API in that zone or region (Scaleway limits each API
separately), which is what stops a storm of retries without holding up the others.

An answer to an MCP client has a budget (``answer_within``): a call inside it never waits
for its turn past the budget; ``acquire`` raises ``TurnTooFar`` instead, saying how long.
Jobs have no such budget: waiting is what jobs are for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import anyio

_answer_deadline: ContextVar[float | None] = ContextVar("scaleway_answer_deadline", default=None)


@contextmanager
def answer_within(budget_s: float) -> Iterator[None]:
    """Calls inside the block never wait for the rate limit beyond ``budget_s`` from now."""
    token = _answer_deadline.set(time.monotonic() + budget_s)
    try:
        yield
    finally:
        _answer_deadline.reset(token)


def answer_time_left() -> float | None:
    """Seconds left of the current answer's budget; None outside ``answer_within``."""
    deadline = _answer_deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class TurnTooFar(Exception):
    """This caller's turn comes later than it may wait (``wait_s`` seconds from now)."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"next turn in {wait_s:.1f} s")
        self.wait_s = wait_s


class RateLimiter:
    """Token bucket plus a shared pause after rate-limit answers; safe across threads."""

    def __init__(
        self,
        rate_per_s: float = 20.0,
        burst: int = 20,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token now and return how long to wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
            self._updated = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate_per_s if self._tokens < 0 else 0.0
            return max(wait, self._paused_until - now)

    async def acquire(self, max_wait_s: float | None = None) -> None:
        """Wait for this caller's turn; TurnTooFar (token given back) past ``max_wait_s``."""
        wait = self.reserve()
        if max_wait_s is not None and wait > max_wait_s:
            with self._lock:
                self._tokens = min(float(self.burst), self._tokens + 1.0)
            raise TurnTooFar(wait)
        if wait > 0:
            await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the API said we went too fast)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


class RateLimits:
    """One RateLimiter per (API, zone or region), each made by ``new_limiter`` on first use."""

    def __init__(self, new_limiter: Callable[[], RateLimiter] = RateLimiter) -> None:
        self._new_limiter = new_limiter
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._lock = threading.Lock()

    def limiter(self, api: str, locality: str) -> RateLimiter:
        """The limiter of ``api`` (e.g. ``instance``) in ``locality`` (a zone or region)."""
        with self._lock:
            key = (api, locality)
            if key not in self._limiters:
                self._limiters[key] = self._new_limiter()
            return self._limiters[key]
