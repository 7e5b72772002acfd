"""The job monitor view: an MCP App (extension ``io.modelcontextprotocol/ui``).

Hosts that render Apps show ``get_job_status`` and ``list_jobs`` results in a small HTML
view (progress bar, phase, elapsed time, recent events, a cancel button that calls
``cancel_job`` through the host); every other client gets the same envelope as text.
"""

from __future__ import annotations

from importlib.resources import files

from mcp.server.apps import Apps
from mcp.types import Tool as MCPTool

VIEW_URI = "ui://scaleway/job-monitor.html"
VIEWED_TOOLS = ("get_job_status", "list_jobs")


def view_html() -> str:
    """The view's self-contained HTML document."""
    return files("mcp_front").joinpath("monitor_view.html").read_text(encoding="utf-8")


def apps_extension() -> Apps:
    """The Apps extension serving the view as a ``ui://`` resource."""
    apps = Apps()
    apps.add_html_resource(
        VIEW_URI,
        view_html(),
        name="job-monitor",
        title="Job monitor",
        description="Progress, phase, elapsed time and events of jobs, with a cancel button.",
        prefers_border=True,
    )
    return apps


def bind_view(tools: list[MCPTool]) -> list[MCPTool]:
    """The tools, the job views among them pointing at the monitor (``_meta.ui``)."""
    for tool in tools:
        if tool.name in VIEWED_TOOLS:
            tool.meta = {**(tool.meta or {}), "ui": {"resourceUri": VIEW_URI}}
    return tools
