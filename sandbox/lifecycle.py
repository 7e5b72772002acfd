"""Time-based status progression, computed lazily from timestamps and a speed factor.

A resource keeps a *timeline*: a list of ``(at, status)`` pairs, sorted by ``at``. Its status
at any instant is the last entry whose ``at`` is not in the future. Nothing runs in the
background: every read evaluates the timeline against the clock, so a resource created
"90 s" ago at speed 10 reads ``ready`` nine seconds later, and a manual clock makes tests
instant. The status :data:`GONE` means the resource no longer exists (404).

Durations below are real medians in seconds (speed 1), observed on api.scaleway.com; the
sandbox divides them by its speed factor.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Protocol

GONE = "__gone__"
"""Pseudo-status: the resource has been deleted and answers 404."""

FAIL_TAG_PREFIX = "sandbox:fail="
"""Tag convention: ``sandbox:fail=<status>`` makes a create settle in ``<status>``."""

DURATIONS_S: dict[str, float] = {
    "server.starting": 5.0,
    "server.stopping": 36.0,
    "server.stopping_in_place": 43.0,
    "server.rebooting": 10.0,
    "server.terminating": 5.0,
    "cluster.creating": 90.0,
    "cluster.creating_without_pool": 5.0,
    "cluster.updating": 15.0,
    "cluster.deleting": 75.0,
    "pool.scaling": 157.0,
    "pool.deleting": 60.0,
    "rdb.provisioning": 45.0,
    "rdb.initializing": 152.0,
    "rdb.configuring": 15.0,
    "rdb.deleting": 15.0,
    "private_nic.syncing": 56.0,
    "registry_namespace.deleting": 1.0,
}
"""Real median durations at speed 1, keyed by ``kind.phase``."""

Timeline = list[tuple[float, str]]
Phase = tuple[str, float | None]
"""A status and how long it lasts at speed 1 (None: it lasts until something changes it)."""


class Clock(Protocol):
    """Source of the current time in seconds since the epoch."""

    def now(self) -> float:
        """Return the current time."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        """Return ``time.time()``."""
        return time.time()


class ManualClock:
    """A clock that only moves when told to (for tests)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the current manual time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        with self._lock:
            self._now += seconds


def plan(start: float, phases: Sequence[Phase], speed: float) -> Timeline:
    """Turn phases (status, real duration) into a timeline starting at ``start``."""
    timeline: Timeline = []
    at = start
    for status, duration_s in phases:
        timeline.append((at, status))
        if duration_s is None:
            break
        at += duration_s / speed
    return timeline


def status_at(timeline: Timeline, now: float) -> str:
    """The status a timeline gives at instant ``now``."""
    current = timeline[0][1]
    for at, status in timeline:
        if at <= now:
            current = status
        else:
            break
    return current


def settled_at(timeline: Timeline) -> float:
    """When the last transition of a timeline happens."""
    return timeline[-1][0]


def fail_status(tags: Sequence[str]) -> str | None:
    """The status requested by a ``sandbox:fail=<status>`` tag, if any."""
    for tag in tags:
        if tag.startswith(FAIL_TAG_PREFIX):
            return tag[len(FAIL_TAG_PREFIX) :] or None
    return None


def with_failure(phases: Sequence[Phase], tags: Sequence[str]) -> list[Phase]:
    """Replace the final status of ``phases`` by the one a fail tag asks for."""
    failed = fail_status(tags)
    result = list(phases)
    if failed is not None and result:
        result[-1] = (failed, None)
    return result
