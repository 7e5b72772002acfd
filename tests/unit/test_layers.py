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
