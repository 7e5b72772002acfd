"""Cold start: spawn -> initialize -> tools/list, the product against a bare MCP server.

    uv run python -m bench.startup [--runs 5]

Every MCP client launch pays this. Both servers run as stdio subprocesses of this Python;
the bare one is a one-tool ``MCPServer``. Reports medians and the ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from bench.common import median, print_table, write_results

BARE_SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("bare")

@server.tool()
def ping() -> str:
    return "pong"

server.run()
"""

REPO_ROOT = Path(__file__).resolve().parents[1]


async def time_start(params: StdioServerParameters) -> tuple[float, int]:
    """Seconds from spawn to the tools/list answer, and the number of tools."""
    started = time.perf_counter()
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        elapsed = time.perf_counter() - started
    return elapsed, len(tools)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare_file = Path(tmp) / "bare_server.py"
        bare_file.write_text(BARE_SERVER)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "SCW_MCP_DATA_DIR": tmp,
            "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
            "SCW_SECRET_KEY": "00000000-0000-0000-0000-000000000000",
            "SCW_DEFAULT_PROJECT_ID": "00000000-0000-0000-0000-000000000000",
            "SCW_MCP_LOG_LEVEL": "WARNING",
        }
        product = StdioServerParameters(
            command=sys.executable,
            args=["-m", "mcp_front", "serve"],
            env=env,
            cwd=str(REPO_ROOT),
        )
        bare = StdioServerParameters(command=sys.executable, args=[str(bare_file)], env=env)
        product_s, bare_s = [], []
        tools = 0
        for _ in range(args.runs):
            seconds, tools = anyio.run(time_start, product)
            product_s.append(seconds)
            bare_s.append(anyio.run(time_start, bare)[0])
    ratio = median(product_s) / median(bare_s)
    print_table(
        f"Cold start (spawn -> initialize -> tools/list), median of {args.runs}",
        [
            ("bare MCPServer, 1 tool", f"{median(bare_s):.2f} s"),
            (f"scaleway-mcp-connector, {tools} tools", f"{median(product_s):.2f} s"),
            ("ratio", f"{ratio:.2f}x"),
        ],
    )
    path = write_results(
        "startup",
        {
            "runs": args.runs,
            "bare_s": bare_s,
            "product_s": product_s,
            "tools": tools,
            "ratio": ratio,
        },
    )
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
