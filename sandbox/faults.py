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

import json
import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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


FAULT_TARGETS = ("api", "s3")
RULE_FIELDS = frozenset({"route", "kind", "rate", "times", "latency_s", "retry_after_s", "target"})


def parse_rules(text: str) -> list[JSON]:
    """Rules from JSON text (a list of objects like the admin endpoint takes, plus ``target``:
    ``"api"`` (default) or ``"s3"``), checked; raises ValueError naming what is wrong."""
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"fault rules are not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise ValueError("fault rules must be a JSON list of objects")
    kinds = [k.value for k in FaultKind]
    rules = []
    for index, item in enumerate(data):
        where = f"fault rule {index}"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object")
        unknown = sorted(set(item) - RULE_FIELDS)
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(RULE_FIELDS)}")
        if not isinstance(item.get("route"), str) or not item["route"]:
            raise ValueError(f"{where}: 'route' must be a route key, a path prefix or '*'")
        if item.get("kind") not in kinds:
            raise ValueError(f"{where}: 'kind' must be one of {kinds}")
        if item.get("target", "api") not in FAULT_TARGETS:
            raise ValueError(f"{where}: 'target' must be one of {list(FAULT_TARGETS)}")
        rate = item.get("rate", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(f"{where}: 'rate' must be a number between 0 and 1")
        for name in ("times", "retry_after_s"):
            value = item.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{where}: '{name}' must be an integer")
        rules.append({"target": "api", **item})
    return rules
