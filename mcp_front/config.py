"""Configuration, read once at the edge from flags, the environment and the scw config file.

Environment variables win over the Scaleway config file (``SCW_CONFIG_PATH``, default
``~/.config/scw/config.yaml``, profile ``SCW_PROFILE``), the way the official tools read it.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from jobs.urls import sqlite_url
from mcp_front.tool_groups import OPTIONAL_GROUPS, ToolGroup

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
SANDBOX_ACCESS_KEY = "SCWXXXXXXXXXXXXXXXXX"
SANDBOX_SECRET_KEY = "00000000-0000-0000-0000-000000000000"
SANDBOX_PROJECT_ID = "00000000-0000-0000-0000-000000000000"
SANDBOX_JOBS_FILE = "sandbox-jobs.db"
SANDBOX_STATE_FILE = "sandbox-cloud.db"
"""The sandbox's imitated cloud (resources, S3), beside its job database in the data dir."""

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
ACCESS_KEY_RE = re.compile(r"^SCW[A-Z0-9]{17}\Z")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TOOL_GROUPS: tuple[ToolGroup, ...] = tuple(g for g in ToolGroup if g not in OPTIONAL_GROUPS)
"""The groups offered by default."""
OPTIONAL_TOOL_GROUPS: tuple[ToolGroup, ...] = tuple(g for g in ToolGroup if g in OPTIONAL_GROUPS)
"""Groups offered only when named (``default`` in the list stands for ``TOOL_GROUPS``), which
keeps the default tool list within the model's context budget."""

# Product settings beyond the SDK's own SCW_* variables.
ENV_DATABASE_URL = "SCW_MCP_DATABASE_URL"
ENV_DATA_DIR = "SCW_MCP_DATA_DIR"
ENV_LOG_LEVEL = "SCW_MCP_LOG_LEVEL"
ENV_WAIT_BUDGET = "SCW_MCP_WAIT_BUDGET_S"
ENV_WORKER_SLOTS = "SCW_MCP_WORKER_SLOTS"
ENV_LEASE = "SCW_MCP_LEASE_S"
ENV_POLL_INTERVAL = "SCW_MCP_POLL_INTERVAL_S"
ENV_SHUTDOWN_GRACE = "SCW_MCP_SHUTDOWN_GRACE_S"
ENV_READ_ONLY = "SCW_MCP_READ_ONLY"
ENV_TOOL_GROUPS = "SCW_MCP_TOOL_GROUPS"
ENV_HTTP_TOKEN = "SCW_MCP_HTTP_TOKEN"
ENV_EXTRA_OPERATIONS = "SCW_MCP_EXTRA_OPERATIONS"
ENV_S3_ENDPOINT = "SCW_S3_ENDPOINT_URL"
ENV_S3_PART_SIZE = "SCW_MCP_S3_PART_SIZE_MB"
ENV_S3_MULTIPART_THRESHOLD = "SCW_MCP_S3_MULTIPART_THRESHOLD_MB"
ENV_S3_CONCURRENCY = "SCW_MCP_S3_CONCURRENCY"
ENV_S3_INLINE_MAX = "SCW_MCP_S3_INLINE_MAX_KB"
ENV_ANSWER_MAX = "SCW_MCP_ANSWER_MAX_KB"
ENV_POLL_SCALE = "SCW_MCP_POLL_SCALE"
ENV_SANDBOX_SPEED = "SCW_MCP_SANDBOX_SPEED"
ENV_SANDBOX_FAULTS = "SCW_MCP_SANDBOX_FAULTS"
ENV_CLUSTER_DEADLINE = "SCW_MCP_CLUSTER_DEADLINE_S"
ENV_DATABASE_DEADLINE = "SCW_MCP_DATABASE_DEADLINE_S"
ENV_FILE_ROOTS = "SCW_MCP_FILE_ROOTS"
ENV_CONFIRM = "SCW_MCP_CONFIRM"
ENV_HTTP_SESSION_IDLE = "SCW_MCP_HTTP_SESSION_IDLE_S"


class ConfirmMode(StrEnum):
    """Whether destructive tools ask first: ``ask`` (default) or ``never`` (unattended)."""

    ASK = "ask"
    NEVER = "never"


