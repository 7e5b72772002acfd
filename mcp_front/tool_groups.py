"""The tool groups a user can select (``--tools``, ``SCW_MCP_TOOL_GROUPS``): one per product."""

from __future__ import annotations

from enum import StrEnum


class ToolGroup(StrEnum):
    """A group of tools offered together; every ``ToolSpec`` names its group."""

    JOBS = "jobs"
    INSTANCE = "instance"
    NETWORK = "network"
    STORAGE = "storage"
    K8S = "k8s"
    DATABASE = "database"
    REGISTRY = "registry"
    LB = "lb"
    DNS = "dns"
    SERVERLESS = "serverless"
    PLANNING = "planning"
    BATCH = "batch"
    MONITORING = "monitoring"


# Offered only when named, to keep the default tool list within the model's context budget.
OPTIONAL_GROUPS = frozenset(
    {
        ToolGroup.LB,
        ToolGroup.DNS,
        ToolGroup.SERVERLESS,
        ToolGroup.PLANNING,
        ToolGroup.BATCH,
        ToolGroup.MONITORING,
    }
)
