"""Seeded, deterministic fault injection per route.

A rule matches requests by route: either a route template key such as
``"POST /instance/v1/zones/{zone}/servers"``, a ``"METHOD /path/prefix"`` (matched against the
concrete path), a bare ``"/path/prefix"`` (any method) or ``"*"``. Each matching request
draws from the rule's own ``random.Random`` seeded from the injector seed and the rule's
position, so the same seed and the same request sequence give the same faults.

Kinds (:class:`FaultKind`):

- ``429``: as the real API sends it: empty body, ``X-Envoy-Ratelimited: true``, no
  ``Retry-After``.
- ``429_retry_after``: 429 with a ``Retry-After`` header (``retry_after_s``).
- ``500`` / ``503``: server errors with a real-shaped body.
- ``latency``: delay the answer by ``latency_s`` then serve it normally.
- ``drop``: send the status line and headers, then close the connection mid-body; the
  request never reaches the API.
- ``commit_then_drop``: serve the request (the create takes effect and is saved), then drop
  the answer as ``drop`` does: the client cannot know the id of what it created.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum

from sandbox.types import JSON


class FaultKind(StrEnum):
    """The faults the sandbox can inject."""

    RATE_LIMITED = "429"
    RATE_LIMITED_RETRY_AFTER = "429_retry_after"
    INTERNAL = "500"
    UNAVAILABLE = "503"
    LATENCY = "latency"
    DROP = "drop"
    COMMIT_THEN_DROP = "commit_then_drop"


@dataclass(slots=True)
class FaultRule:
    """One rule: which requests, which fault, how often and how many times."""

    route: str
    kind: FaultKind
    rate: float = 1.0
    times: int | None = None
    latency_s: float = 0.5
    retry_after_s: int = 1
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, route_key: str, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.route in ("*", route_key):
            return True
        want_method, _, want_path = self.route.rpartition(" ")
        if want_method and want_method.upper() != method.upper():
            return False
        return want_path.startswith("/") and path.startswith(want_path)

    def as_json(self) -> JSON:
        """The rule as the admin endpoint shows it."""
        return {
            "route": self.route,
            "kind": self.kind.value,
            "rate": self.rate,
            "times": self.times,
            "latency_s": self.latency_s,
            "retry_after_s": self.retry_after_s,
            "fired": self.fired,
        }


class FaultInjector:
    """The set of active fault rules; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._rules: list[FaultRule] = []
        self._added = 0
        self._lock = threading.Lock()

    def add(
        self,
        route: str,
        kind: FaultKind | str,
        rate: float = 1.0,
        *,
        times: int | None = None,
        latency_s: float = 0.5,
        retry_after_s: int = 1,
    ) -> FaultRule:
        """Add a rule; ``rate`` is the probability per matching request, ``times`` a cap."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            rule = FaultRule(
                route=route,
                kind=FaultKind(kind),
                rate=rate,
                times=times,
                latency_s=latency_s,
                retry_after_s=retry_after_s,
                rng=random.Random(f"{self._seed}:{self._added}:{route}:{kind}"),
            )
            self._added += 1
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        """Remove every rule (and restart the seeded sequences)."""
        with self._lock:
            self._rules.clear()
            self._added = 0

    def rules(self) -> list[JSON]:
        """A snapshot of the rules."""
        with self._lock:
            return [rule.as_json() for rule in self._rules]

    def draw(self, route_key: str, method: str, path: str) -> list[FaultRule]:
        """The rules that fire for this request (latency first, then at most one failure)."""
        fired: list[FaultRule] = []
        with self._lock:
            for rule in self._rules:
                if not rule.matches(route_key, method, path):
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.rng.random() >= rule.rate:
                    continue
                is_failure = rule.kind is not FaultKind.LATENCY
                if is_failure and any(f.kind is not FaultKind.LATENCY for f in fired):
                    continue
                rule.fired += 1
                fired.append(rule)
        return fired