class ConfigError(Exception):
    """The configuration is incomplete or invalid; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """Scaleway credentials and defaults."""

    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    project_id: str | None = None
    organization_id: str | None = None
    region: str = "fr-par"
    zone: str = "fr-par-1"
    api_url: str | None = None
    s3_endpoint_url: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server needs, resolved."""

    credentials: Credentials
    data_dir: Path
    database_url: str
    log_level: str = "INFO"
    wait_budget_s: float = 20.0
    worker_slots: int = 8
    lease_s: float = 30.0
    poll_interval_s: float = 1.0
    shutdown_grace_s: float = 10.0
    read_only: bool = False
    tool_groups: tuple[ToolGroup, ...] = TOOL_GROUPS
    http_token: str | None = field(default=None, repr=False)
    extra_operations: tuple[str, ...] = ()
    sandbox: bool = False
    s3_part_size_mb: int = 8
    s3_multipart_threshold_mb: int = 16
    s3_concurrency: int = 4
    s3_inline_max_kb: int = 1024
    # A tool's answer larger than this is cut; the whole of it goes to a file.
    answer_max_kb: int = 32
    # Every poll interval and deadline times this (a fast sandbox wants e.g. 0.001).
    poll_scale: float = 1.0
    sandbox_speed: float = 10.0
    # Fault rules the sandbox starts with (JSON text; see sandbox.faults.parse_rules).
    sandbox_faults: str | None = None
    # How long a cluster (pool) or database may stay in one transitional status.
    cluster_deadline_s: float = 3600.0
    database_deadline_s: float = 3600.0
    # Folders tools may read and write besides the data dir's downloads/uploads and the home.
    file_roots: tuple[Path, ...] = ()
    home: Path | None = None
    confirm: ConfirmMode = ConfirmMode.ASK
    # An HTTP session with no request for this long is closed.
    http_session_idle_s: float = 1800.0

    @property
    def sandbox_state_path(self) -> Path:
        """The SQLite file holding the sandbox's imitated cloud across restarts."""
        return self.data_dir / SANDBOX_STATE_FILE

    @property
    def secrets_dir(self) -> Path:
        """Where kubeconfigs and generated passwords are written (mode 0600 files)."""
        return self.data_dir / "secrets"

    @property
    def http_tokens(self) -> tuple[str, ...]:
        """The accepted bearer tokens (comma-separated in the variable), one per principal."""
        return tuple(t for t in (self.http_token or "").split(",") if t)

    def secret_values(self) -> tuple[str, ...]:
        """Values that must never appear in output or logs.

        The all-zero UUID is a placeholder, never a real key: it is also the sandbox's
        project id, which must stay readable in messages. Several comma-separated bearer
        tokens are each a secret too.
        """
        values = (self.credentials.secret_key, self.http_token, *self.http_tokens)
        return tuple(v for v in dict.fromkeys(values) if v and v != ZERO_UUID)

    def with_credentials(self, **changes: Any) -> Settings:
        """A copy with some credential fields changed."""
        return replace(self, credentials=replace(self.credentials, **changes))


def _read_scw_config(env: Mapping[str, str]) -> dict[str, Any]:
    path_text = env.get("SCW_CONFIG_PATH")
    if path_text:
        path = Path(path_text).expanduser()
    else:
        base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")) / ".config")
        path = Path(base).expanduser() / "scw" / "config.yaml"
    if not path.is_file():
        if path_text:
            raise ConfigError(f"SCW_CONFIG_PATH points at {path}, which is not a file")
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the Scaleway config file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"the Scaleway config file {path} is not a mapping")
    profile = env.get("SCW_PROFILE") or data.get("active_profile") or "default"
    values = {k: v for k, v in data.items() if k != "profiles"}
    if profile != "default":
        profiles = data.get("profiles") or {}
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"profile {profile!r} (SCW_PROFILE) is not in {path}; profiles there: {known}"
            )
        values.update({k: v for k, v in (profiles[profile] or {}).items() if v is not None})
    values[_FILE_ORIGIN] = f"{path} (profile {profile})"
    return values


# Where the config file's values came from, kept beside them to name them in errors.
_FILE_ORIGIN = "__origin__"


def _origin(env: Mapping[str, str], name: str, file_values: dict[str, Any], key: str) -> str:
    """How to name a setting in an error: its variable, or its key in the config file."""
    if env.get(name) or not file_values.get(key):
        return name
    return f"{key} of the Scaleway config file {file_values[_FILE_ORIGIN]}"


def _pick(env: Mapping[str, str], names: tuple[str, ...], file_value: Any) -> str | None:
    for name in names:
        if env.get(name):
            return env[name]
    return str(file_value) if file_value else None


def known_regions() -> list[str]:
    """Regions the Scaleway SDK knows."""
    return _sdk_list("region", "ALL_REGIONS")


def known_zones() -> list[str]:
    """Zones the Scaleway SDK knows."""
    return _sdk_list("zone", "ALL_ZONES")


