"""Starting ``scaleway-mcp-connector serve`` as a subprocess for end-to-end tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.conftest import FAKE_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVE_ARGS = ["-m", "mcp_front", "serve"]


def serve_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a serve subprocess over ``data_dir`` with test operations."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "PYTHONPATH": str(REPO_ROOT),
        "SCW_MCP_DATA_DIR": str(data_dir),
        "SCW_MCP_EXTRA_OPERATIONS": "tests.support.counting_ops",
        "SCW_MCP_POLL_INTERVAL_S": "0.1",
        **FAKE_ENV,
    }
    env.update(extra)
    return env


def serve_command() -> list[str]:
    """The command line of the server under test."""
    return [sys.executable, *SERVE_ARGS]
