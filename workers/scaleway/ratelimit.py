"""A client-side rate limiter shared by every job, so concurrent jobs don't storm the API.

A token bucket (``rate_per_s`` sustained, ``burst`` at once): each call reserves a token and
sleeps until it is due, outside the lock, so callers are served in order. A 429 answer
``pause``\\ s every caller for a moment, which is what stops a storm of retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable

import anyio


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

    async def acquire(self) -> None:
        """Wait for this caller's turn."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the API said we went too fast)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
