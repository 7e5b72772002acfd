"""Building the MCP server from the tool specs the settings select."""

from __future__ import annotations

from mcp_front import __version__, mcp_logging, monitor_view, prompts
from mcp_front.config import Settings
from mcp_front.resources import JobResources
from mcp_front.runtime import RuntimeSource
from mcp_front.tasks import TaskBook
from mcp_front.tasks_wire import task_seams
from mcp_front.toolkit import ConnectorServer, ToolSpec
from mcp_front.tools import batch as batch_tools
from mcp_front.tools import database as database_tools
from mcp_front.tools import database_admin as database_admin_tools
from mcp_front.tools import dns as dns_tools
from mcp_front.tools import instance as instance_tools
from mcp_front.tools import jobs as job_tools
from mcp_front.tools import k8s as k8s_tools
from mcp_front.tools import lb as lb_tools
from mcp_front.tools import monitoring as monitoring_tools
from mcp_front.tools import network as network_tools
from mcp_front.tools import planning as planning_tools
from mcp_front.tools import registry as registry_tools
from mcp_front.tools import serverless as serverless_tools
from mcp_front.tools import storage as storage_tools
from mcp_front.tools import terraform as terraform_tools
from mcp_front.tools import watch as watch_tools

INSTRUCTIONS = (
    "Scaleway infrastructure through durable jobs. Reads (list_*, get_*) answer directly. "
    "Mutations start a job: fast ones answer inline, slow ones (clusters, databases take "
    "minutes) return a job id; follow it with get_job_status (wait_s to wait), steer with "
    "cancel_job. Repeating a mutation while its job runs returns that job; pass the same "
    "request_id to name one job for good. Every response is {{status, data|message}}. "
    "Omitted zone and region arguments mean zone {zone}, region {region}."
)


def instructions(settings: Settings) -> str:
    """The server instructions, with the configured default zone and region."""
    return INSTRUCTIONS.format(zone=settings.credentials.zone, region=settings.credentials.region)


def all_tool_specs() -> list[ToolSpec]:
    """Every tool the product offers."""
    return [
        *job_tools.TOOLS,
        *instance_tools.TOOLS,
        *network_tools.TOOLS,
        *k8s_tools.TOOLS,
        *database_tools.TOOLS,
        *database_admin_tools.TOOLS,
        *registry_tools.TOOLS,
        *storage_tools.TOOLS,
        *lb_tools.TOOLS,
        *dns_tools.TOOLS,
        *serverless_tools.TOOLS,
        *planning_tools.TOOLS,
        *terraform_tools.TOOLS,
        *batch_tools.TOOLS,
        *monitoring_tools.TOOLS,
        *watch_tools.TOOLS,
    ]


def selected_tool_specs(settings: Settings) -> list[ToolSpec]:
    """The tools the settings enable (groups, read-only mode)."""
    return [
        spec
        for spec in all_tool_specs()
        if spec.group in settings.tool_groups and (spec.changes_nothing or not settings.read_only)
    ]


def _why_hidden(spec: ToolSpec, settings: Settings) -> str:
    """Why ``spec`` is not offered, and how to turn it on."""
    if spec.group not in settings.tool_groups:
        return (
            f"{spec.name} is in the tool group '{spec.group}', which this server does not "
            f"offer: add it with --tools default,{spec.group} or SCW_MCP_TOOL_GROUPS"
        )
    return f"{spec.name} changes things and this server runs in read-only mode (--read-only)"


def build_server(
    source: RuntimeSource, extra_specs: list[ToolSpec] | None = None
) -> ConnectorServer:
    """The MCP server over a runtime, open or opening (``extra_specs``: tests and plug-ins)."""
    specs = selected_tool_specs(source.settings) + list(extra_specs or ())
    offered = {spec.name for spec in specs}
    hidden = {
        spec.name: _why_hidden(spec, source.settings)
        for spec in all_tool_specs()
        if spec.name not in offered
    }
    job_tools = {spec.name for spec in specs if spec.starts_job}
    tasks, core_tasks = task_seams(TaskBook(source), job_tools.__contains__)
    resources = JobResources(source)
    server = ConnectorServer(
        specs,
        source,
        hidden=hidden,
        name="scaleway-mcp-connector",
        title="Scaleway MCP Connector",
        instructions=instructions(source.settings),
        version=__version__,
        log_level=source.settings.log_level,
        lifespan=resources.lifespan,
        subscriptions=resources.bus,
        extensions=[monitor_view.apps_extension(), tasks],
        middleware=[core_tasks],
    )
    monitor_view.bind_view(server.listed)
    resources.install(server)
    mcp_logging.install(server)
    prompts.install(server)
    return server
