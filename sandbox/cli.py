"""Command line: ``scaleway-mcp-connector sandbox`` and ``python -m sandbox``.

The product's CLI calls :func:`add_arguments` on its ``sandbox`` sub-parser and :func:`run`
with the parsed namespace.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from sandbox.faults import parse_rules
from sandbox.server import SandboxServer
from sandbox.state import DEFAULT_PROJECT_ID
from sandbox.store import StateFileError, remove_state_file

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8787
DEFAULT_S3_PORT = 8788


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox options to ``parser``."""
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"API port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--s3-port",
        type=int,
        default=DEFAULT_S3_PORT,
        help=f"S3 port (default {DEFAULT_S3_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=10.0,
        help="lifecycle speed factor: real durations divided by it (default 10)",
    )
    parser.add_argument("--seed", type=int, default=0, help="fault injection seed (default 0)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--no-s3", action="store_true", help="do not start the S3 server")
    parser.add_argument(
        "--state",
        type=Path,
        help="keep the imitated cloud in this SQLite file across restarts (default: memory)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="with --state: start that file from nothing"
    )
    parser.add_argument(
        "--faults",
        help='fault rules to start with, as JSON: [{"route": "*", "kind": "503", "rate": 0.1}]',
    )


def banner(sb: SandboxServer) -> str:
    """The start-up text: where it listens and what to export."""
    lines = [
        "Scaleway SANDBOX running: a local imitation, NOT the Scaleway cloud.",
        f"  API  {sb.api_url}   (speed x{sb.state.speed:g}, seed {sb.state.seed})",
    ]
    exports = [f"export SCW_API_URL={sb.api_url}"]
    if sb.s3 is not None:
        lines.append(f"  S3   {sb.s3_url}")
        exports.append(f"export SCW_S3_ENDPOINT_URL={sb.s3_url}")
    if sb.store is not None:
        lines.append(f"  state kept in {sb.store.path} (--reset starts it from nothing)")
    exports += [
        "export SCW_ACCESS_KEY=SCWXXXXXXXXXXXXXXXXX",
        f"export SCW_SECRET_KEY={DEFAULT_PROJECT_ID}",
        f"export SCW_DEFAULT_PROJECT_ID={DEFAULT_PROJECT_ID}",
        f"export SCW_DEFAULT_ORGANIZATION_ID={DEFAULT_PROJECT_ID}",
        "export SCW_DEFAULT_REGION=fr-par",
        "export SCW_DEFAULT_ZONE=fr-par-1",
    ]
    return "\n".join([*lines, "Point clients at it with:", *exports, "Stop with Ctrl-C."])


def run(args: argparse.Namespace) -> int:
    """Start the sandbox and block until SIGINT or SIGTERM."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if args.state is not None and args.reset:
        remove_state_file(args.state)
    try:
        faults = parse_rules(args.faults) if args.faults else []
        sb = SandboxServer(
            speed=args.speed,
            seed=args.seed,
            port=args.port,
            s3_port=args.s3_port,
            with_s3=not args.no_s3,
            host=args.host,
            state_path=args.state,
        )
    except (ValueError, StateFileError) as exc:
        logger.error("cannot start the sandbox: %s", exc)
        return 2
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        sb.add_faults(faults)
        sb.start()
    except (OSError, ValueError) as exc:
        logger.error("cannot start the sandbox: %s", exc)
        sb.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        return 1
    try:
        logger.warning("%s", banner(sb))
        while not stop.wait(0.5):
            pass
        logger.info("stopping the sandbox")
    finally:
        sb.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m sandbox``."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Local imitation of the Scaleway APIs + S3."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