def _sdk_list(module: str, name: str) -> list[str]:
    """``name`` of ``scaleway_core.bridge.<module>``, read without the rest of the SDK.

    Importing ``scaleway_core.bridge`` loads all of its types (and PyYAML, dateutil): too
    much for every start-up, which only needs these two lists.
    """
    spec = importlib.util.find_spec("scaleway_core")
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        raise ConfigError("the Scaleway SDK (scaleway-core) is not installed")
    path = Path(next(iter(locations))) / "bridge" / f"{module}.py"
    loaded = importlib.util.spec_from_file_location(f"_scw_bridge_{module}", path)
    if loaded is None or loaded.loader is None:
        raise ConfigError(f"the Scaleway SDK has no {path}")
    values = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(values)
    return list(getattr(values, name))


def _tool_groups(text: str) -> tuple[ToolGroup, ...]:
    """The groups a comma-separated list names; ``default`` expands to the default groups."""
    named = [g.strip() for g in text.split(",") if g.strip()] or ["default"]
    known = (*TOOL_GROUPS, *OPTIONAL_TOOL_GROUPS)
    unknown = [g for g in named if g not in (*known, "default")]
    if unknown:
        raise ConfigError(
            f"unknown tool group(s) {', '.join(unknown)}; choose from default, {', '.join(known)}"
        )
    expanded = [
        g for name in named for g in (TOOL_GROUPS if name == "default" else (ToolGroup(name),))
    ]
    return tuple(dict.fromkeys(expanded))


def region_problem(region: str) -> str | None:
    """None if the SDK knows ``region``; otherwise what is wrong, listing the valid ones."""
    regions = known_regions()
    if region in regions:
        return None
    return f"{region!r} is not a Scaleway region; use one of: " + ", ".join(regions)


def zone_problem(zone: str) -> str | None:
    """None if the SDK knows ``zone``; otherwise what is wrong, listing the valid ones."""
    zones = known_zones()
    if zone in zones:
        return None
    return f"{zone!r} is not a Scaleway zone; use one of: " + ", ".join(zones)


def check_region(region: str, *, field_name: str = "region") -> str:
    """``region`` if the SDK knows it; otherwise a ConfigError listing the valid ones."""
    problem = region_problem(region)
    if problem is not None:
        raise ConfigError(f"{field_name} {problem}")
    return region


