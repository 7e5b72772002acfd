"""Fixtures for the sandbox tests: running sandboxes, SDK clients, strict unmarshalling."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import scaleway
from scaleway.block.v1alpha1 import api as block_api
from scaleway.cockpit.v1 import api as cockpit_api
from scaleway.container.v1beta1 import api as container_api
from scaleway.domain.v2beta1 import api as domain_api
from scaleway.function.v1beta1 import api as function_api
from scaleway.iam.v1alpha1 import api as iam_api
from scaleway.instance.v1 import api as instance_api
from scaleway.k8s.v1 import api as k8s_api
from scaleway.lb.v1 import api as lb_api
from scaleway.marketplace.v2 import api as marketplace_api
from scaleway.product_catalog.v2alpha1 import api as product_catalog_api
from scaleway.rdb.v1 import api as rdb_api
from scaleway.registry.v1 import api as registry_api
from scaleway.vpc.v2 import api as vpc_api

from sandbox.lifecycle import ManualClock
from sandbox.server import SandboxServer

ZERO = "00000000-0000-0000-0000-000000000000"
ACCESS_KEY = "SCWXXXXXXXXXXXXXXXXX"
SDK_MODULES = (
    instance_api,
    k8s_api,
    rdb_api,
    vpc_api,
    registry_api,
    marketplace_api,
    block_api,
    lb_api,
    domain_api,
    container_api,
    function_api,
    product_catalog_api,
    cockpit_api,
    iam_api,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def fast_sandbox() -> Iterator[SandboxServer]:
    """A sandbox on the wall clock at speed 1000 (a cluster is ready in 0.09 s)."""
    with SandboxServer(speed=1000, seed=7) as sb:
        yield sb


@pytest.fixture(scope="session")
def manual_sandbox() -> Iterator[tuple[SandboxServer, ManualClock]]:
    """A sandbox at real speed (1) on a manual clock: tests move time explicitly."""
    clock = ManualClock()
    with SandboxServer(speed=1, seed=3, with_s3=False, clock=clock) as sb:
        yield sb, clock


@pytest.fixture
def sb(fast_sandbox: SandboxServer) -> SandboxServer:
    """The fast sandbox, reset before the test."""
    fast_sandbox.state.reset()
    return fast_sandbox


@pytest.fixture
def msb(manual_sandbox: tuple[SandboxServer, ManualClock]) -> SandboxServer:
    """The manual-clock sandbox, reset before the test."""
    manual_sandbox[0].state.reset()
    return manual_sandbox[0]


@pytest.fixture
def clock(manual_sandbox: tuple[SandboxServer, ManualClock]) -> ManualClock:
    """The manual sandbox's clock."""
    return manual_sandbox[1]


def make_client(sb: SandboxServer) -> scaleway.Client:
    """An official SDK client pointed at a sandbox, with fake credentials."""
    return scaleway.Client(
        access_key=ACCESS_KEY,
        secret_key=ZERO,
        default_project_id=ZERO,
        default_region="fr-par",
        default_zone="fr-par-1",
        api_url=sb.api_url,
    )


@pytest.fixture
def client(sb: SandboxServer) -> scaleway.Client:
    return make_client(sb)


@pytest.fixture
def mclient(msb: SandboxServer) -> scaleway.Client:
    return make_client(msb)


@pytest.fixture
def http(sb: SandboxServer) -> Iterator[httpx.Client]:
    """Raw HTTP to the fast sandbox, authenticated."""
    with httpx.Client(base_url=sb.api_url, headers={"X-Auth-Token": ZERO}) as c:
        yield c


@pytest.fixture
def mhttp(msb: SandboxServer) -> Iterator[httpx.Client]:
    """Raw HTTP to the manual-clock sandbox, authenticated."""
    with httpx.Client(base_url=msb.api_url, headers={"X-Auth-Token": ZERO}) as c:
        yield c


# -- strict unmarshalling -------------------------------------------------------------------
def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) is typing.Union and type(None) in typing.get_args(tp)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def missing_fields(obj: Any, raw: Any, path: str = "") -> list[str]:
    """Non-optional SDK fields absent from the raw JSON, recursively."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if not isinstance(raw, dict):
            return [f"{path or '<root>'}: expected an object"]
        problems: list[str] = []
        hints = _hints(type(obj))
        for f in dataclasses.fields(obj):
            key = f.name[:-1] if f.name.endswith("_") else f.name
            if key not in raw:
                if not _is_optional(hints[f.name]):
                    problems.append(f"{path}.{key}")
                continue
            problems += missing_fields(getattr(obj, f.name), raw[key], f"{path}.{key}")
        return problems
    if isinstance(obj, list) and isinstance(raw, list):
        return [
            p
            for i, (o, r) in enumerate(zip(obj, raw, strict=False))
            for p in missing_fields(o, r, f"{path}[{i}]")
        ]
    if isinstance(obj, dict) and isinstance(raw, dict):
        return [p for k, o in obj.items() for p in missing_fields(o, raw.get(k), f"{path}[{k}]")]
    return []


@pytest.fixture(autouse=True)
def strict_unmarshal(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail a test if any SDK response lacked a field the SDK declares non-optional."""
    problems: list[str] = []

    def wrap(name: str, fn: Any) -> Any:
        def checked(data: Any) -> Any:
            result = fn(data)
            problems.extend(f"{name}: {p}" for p in missing_fields(result, data))
            return result

        return checked

    for module in SDK_MODULES:
        for name in dir(module):
            if name.startswith("unmarshal_"):
                monkeypatch.setattr(module, name, wrap(name, getattr(module, name)))
    yield problems
    assert not problems, f"sandbox responses miss SDK fields: {problems}"
