"""The ``scaleway-mcp-connector`` command: serve, worker, db upgrade, jobs, sandbox."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

import anyio

from jobs.errors import DatabaseError, JobError
from mcp_front import __version__
from mcp_front.config import (
    ENV_HTTP_TOKEN,
    ConfigError,
    Settings,
    check_credentials,
    load_settings,
)
from mcp_front.logs import configure_logging

if TYPE_CHECKING:
    from mcp_front.runtime import StartingRuntime

logger = logging.getLogger("mcp_front.cli")


def _out(text: str) -> None:
    """Human output of the admin commands (never used by ``serve``: stdout is JSON-RPC there)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()  # a reader that left (`| head`) is seen here, where main() handles it


def _settings(args: argparse.Namespace, *, sandbox: bool = False) -> Settings:
    return load_settings(
        os.environ,
        database_url=getattr(args, "database_url", None),
        log_level=getattr(args, "log_level", None),
        read_only=True if getattr(args, "read_only", False) else None,
        tool_groups=getattr(args, "tools", None),
        sandbox=sandbox,
    )


# -- serve -----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the MCP server (stdio by default)."""
    settings = _settings(args, sandbox=args.sandbox)
    configure_logging(settings.log_level, settings.secret_values())
    if args.transport == "http" and not settings.http_token:
        raise ConfigError(f"the HTTP transport needs a bearer token: set {ENV_HTTP_TOKEN}")
    if args.reset and not args.sandbox:
        raise ConfigError("--reset only applies with --sandbox (it never touches the real cloud)")
    if args.sandbox:
        _sandbox_available()
        if args.reset:
            _reset_sandbox(settings)
    else:
        check_credentials(settings)
    anyio.run(_serve, settings, args)
    return 0


def _reset_sandbox(settings: Settings) -> None:
    """Delete the sandbox's imitated cloud and its default job database."""
    from jobs.urls import sqlite_url
    from mcp_front.config import SANDBOX_JOBS_FILE
    from sandbox.store import remove_state_file

    remove_state_file(settings.sandbox_state_path)
    jobs_file = settings.data_dir / SANDBOX_JOBS_FILE
    if settings.database_url == sqlite_url(jobs_file):
        remove_state_file(jobs_file)
        logger.warning("sandbox reset: its cloud and its jobs start from nothing")
    else:
        logger.warning(
            "sandbox reset: its cloud starts from nothing; the job database given by "
            "--database-url or SCW_MCP_DATABASE_URL is kept"
        )


def _sandbox_available() -> None:
    """Fail at start, saying how to install it, if the sandbox extra is missing."""
    for name in ("sandbox", "moto", "flask"):
        if importlib.util.find_spec(name) is None:
            raise ConfigError(
                f"serve --sandbox needs the 'sandbox' extra ({name} is missing): run "
                "`uv sync --extra sandbox` in this folder, or the README's first command"
            )


@asynccontextmanager
async def _sandbox(settings: Settings) -> AsyncIterator[Settings]:
    """The sandbox, started in a thread once the handshake is done: its settings, then stop."""
    settings, server = await anyio.to_thread.run_sync(_start_sandbox, settings)
    try:
        check_credentials(settings)
        yield settings
    finally:
        await anyio.to_thread.run_sync(server.stop)


def _start_sandbox(settings: Settings) -> tuple[Settings, Any]:
    from mcp_front.config import (
        ENV_SANDBOX_FAULTS,
        SANDBOX_ACCESS_KEY,
        SANDBOX_PROJECT_ID,
        SANDBOX_SECRET_KEY,
    )

    server_module = _sandbox_module("server")
    store = _sandbox_module("store")
    try:
        faults = (
            _sandbox_module("faults").parse_rules(settings.sandbox_faults)
            if settings.sandbox_faults
            else []
        )
    except ValueError as exc:
        raise ConfigError(f"{ENV_SANDBOX_FAULTS}: {exc}") from None
    try:
        server = server_module.SandboxServer(
            speed=settings.sandbox_speed, state_path=settings.sandbox_state_path
        )
    except store.StateFileError as exc:
        raise ConfigError(str(exc)) from None
    server.add_faults(faults)
    server.start()
    logger.warning(
        "SANDBOX MODE: Scaleway is imitated locally at %s (S3 at %s), its state kept in %s; "
        "nothing here touches the real cloud, and results say so.",
        server.api_url,
        server.s3_url,
        settings.sandbox_state_path,
    )
    settings = settings.with_credentials(
        access_key=SANDBOX_ACCESS_KEY,
        secret_key=SANDBOX_SECRET_KEY,
        project_id=SANDBOX_PROJECT_ID,
        organization_id=SANDBOX_PROJECT_ID,
        api_url=server.api_url,
        s3_endpoint_url=server.s3_url,
    )
    return settings, server


