"""Operation names: one per operation, prefixed with its product's name; former names still
reach it."""

from __future__ import annotations

from mcp_front.tool_groups import ToolGroup
from workers.operations import product_operations
from workers.operations.database import CREATE_DATABASE
from workers.registry import OperationRegistry


def test_a_job_stored_under_a_former_name_still_finds_its_operation() -> None:
    registry = OperationRegistry(product_operations())

    assert registry.get("rdb.create_database") is CREATE_DATABASE
    assert registry.get("database.create_database") is CREATE_DATABASE
    assert "rdb.create_database" not in registry.names()


def test_every_operation_is_named_after_a_product_that_is_also_its_tool_group() -> None:
    products = {str(group) for group in ToolGroup} - {"jobs"}
    prefixes = {operation.name.split(".")[0] for operation in product_operations()}
    assert prefixes <= products
    assert "rdb" not in prefixes and "vpc" not in prefixes
