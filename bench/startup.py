"""Cold start: spawn -> initialize -> tools/list, the product against a bare MCP server.

    uv run python -m bench.startup [--runs 5]

Every MCP client launch pays this. All servers run as stdio subprocesses of this Python, in
the same virtual environment, launched in alternating order within each run:

- ``bare``: an ``MCPServer`` with as many tools as ``serve`` offers and nothing else (the
  floor; 30 tools when issue 17 set the targets);
- ``serve`` and ``serve --sandbox``: this product, as a client configuration starts it.

Both the wall time and the server's CPU time up to the tool list are reported (medians);
on a machine shared with other work the CPU time is the steadier measure of the start-up's
own cost. Three cases, each with its own ratios to the floor:

- ``cached``: bytecode of everything is cached (every launch after the first);
- ``first launch``: the first launch after the README's install, which compiles the
  dependencies' bytecode (uv ``compile-bytecode``) but not this folder's own modules, with
  ``PYTHONDONTWRITEBYTECODE=1`` (common in containers), so they are compiled at every launch;
- ``nothing compiled``: no bytecode at all (an install without ``compile-bytecode``), for
  comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from bench.common import median, print_table, write_results

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("mcp_front", "workers", "jobs", "migrations", "sandbox")


def product_tool_count() -> int:
    """How many tools ``serve`` offers with the default settings."""
    from mcp_front.config import load_settings
    from mcp_front.server import selected_tool_specs

    env = {"HOME": tempfile.gettempdir(), "SCW_MCP_DATA_DIR": tempfile.gettempdir()}
    return len(selected_tool_specs(load_settings(env)))


def bare_server_source(tools: int) -> str:
    """A bare MCPServer with ``tools`` tools taking a few typed arguments each."""
    lines = ["from mcp.server.mcpserver import MCPServer", 'server = MCPServer("bare")', ""]
    for i in range(tools):
        lines += [
            "@server.tool()",
            f'def tool_{i}(name: str, zone: str = "fr-par-1", limit: int = 20) -> str:',
            f'    """Tool number {i}: does nothing with a name, a zone and a limit."""',
            "    return name",
            "",
        ]
    lines.append("server.run()")
    return "\n".join(lines) + "\n"


async def time_start(params: StdioServerParameters) -> tuple[float, float, int]:
    """Wall seconds from spawn to the tools/list answer, the server's CPU seconds by then
    (user + system, steadier than wall time on a shared machine), and the number of tools."""
    import psutil

    started = time.perf_counter()
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        elapsed = time.perf_counter() - started
        cpu = 0.0
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                cpu += times.user + times.system
    return elapsed, cpu, len(tools)


def product_command() -> list[str]:
    """The console script a client configuration names, beside this Python."""
    script = Path(sys.executable).parent / "scaleway-mcp-connector"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mcp_front"]


def drop_project_bytecode() -> None:
    """Remove this folder's own compiled modules (the dependencies' stay)."""
    for package in PROJECT_PACKAGES:
        for cache in (REPO_ROOT / package).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


def run_case(case: str, runs: int, servers: dict[str, list[str]], base_env: dict[str, str]):
    """Launch every server ``runs`` times in rotating order; wall and CPU seconds per server."""
    env = dict(base_env)
    if case != "cached":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if case == "first launch":
        drop_project_bytecode()
    seconds: dict[str, list[float]] = {name: [] for name in servers}
    cpu: dict[str, list[float]] = {name: [] for name in servers}
    tools: dict[str, int] = {}
    names = list(servers)
    for run in range(runs):
        order = names[run % len(names) :] + names[: run % len(names)]
        for name in order:
            launch_env = dict(env)
            if case == "nothing compiled":
                # An empty cache prefix hides every __pycache__ folder: all is compiled anew.
                launch_env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="pyc-")
            command = servers[name]
            params = StdioServerParameters(
                command=command[0], args=command[1:], env=launch_env, cwd=str(REPO_ROOT)
            )
            elapsed, cpu_s, tools[name] = anyio.run(time_start, params)
            seconds[name].append(elapsed)
            cpu[name].append(cpu_s)
            if "PYTHONPYCACHEPREFIX" in launch_env:
                shutil.rmtree(launch_env["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    return seconds, cpu, tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, object] = {"runs": args.runs}
    with tempfile.TemporaryDirectory() as tmp:
        bare_file = Path(tmp) / "bare_server.py"
        bare_file.write_text(bare_server_source(product_tool_count()))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "SCW_MCP_DATA_DIR": tmp,
            "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
            "SCW_SECRET_KEY": "00000000-0000-0000-0000-000000000000",
            "SCW_DEFAULT_PROJECT_ID": "00000000-0000-0000-0000-000000000000",
            "SCW_MCP_LOG_LEVEL": "WARNING",
        }
        servers = {
            "bare": [sys.executable, str(bare_file)],
            "serve": [*product_command(), "serve"],
            "serve --sandbox": [*product_command(), "serve", "--sandbox"],
        }
        for case in ("cached", "first launch", "nothing compiled"):
            if case == "cached":
                run_case(case, 1, servers, env)  # warm-up: writes the bytecode caches
            seconds, cpu, tools = run_case(case, args.runs, servers, env)
            floor, floor_cpu = median(seconds["bare"]), median(cpu["bare"])
            rows = [
                (
                    f"bare MCPServer, {tools['bare']} tools",
                    f"wall {floor:.2f} s, CPU {floor_cpu:.2f} s",
                )
            ]
            for name in ("serve", "serve --sandbox"):
                wall, cpu_s = median(seconds[name]), median(cpu[name])
                rows.append(
                    (
                        f"{name}, {tools[name]} tools",
                        f"wall {wall:.2f} s = {wall / floor:.2f}x, "
                        f"CPU {cpu_s:.2f} s = {cpu_s / floor_cpu:.2f}x",
                    )
                )
            print_table(f"Cold start, {case} (medians of {args.runs}, alternating)", rows)
            results[case] = {"seconds": seconds, "cpu_seconds": cpu, "tools": tools}
    path = write_results("startup", results)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