def _page_size(text: str) -> int:
    """``--limit``: a whole number from 1 to 1000 (argparse reports the error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 1000")
    return value


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from mcp_front.runtime import OPEN_AFTER_S, OpenAfterToolsList, StartingRuntime
    from mcp_front.server import build_server

    # The handshake and tools/list need no database: open it beside the transport.
    runtime = StartingRuntime(
        settings,
        run_workers=not args.no_workers,
        prepare=_sandbox if args.sandbox else None,
        # Over HTTP no client is waiting for its first answer at launch (clients come and
        # go), so jobs left by a previous run resume at once instead of after the delay.
        open_after_s=OPEN_AFTER_S if args.transport == "stdio" else 0.0,
    )
    server = build_server(runtime)
    server.middleware.append(OpenAfterToolsList(runtime))
    logger.info(
        "serving %s over %s%s",
        server.name,
        args.transport,
        " (front only: jobs run in separate workers)" if args.no_workers else "",
    )
    stdio = args.transport == "stdio"
    signalled = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(_run_or_exit, runtime, signalled if stdio else None)
        async with anyio.create_task_group() as transport:

            def stop() -> None:
                transport.cancel_scope.cancel()
                if stdio:
                    # The stdio transport reads stdin in a thread no cancellation reaches,
                    # so this block would wait for the client to hang up: stop the runtime
                    # now, and _run_or_exit leaves once its jobs are finished or released.
                    signalled.set()
                    _shutting_down(runtime)

            transport.start_soon(_stop_on_signal, stop)
            if stdio:
                await server.run_stdio_async()
            else:
                from mcp_front.http import run_http

                await run_http(server, settings, host=args.host, port=args.port)
            transport.cancel_scope.cancel()
        _shutting_down(runtime)


def _shutting_down(runtime: StartingRuntime) -> None:
    logger.info("shutting down: finishing or releasing running jobs")
    runtime.stop()


async def _run_or_exit(runtime: StartingRuntime, exit_after: anyio.Event | None = None) -> None:
    """Keep the runtime open; if the job database cannot be used, exit 2 at once; once it
    closed after ``exit_after`` was set (a signal, over stdio), exit 0.

    Exiting, not cancelling: the stdio transport reads stdin in a thread that no
    cancellation reaches, so a cancelled server would hang until the client hung up.
    """
    try:
        await runtime.run()
    except (ConfigError, JobError) as exc:
        logger.error("%s", exc)
        _exit_now(2)
    if exit_after is not None and exit_after.is_set():
        logger.info("stopped")
        _exit_now(0)


def _exit_now(code: int) -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(code)


async def _stop_on_signal(stop: Callable[[], None]) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            logger.info("received %s", signal.Signals(signum).name)
            stop()
            return


# -- worker ----------------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    """Run workers only: no MCP front, jobs from the shared store until SIGTERM or SIGINT."""
    settings = _settings(args)
    configure_logging(settings.log_level, settings.secret_values())
    check_credentials(settings)
    anyio.run(_work, settings)
    return 0


async def _work(settings: Settings) -> None:
    from mcp_front.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        logger.info("worker %s running jobs from %s", runtime.pool.owner, runtime.db.url)
        async with anyio.create_task_group() as tg:
            tg.start_soon(_stop_on_signal, tg.cancel_scope.cancel)
            await anyio.sleep_forever()
        logger.info("shutting down: finishing or releasing running jobs")


# -- db --------------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply pending migrations to the job database."""
    settings = _settings(args)
    configure_logging(settings.log_level)

    async def upgrade() -> None:
        from jobs.migrate import head_revision, upgrade_database
        from mcp_front.runtime import open_database

        db = open_database(settings)
        try:
            await upgrade_database(db)
        finally:
            await db.close()
        _out(f"job database {db.url} is at revision {head_revision()}")

    anyio.run(upgrade)
    return 0


# -- jobs ------------------------------------------------------------------------------------


