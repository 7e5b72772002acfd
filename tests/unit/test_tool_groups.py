"""Tool groups come from one enum that every tool spec names; every default group offers tools."""

from __future__ import annotations

from mcp_front.config import OPTIONAL_TOOL_GROUPS, TOOL_GROUPS
from mcp_front.server import all_tool_specs
from mcp_front.tool_groups import ToolGroup


def test_every_default_group_offers_tools_and_every_tool_is_in_a_known_group() -> None:
    groups_of_specs = {spec.group for spec in all_tool_specs()}
    assert set(TOOL_GROUPS) <= groups_of_specs
    assert groups_of_specs <= set(TOOL_GROUPS) | set(OPTIONAL_TOOL_GROUPS)
    assert all(isinstance(spec.group, ToolGroup) for spec in all_tool_specs())


def test_the_selectable_groups_are_the_enum() -> None:
    assert set(TOOL_GROUPS) | set(OPTIONAL_TOOL_GROUPS) == set(ToolGroup)
    assert not set(TOOL_GROUPS) & set(OPTIONAL_TOOL_GROUPS)


def test_tool_names_are_unique() -> None:
    names = [spec.name for spec in all_tool_specs()]
    assert len(names) == len(set(names))
