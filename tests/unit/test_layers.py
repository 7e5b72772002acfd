"""The import direction of DESIGN.md, checked: mcp_front -> workers -> jobs; sandbox apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "jobs": {"workers", "mcp_front", "sandbox", "mcp", "scaleway", "scaleway_core", "aioboto3"},
    "workers": {"mcp_front", "sandbox", "mcp"},
    "migrations": {"workers", "mcp_front", "sandbox", "mcp"},
    "sandbox": {"jobs", "workers", "mcp_front", "migrations"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_import_direction(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert offenders == []


def test_nothing_but_tests_and_the_entry_point_imports_mcp_front() -> None:
    # bench/ drives the product from the top, like the tests do, so it may import it.
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("jobs", "workers", "migrations", "sandbox")
        for path in (ROOT / package).rglob("*.py")
        if "mcp_front" in imported_packages(path)
    ]
    assert offenders == []


def test_no_print_in_package_code() -> None:
    offenders = []
    for package in ("mcp_front", "workers", "jobs", "migrations", "sandbox"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "print"
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_declared_head_revision_is_the_alembic_head() -> None:
    import migrations
    from jobs.migrate import head_revision

    assert migrations.HEAD == head_revision()


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` counts ``a.b``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# The adapters speak to the cloud and know nothing of jobs, steps or operations.
ADAPTER_FORBIDDEN = ("workers.steps", "workers.operations", "workers.runner", "workers.services")


@pytest.mark.parametrize("adapter", ["scaleway", "storage"])
def test_adapters_do_not_import_the_step_side(adapter: str) -> None:
    offenders = []
    for path in sorted((ROOT / "workers" / adapter).rglob("*.py")):
        bad = {
            name
            for name in imported_modules(path)
            if any(name == f or name.startswith(f + ".") for f in ADAPTER_FORBIDDEN)
        }
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert offenders == []


# The SDK API accessors of ``ScalewayClient``: only the adapter may reach through them.
SDK_APIS = {"instance", "vpc", "marketplace", "block", "k8s", "rdb", "registry", "lb", "domain"}


def sdk_method_uses(path: Path) -> list[str]:
    """``<x>.<api>.<method>`` attribute chains in ``path`` (an SDK method chosen there)."""
    uses = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in SDK_APIS
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in {"client", "c", "scaleway", "api"}
        ):
            uses.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.attr}.{node.attr}")
    return uses


@pytest.mark.parametrize("folder", ["workers/operations", "mcp_front"])
def test_only_the_adapter_chooses_sdk_methods(folder: str) -> None:
    uses = [use for path in sorted((ROOT / folder).rglob("*.py")) for use in sdk_method_uses(path)]
    assert uses == []


def test_the_sdk_method_check_sees_the_adapter_s_calls() -> None:
    assert sdk_method_uses(ROOT / "workers" / "scaleway" / "instance.py")
