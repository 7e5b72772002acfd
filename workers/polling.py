"""Poll schedules per resource kind: a short first interval growing to a cap, with a deadline.

Pure values: a step asks ``schedule.delay_s(polls_done)`` and returns ``Wait`` for that long,
so a waiting job costs a row, not a thread. Defaults follow real lifecycles (servers start in
about 5 s and stop in about 36 s; clusters and databases take minutes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType


class PollKind(StrEnum):
    """A kind of resource waited for, each with its own poll schedule."""

    SERVER = "server"
    PRIVATE_NIC = "private_nic"
    VOLUME = "volume"
    CLUSTER = "cluster"
    POOL = "pool"
    DATABASE = "database"
    REGISTRY = "registry"
    LB = "lb"
    DNS = "dns"
    SERVERLESS = "serverless"
    # A batch re-checking its children (each child's end also wakes it at once).
    BATCH = "batch"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """Wait ``initial_s``, then ``factor`` times longer each poll, never more than ``cap_s``."""

    initial_s: float
    cap_s: float
    factor: float = 1.5
    timeout_s: float = 1800.0

    def __post_init__(self) -> None:
        if self.initial_s <= 0 or self.cap_s < self.initial_s or self.factor < 1:
            raise ValueError("need 0 < initial_s <= cap_s and factor >= 1")

    def delay_s(self, polls_done: int) -> float:
        """Seconds to wait before the next poll, after ``polls_done`` polls."""
        exponent = min(max(0, polls_done), 64)
        return min(self.cap_s, self.initial_s * self.factor**exponent)

    def expired(self, waited_s: float) -> bool:
        """Whether the resource has been waited for longer than the deadline."""
        return waited_s > self.timeout_s

    def scaled(self, ratio: float) -> PollSchedule:
        """The same shape with every duration multiplied by ``ratio`` (a faster sandbox)."""
        return replace(
            self,
            initial_s=self.initial_s * ratio,
            cap_s=self.cap_s * ratio,
            timeout_s=self.timeout_s * ratio,
        )


DEFAULT_SCHEDULES: Mapping[PollKind, PollSchedule] = MappingProxyType(
    {
        PollKind.SERVER: PollSchedule(initial_s=2.0, cap_s=10.0, timeout_s=1800.0),
        PollKind.PRIVATE_NIC: PollSchedule(initial_s=2.0, cap_s=15.0, timeout_s=900.0),
        PollKind.VOLUME: PollSchedule(initial_s=2.0, cap_s=10.0, timeout_s=600.0),
        PollKind.CLUSTER: PollSchedule(initial_s=15.0, cap_s=30.0, timeout_s=3600.0),
        PollKind.POOL: PollSchedule(initial_s=15.0, cap_s=30.0, timeout_s=3600.0),
        PollKind.DATABASE: PollSchedule(initial_s=15.0, cap_s=30.0, timeout_s=3600.0),
        PollKind.BATCH: PollSchedule(initial_s=2.0, cap_s=10.0, timeout_s=86_400.0),
        PollKind.DEFAULT: PollSchedule(initial_s=5.0, cap_s=30.0, timeout_s=1800.0),
    }
)


@dataclass(frozen=True, slots=True)
class PollSettings:
    """The schedules in force, by kind (kinds without one use ``PollKind.DEFAULT``)."""

    schedules: Mapping[PollKind, PollSchedule] = field(default_factory=lambda: DEFAULT_SCHEDULES)
    # What every schedule was multiplied by: intervals a user gives (a watch's) follow it too.
    scale: float = 1.0

    def for_kind(self, kind: PollKind) -> PollSchedule:
        """The schedule of a resource kind."""
        return (
            self.schedules.get(kind)
            or self.schedules.get(PollKind.DEFAULT)
            or DEFAULT_SCHEDULES[PollKind.DEFAULT]
        )

    def scaled(self, ratio: float) -> PollSettings:
        """Every schedule scaled by ``ratio`` (tests and benchmarks on a fast sandbox)."""
        return PollSettings(
            {k: s.scaled(ratio) for k, s in self.schedules.items()}, scale=self.scale * ratio
        )

    def with_schedule(self, kind: PollKind, schedule: PollSchedule) -> PollSettings:
        """A copy with one kind's schedule replaced."""
        return PollSettings({**self.schedules, kind: schedule}, scale=self.scale)