def cmd_jobs(args: argparse.Namespace) -> int:
    """List, show or cancel jobs from the same store the server uses."""
    settings = _settings(args, sandbox=args.sandbox)
    configure_logging(settings.log_level)
    from mcp_front import jobs_cli

    anyio.run(jobs_cli.run, settings, args, _out)
    return 0


# -- parser ----------------------------------------------------------------------------------


def build_parser(*, with_sandbox: bool = False) -> argparse.ArgumentParser:
    """The command-line interface (``with_sandbox``: the sandbox command's own options).

    The sandbox (moto and its server) is imported only when its command runs: ``serve``
    must not pay for it.
    """
    parser = argparse.ArgumentParser(
        prog="scaleway-mcp-connector",
        description="MCP server for Scaleway: durable jobs for instances, storage, networks, "
        "Kubernetes, databases and the container registry.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="job store URL (default: SQLite in the data dir)")
    common.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR (logs go to stderr)")

    serve = sub.add_parser("serve", parents=[common], help="run the MCP server (default)")
    serve.add_argument("--sandbox", action="store_true", help="run against a local imitation")
    serve.add_argument(
        "--reset", action="store_true", help="with --sandbox: start its cloud and jobs from nothing"
    )
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (loopback)")
    serve.add_argument("--port", type=int, default=8765, help="HTTP port")
    serve.add_argument("--read-only", action="store_true", help="offer read tools only")
    serve.add_argument("--tools", help="comma-separated tool groups to offer")
    serve.add_argument(
        "--no-workers",
        action="store_true",
        help="front only: enqueue and report jobs, let `worker` processes run them",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", parents=[common], help="run jobs from the store, without an MCP front"
    )
    worker.set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="job database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", parents=[common], help="apply pending migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    jobs = sub.add_parser("jobs", help="inspect and steer jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    listing = jobs_sub.add_parser("list", parents=[common], help="list jobs, newest first")
    listing.add_argument("--state", action="append", help="filter by state (repeatable)")
    listing.add_argument("--operation", help="filter by operation name")
    listing.add_argument(
        "--limit", type=_page_size, default=20, help="how many jobs (1-1000, default 20)"
    )
    show = jobs_sub.add_parser("show", parents=[common], help="show one job")
    show.add_argument("job_id")
    cancel = jobs_sub.add_parser("cancel", parents=[common], help="cancel one job")
    cancel.add_argument("job_id")
    for p in (listing, show, cancel):
        p.add_argument("--sandbox", action="store_true", help="the jobs of `serve --sandbox`")
        p.set_defaults(func=cmd_jobs)

    sandbox = sub.add_parser("sandbox", help="run the local Scaleway imitation standalone")
    if with_sandbox:
        sandbox_cli = _sandbox_module("cli")
        sandbox_cli.add_arguments(sandbox)
        sandbox.set_defaults(func=sandbox_cli.run)
    return parser


def _sandbox_module(name: str) -> ModuleType:
    """``sandbox.<name>``, or a ConfigError saying how to install it (the ``sandbox`` extra)."""
    try:
        return importlib.import_module(f"sandbox.{name}")
    except ImportError as exc:
        raise ConfigError(
            f"the sandbox is not installed ({exc.name} is missing): install the 'sandbox' "
            "extra, e.g. `uv sync --extra sandbox` in this folder"
        ) from exc


def _first_error(group: BaseExceptionGroup) -> BaseException:
    first = group.exceptions[0]
    return _first_error(first) if isinstance(first, BaseExceptionGroup) else first


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(with_sandbox=argv[:1] == ["sandbox"])
    except ConfigError as exc:
        configure_logging("INFO")
        logger.error("%s", exc)
        return 2
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *argv])
    try:
        return int(args.func(args) or 0)
    except BaseExceptionGroup as group:
        # Errors raised inside the server's task groups arrive wrapped; show the first one.
        first = _first_error(group)
        if not isinstance(first, ConfigError | DatabaseError | JobError):
            raise
        if not logging.getLogger().handlers:
            configure_logging("INFO")
        logger.error("%s", first)
        return 2
    except (ConfigError, DatabaseError, JobError) as exc:
        if not logging.getLogger().handlers:
            configure_logging("INFO")
        logger.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `jobs list | head`: the reader left. Say nothing more (Python would complain again
        # when it flushes stdout at exit, so point stdout at /dev/null first).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