def check_zone(zone: str, *, field_name: str = "zone") -> str:
    """``zone`` if the SDK knows it; otherwise a ConfigError listing the valid ones."""
    problem = zone_problem(zone)
    if problem is not None:
        raise ConfigError(f"{field_name} {problem}")
    return zone


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {raw!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def load_settings(
    env: Mapping[str, str],
    *,
    database_url: str | None = None,
    log_level: str | None = None,
    read_only: bool | None = None,
    tool_groups: str | None = None,
    sandbox: bool = False,
) -> Settings:
    """Resolve the settings from flags (given here), the environment and the config file."""
    file_values = {} if sandbox else _read_scw_config(env)
    credentials = Credentials(
        access_key=_pick(env, ("SCW_ACCESS_KEY",), file_values.get("access_key")),
        secret_key=_pick(env, ("SCW_SECRET_KEY",), file_values.get("secret_key")),
        project_id=_pick(
            env, ("SCW_DEFAULT_PROJECT_ID", "SCW_PROJECT_ID"), file_values.get("default_project_id")
        ),
        organization_id=_pick(
            env,
            ("SCW_DEFAULT_ORGANIZATION_ID", "SCW_ORGANIZATION_ID"),
            file_values.get("default_organization_id"),
        ),
        region=_pick(env, ("SCW_DEFAULT_REGION",), file_values.get("default_region")) or "fr-par",
        zone=_pick(env, ("SCW_DEFAULT_ZONE",), file_values.get("default_zone")) or "fr-par-1",
        api_url=_pick(env, ("SCW_API_URL",), file_values.get("api_url")),
        s3_endpoint_url=env.get(ENV_S3_ENDPOINT) or None,
    )
    check_region(
        credentials.region,
        field_name=_origin(env, "SCW_DEFAULT_REGION", file_values, "default_region"),
    )
    check_zone(
        credentials.zone, field_name=_origin(env, "SCW_DEFAULT_ZONE", file_values, "default_zone")
    )

    data_dir = Path(env.get(ENV_DATA_DIR) or user_data_dir("scaleway-mcp-connector")).expanduser()
    level = (log_level or env.get(ENV_LOG_LEVEL) or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"log level {level!r} ({ENV_LOG_LEVEL} or --log-level) is not one of "
            + ", ".join(LOG_LEVELS)
        )
    groups_text = tool_groups if tool_groups is not None else env.get(ENV_TOOL_GROUPS, "")
    groups = _tool_groups(groups_text)
    if ToolGroup.JOBS not in groups:
        groups = (ToolGroup.JOBS, *groups)
    sandbox_speed = _number(env, ENV_SANDBOX_SPEED, 10.0, minimum=0.01)
    http_token = env.get(ENV_HTTP_TOKEN) or None
    if http_token is not None and any(len(t) < 16 for t in http_token.split(",")):
        raise ConfigError(
            f"{ENV_HTTP_TOKEN} must be at least 16 characters long (each, when several "
            "comma-separated tokens name several principals)"
        )
    extra = tuple(m.strip() for m in env.get(ENV_EXTRA_OPERATIONS, "").split(",") if m.strip())
    confirm = env.get(ENV_CONFIRM, "ask").strip().lower() or "ask"
    if confirm not in {m.value for m in ConfirmMode}:
        raise ConfigError(f"{ENV_CONFIRM} must be one of ask, never; got {confirm!r}")
    return Settings(
        credentials=credentials,
        data_dir=data_dir,
        database_url=database_url
        or env.get(ENV_DATABASE_URL)
        or sqlite_url(data_dir / (SANDBOX_JOBS_FILE if sandbox else "jobs.db")),
        log_level=level,
        wait_budget_s=_number(env, ENV_WAIT_BUDGET, 20.0, minimum=0.0),
        worker_slots=int(_number(env, ENV_WORKER_SLOTS, 8, minimum=1)),
        lease_s=_number(env, ENV_LEASE, 30.0, minimum=1.0),
        poll_interval_s=_number(env, ENV_POLL_INTERVAL, 1.0, minimum=0.05),
        shutdown_grace_s=_number(env, ENV_SHUTDOWN_GRACE, 10.0, minimum=0.0),
        read_only=read_only if read_only is not None else _flag(env, ENV_READ_ONLY),
        tool_groups=groups,
        http_token=http_token,
        extra_operations=extra,
        sandbox=sandbox,
        s3_part_size_mb=int(_number(env, ENV_S3_PART_SIZE, 8, minimum=5)),
        s3_multipart_threshold_mb=int(_number(env, ENV_S3_MULTIPART_THRESHOLD, 16, minimum=5)),
        s3_concurrency=int(_number(env, ENV_S3_CONCURRENCY, 4, minimum=1)),
        s3_inline_max_kb=int(_number(env, ENV_S3_INLINE_MAX, 1024, minimum=1)),
        answer_max_kb=int(_number(env, ENV_ANSWER_MAX, 32, minimum=4)),
        # The sandbox runs lifecycles `sandbox_speed` times faster: poll as much faster.
        poll_scale=_number(
            env, ENV_POLL_SCALE, 1.0 / sandbox_speed if sandbox else 1.0, minimum=1e-6
        ),
        sandbox_speed=sandbox_speed,
        sandbox_faults=env.get(ENV_SANDBOX_FAULTS) or None,
        cluster_deadline_s=_number(env, ENV_CLUSTER_DEADLINE, 3600.0, minimum=1e-3),
        database_deadline_s=_number(env, ENV_DATABASE_DEADLINE, 3600.0, minimum=1e-3),
        file_roots=_file_roots(env),
        home=Path(env["HOME"]) if env.get("HOME") else None,
        confirm=ConfirmMode(confirm),
        http_session_idle_s=_number(env, ENV_HTTP_SESSION_IDLE, 1800.0, minimum=1.0),
    )


def _file_roots(env: Mapping[str, str]) -> tuple[Path, ...]:
    """The extra file roots: absolute folders separated by ``os.pathsep`` (``:``)."""
    roots = []
    for text in env.get(ENV_FILE_ROOTS, "").split(os.pathsep):
        if not text.strip():
            continue
        path = Path(text.strip()).expanduser()
        if not path.is_absolute():
            raise ConfigError(f"{ENV_FILE_ROOTS}: {text!r} is not an absolute path")
        roots.append(path)
    return tuple(roots)


def check_credentials(settings: Settings) -> None:
    """Raise one ConfigError naming every missing or malformed credential."""
    creds = settings.credentials
    problems = []
    if not creds.access_key:
        problems.append("SCW_ACCESS_KEY is not set")
    elif not ACCESS_KEY_RE.match(creds.access_key):
        problems.append("SCW_ACCESS_KEY does not look like an access key (SCW + 17 characters)")
    if not creds.secret_key:
        problems.append("SCW_SECRET_KEY is not set")
    elif not UUID_RE.match(creds.secret_key):
        problems.append("SCW_SECRET_KEY is not a UUID")
    if not creds.project_id:
        problems.append("SCW_DEFAULT_PROJECT_ID is not set")
    elif not UUID_RE.match(creds.project_id):
        problems.append("SCW_DEFAULT_PROJECT_ID is not a UUID")
    if problems:
        raise ConfigError(
            "missing Scaleway credentials: "
            + "; ".join(problems)
            + ". Set them in the environment or in the Scaleway config file "
            "(~/.config/scw/config.yaml, or SCW_CONFIG_PATH / SCW_PROFILE), "
            "or try the server with --sandbox."
        )
