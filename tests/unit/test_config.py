"""Configuration: SCW_* variables over the Scaleway config file, validated once at the edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.database import sqlite_url
from mcp_front.config import (
    TOOL_GROUPS,
    ConfigError,
    Settings,
    check_credentials,
    check_region,
    check_zone,
    load_settings,
)

ACCESS_KEY = "SCWXXXXXXXXXXXXXXXXX"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
OTHER_UUID = "00000000-0000-0000-0000-000000000001"
CREDENTIALS = {
    "SCW_ACCESS_KEY": ACCESS_KEY,
    "SCW_SECRET_KEY": ZERO_UUID,
    "SCW_DEFAULT_PROJECT_ID": ZERO_UUID,
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A HOME with no Scaleway config file, so the real one is never read."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def load(home: Path, **env: str) -> Settings:
    return load_settings({"HOME": str(home), "SCW_MCP_DATA_DIR": str(home / "data"), **env})


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


SCW_CONFIG = f"""\
access_key: {ACCESS_KEY}
secret_key: {ZERO_UUID}
default_project_id: {ZERO_UUID}
default_organization_id: {ZERO_UUID}
default_region: nl-ams
default_zone: nl-ams-1
profiles:
  prod:
    default_project_id: {OTHER_UUID}
    default_region: pl-waw
    default_zone: pl-waw-2
  dev:
    default_zone: fr-par-2
"""


# -- sources ----------------------------------------------------------------------------


def test_environment_alone_gives_credentials_and_defaults(home: Path) -> None:
    settings = load(home, **CREDENTIALS)

    creds = settings.credentials
    assert (creds.access_key, creds.secret_key, creds.project_id) == (
        ACCESS_KEY,
        ZERO_UUID,
        ZERO_UUID,
    )
    assert (creds.region, creds.zone) == ("fr-par", "fr-par-1")
    check_credentials(settings)  # complete


def test_config_file_at_the_default_path_is_read(home: Path) -> None:
    write_config(home / ".config" / "scw" / "config.yaml", SCW_CONFIG)

    creds = load(home).credentials

    assert creds.access_key == ACCESS_KEY
    assert creds.secret_key == ZERO_UUID
    assert creds.organization_id == ZERO_UUID
    assert (creds.region, creds.zone) == ("nl-ams", "nl-ams-1")


def test_config_file_under_xdg_config_home_is_read(home: Path, tmp_path: Path) -> None:
    write_config(tmp_path / "xdg" / "scw" / "config.yaml", SCW_CONFIG)

    creds = load(home, XDG_CONFIG_HOME=str(tmp_path / "xdg")).credentials

    assert creds.region == "nl-ams"


def test_environment_wins_over_the_config_file(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "scw.yaml", SCW_CONFIG)

    creds = load(
        home,
        SCW_CONFIG_PATH=str(path),
        SCW_DEFAULT_PROJECT_ID=OTHER_UUID,
        SCW_DEFAULT_REGION="fr-par",
        SCW_DEFAULT_ZONE="fr-par-3",
    ).credentials

    assert creds.project_id == OTHER_UUID
    assert (creds.region, creds.zone) == ("fr-par", "fr-par-3")
    assert creds.access_key == ACCESS_KEY  # not in the environment: from the file


def test_project_id_alias_is_read_and_the_default_name_wins(home: Path) -> None:
    assert load(home, SCW_PROJECT_ID=OTHER_UUID).credentials.project_id == OTHER_UUID
    both = load(home, SCW_PROJECT_ID=OTHER_UUID, SCW_DEFAULT_PROJECT_ID=ZERO_UUID)
    assert both.credentials.project_id == ZERO_UUID


def test_scw_profile_selects_a_profile_over_the_top_level_values(
    home: Path, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "scw.yaml", SCW_CONFIG)

    creds = load(home, SCW_CONFIG_PATH=str(path), SCW_PROFILE="prod").credentials

    assert creds.project_id == OTHER_UUID
    assert (creds.region, creds.zone) == ("pl-waw", "pl-waw-2")
    assert creds.access_key == ACCESS_KEY  # inherited from the top level


def test_active_profile_of_the_file_is_used_without_scw_profile(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "scw.yaml", "active_profile: dev\n" + SCW_CONFIG)

    assert load(home, SCW_CONFIG_PATH=str(path)).credentials.zone == "fr-par-2"
    chosen = load(home, SCW_CONFIG_PATH=str(path), SCW_PROFILE="prod")
    assert chosen.credentials.zone == "pl-waw-2"


def test_scw_profile_default_means_the_top_level_values_over_active_profile(
    home: Path, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "scw.yaml", "active_profile: prod\n" + SCW_CONFIG)

    creds = load(home, SCW_CONFIG_PATH=str(path), SCW_PROFILE="default").credentials

    assert (creds.region, creds.zone) == ("nl-ams", "nl-ams-1")


def test_unknown_profile_is_an_error_listing_the_known_ones(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "scw.yaml", SCW_CONFIG)

    with pytest.raises(ConfigError) as caught:
        load(home, SCW_CONFIG_PATH=str(path), SCW_PROFILE="staging")

    message = str(caught.value)
    assert "'staging'" in message
    assert "SCW_PROFILE" in message
    assert "dev, prod" in message


def test_scw_config_path_to_a_missing_file_is_an_error(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.yaml"

    with pytest.raises(ConfigError) as caught:
        load(home, SCW_CONFIG_PATH=str(missing), **CREDENTIALS)

    assert "SCW_CONFIG_PATH" in str(caught.value)
    assert str(missing) in str(caught.value)


def test_missing_default_config_file_is_fine(home: Path) -> None:
    assert load(home, **CREDENTIALS).credentials.access_key == ACCESS_KEY


@pytest.mark.parametrize(
    "text", ["access_key: [unclosed\n", "- just\n- a list\n"], ids=["bad-yaml", "not-a-mapping"]
)
def test_unreadable_config_file_is_an_error_naming_it(
    home: Path, tmp_path: Path, text: str
) -> None:
    path = write_config(tmp_path / "scw.yaml", text)

    with pytest.raises(ConfigError, match=r"scw\.yaml"):
        load(home, SCW_CONFIG_PATH=str(path))


def test_sandbox_ignores_the_config_file(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "scw.yaml", SCW_CONFIG)
    settings = load_settings(
        {"HOME": str(home), "SCW_MCP_DATA_DIR": str(home / "data"), "SCW_CONFIG_PATH": str(path)},
        sandbox=True,
    )
    assert settings.credentials.access_key is None
    assert settings.sandbox


def test_endpoints_come_from_the_environment(home: Path) -> None:
    creds = load(
        home, SCW_API_URL="http://127.0.0.1:9000", SCW_S3_ENDPOINT_URL="http://127.0.0.1:9001"
    ).credentials
    assert creds.api_url == "http://127.0.0.1:9000"
    assert creds.s3_endpoint_url == "http://127.0.0.1:9001"


# -- credentials ------------------------------------------------------------------------


def test_missing_credentials_raise_one_error_naming_every_missing_variable(home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        check_credentials(load(home))

    message = str(caught.value)
    for name in ("SCW_ACCESS_KEY", "SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID"):
        assert f"{name} is not set" in message
    assert "--sandbox" in message


def test_one_missing_credential_is_the_only_one_named(home: Path) -> None:
    env = {k: v for k, v in CREDENTIALS.items() if k != "SCW_SECRET_KEY"}
    with pytest.raises(ConfigError) as caught:
        check_credentials(load(home, **env))
    assert "SCW_SECRET_KEY is not set" in str(caught.value)
    assert "SCW_ACCESS_KEY" not in str(caught.value)


@pytest.mark.parametrize(
    "access_key", ["AKIAXXXXXXXXXXXXXXXX", "SCWXXXX", "scwxxxxxxxxxxxxxxxxx", f"{ACCESS_KEY}X"]
)
def test_malformed_access_key_is_reported(home: Path, access_key: str) -> None:
    with pytest.raises(ConfigError, match="SCW_ACCESS_KEY does not look like an access key"):
        check_credentials(load(home, **{**CREDENTIALS, "SCW_ACCESS_KEY": access_key}))


def test_malformed_secret_key_is_reported_without_echoing_it(home: Path) -> None:
    bad = "not-a-uuid-but-maybe-a-real-secret"
    with pytest.raises(ConfigError) as caught:
        check_credentials(load(home, **{**CREDENTIALS, "SCW_SECRET_KEY": bad}))
    assert "SCW_SECRET_KEY is not a UUID" in str(caught.value)
    assert bad not in str(caught.value)


def test_malformed_project_id_is_reported(home: Path) -> None:
    with pytest.raises(ConfigError, match="SCW_DEFAULT_PROJECT_ID is not a UUID"):
        check_credentials(load(home, **{**CREDENTIALS, "SCW_DEFAULT_PROJECT_ID": "my-project"}))


def test_every_problem_is_reported_at_once(home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        check_credentials(load(home, SCW_ACCESS_KEY="bad", SCW_SECRET_KEY="bad"))
    message = str(caught.value)
    assert "SCW_ACCESS_KEY does not look" in message
    assert "SCW_SECRET_KEY is not a UUID" in message
    assert "SCW_DEFAULT_PROJECT_ID is not set" in message


def test_secrets_stay_out_of_the_settings_repr(home: Path) -> None:
    token = "t0k3n-abcdef-0123456789"
    settings = load(home, **{**CREDENTIALS, "SCW_SECRET_KEY": OTHER_UUID}, SCW_MCP_HTTP_TOKEN=token)
    assert OTHER_UUID not in repr(settings)
    assert "t0k3n-abcdef" not in repr(settings)
    assert set(settings.secret_values()) == {OTHER_UUID, token}


# -- regions and zones ------------------------------------------------------------------


def test_known_region_and_zone_pass() -> None:
    assert check_region("nl-ams") == "nl-ams"
    assert check_zone("pl-waw-2") == "pl-waw-2"


def test_unknown_region_is_an_error_listing_the_valid_ones(home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(home, SCW_DEFAULT_REGION="us-east-1")
    message = str(caught.value)
    assert "SCW_DEFAULT_REGION" in message and "'us-east-1'" in message
    assert "fr-par, nl-ams, pl-waw" in message


def test_unknown_zone_is_an_error_listing_the_valid_ones(home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(home, SCW_DEFAULT_ZONE="fr-par-9")
    message = str(caught.value)
    assert "SCW_DEFAULT_ZONE" in message and "'fr-par-9'" in message
    for zone in ("fr-par-1", "nl-ams-1", "pl-waw-1"):
        assert zone in message


def test_unknown_region_in_the_config_file_is_an_error_too(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "scw.yaml", "default_region: mars-1\n")
    with pytest.raises(ConfigError, match="'mars-1'"):
        load(home, SCW_CONFIG_PATH=str(path))


def test_check_region_names_the_field_it_checks() -> None:
    with pytest.raises(ConfigError, match=r"^region 'xx' is not a Scaleway region"):
        check_region("xx")
    with pytest.raises(ConfigError, match=r"^cluster_region 'xx'"):
        check_region("xx", field_name="cluster_region")


# -- product settings -------------------------------------------------------------------


def test_product_settings_have_defaults(home: Path) -> None:
    settings = load(home)
    assert settings.log_level == "INFO"
    assert settings.worker_slots == 8
    assert settings.lease_s == 30.0
    assert settings.poll_interval_s == 1.0
    assert 0 < settings.wait_budget_s < 60
    assert settings.read_only is False
    assert settings.tool_groups == TOOL_GROUPS


def test_numeric_settings_are_parsed(home: Path) -> None:
    settings = load(
        home,
        SCW_MCP_WORKER_SLOTS="3",
        SCW_MCP_LEASE_S="12.5",
        SCW_MCP_POLL_INTERVAL_S="0.25",
        SCW_MCP_WAIT_BUDGET_S="0",
        SCW_MCP_SHUTDOWN_GRACE_S="2",
    )
    assert settings.worker_slots == 3
    assert settings.lease_s == 12.5
    assert settings.poll_interval_s == 0.25
    assert settings.wait_budget_s == 0.0
    assert settings.shutdown_grace_s == 2.0


NUMERIC = [
    "SCW_MCP_WORKER_SLOTS",
    "SCW_MCP_LEASE_S",
    "SCW_MCP_POLL_INTERVAL_S",
    "SCW_MCP_WAIT_BUDGET_S",
    "SCW_MCP_SHUTDOWN_GRACE_S",
]


@pytest.mark.parametrize("name", NUMERIC)
def test_a_non_number_is_an_error_naming_the_variable(home: Path, name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(home, **{name: "lots"})
    assert str(caught.value) == f"{name} must be a number, got 'lots'"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCW_MCP_WORKER_SLOTS", "0"),
        ("SCW_MCP_LEASE_S", "0.5"),
        ("SCW_MCP_POLL_INTERVAL_S", "0.001"),
        ("SCW_MCP_WAIT_BUDGET_S", "-1"),
        ("SCW_MCP_SHUTDOWN_GRACE_S", "-0.1"),
    ],
)
def test_a_number_below_its_minimum_is_an_error_naming_the_variable(
    home: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=f"^{name} must be at least"):
        load(home, **{name: value})


@pytest.mark.parametrize("name", NUMERIC)
def test_a_non_finite_number_is_an_error_naming_the_variable(home: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load(home, **{name: "nan"})


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "on", " On "])
def test_read_only_flag_accepts_true_words(home: Path, raw: str) -> None:
    assert load(home, SCW_MCP_READ_ONLY=raw).read_only is True


@pytest.mark.parametrize("raw", ["", "0", "false", "no", "off"])
def test_read_only_flag_accepts_false_words(home: Path, raw: str) -> None:
    assert load(home, SCW_MCP_READ_ONLY=raw).read_only is False


def test_a_flag_that_is_neither_true_nor_false_is_an_error_naming_it(home: Path) -> None:
    with pytest.raises(ConfigError, match=r"^SCW_MCP_READ_ONLY must be true or false, got 'maybe'"):
        load(home, SCW_MCP_READ_ONLY="maybe")


def test_flags_given_by_the_caller_win_over_the_environment(home: Path) -> None:
    env = {"HOME": str(home), "SCW_MCP_DATA_DIR": str(home / "data")}
    settings = load_settings(
        {**env, "SCW_MCP_READ_ONLY": "true", "SCW_MCP_LOG_LEVEL": "ERROR"},
        read_only=False,
        log_level="debug",
    )
    assert settings.read_only is False
    assert settings.log_level == "DEBUG"


def test_log_level_is_case_insensitive_and_checked(home: Path) -> None:
    assert load(home, SCW_MCP_LOG_LEVEL="warning").log_level == "WARNING"
    with pytest.raises(ConfigError, match="'LOUD'"):
        load(home, SCW_MCP_LOG_LEVEL="loud")


def test_tool_groups_are_parsed_and_jobs_is_always_kept(home: Path) -> None:
    settings = load(home, SCW_MCP_TOOL_GROUPS=" k8s , instance,,")
    assert settings.tool_groups == ("jobs", "k8s", "instance")
    assert load(home, SCW_MCP_TOOL_GROUPS="jobs,storage").tool_groups == ("jobs", "storage")


def test_empty_tool_groups_mean_the_default_groups(home: Path) -> None:
    assert load(home, SCW_MCP_TOOL_GROUPS=" , ").tool_groups == TOOL_GROUPS
    assert "lb" not in TOOL_GROUPS and "dns" not in TOOL_GROUPS


def test_optional_groups_are_added_to_the_defaults_by_name(home: Path) -> None:
    settings = load(home, SCW_MCP_TOOL_GROUPS="default,lb,dns,serverless")
    assert settings.tool_groups == (*TOOL_GROUPS, "lb", "dns", "serverless")
    assert load(home, SCW_MCP_TOOL_GROUPS="lb").tool_groups == ("jobs", "lb")


def test_unknown_tool_groups_are_an_error_listing_the_valid_ones(home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(home, SCW_MCP_TOOL_GROUPS="k8s,mail,billing")
    message = str(caught.value)
    assert "mail, billing" in message
    assert ", ".join(TOOL_GROUPS) in message and "lb, dns, serverless" in message


def test_tool_groups_given_by_the_caller_win_over_the_environment(home: Path) -> None:
    settings = load_settings(
        {"HOME": str(home), "SCW_MCP_DATA_DIR": str(home), "SCW_MCP_TOOL_GROUPS": "dns"},
        tool_groups="registry",
    )
    assert settings.tool_groups == ("jobs", "registry")


def test_extra_operation_modules_are_listed(home: Path) -> None:
    settings = load(home, SCW_MCP_EXTRA_OPERATIONS="tests.support.counting_ops, my.ops ,")
    assert settings.extra_operations == ("tests.support.counting_ops", "my.ops")


# -- where data lives -------------------------------------------------------------------


def test_default_database_is_a_sqlite_file_under_the_data_dir(home: Path) -> None:
    settings = load(home)
    assert settings.data_dir == home / "data"
    assert settings.database_url == sqlite_url(home / "data" / "jobs.db")
    assert settings.secrets_dir == home / "data" / "secrets"


def test_sandbox_uses_its_own_database_file(home: Path) -> None:
    settings = load_settings(
        {"HOME": str(home), "SCW_MCP_DATA_DIR": str(home / "data")}, sandbox=True
    )
    assert settings.database_url == sqlite_url(home / "data" / "sandbox-jobs.db")


def test_database_url_from_the_environment_or_the_caller(home: Path) -> None:
    env = {"HOME": str(home), "SCW_MCP_DATA_DIR": str(home / "data")}
    from_env = load_settings({**env, "SCW_MCP_DATABASE_URL": "postgresql+asyncpg://db/jobs"})
    assert from_env.database_url == "postgresql+asyncpg://db/jobs"
    from_flag = load_settings(
        {**env, "SCW_MCP_DATABASE_URL": "postgresql+asyncpg://db/jobs"},
        database_url="sqlite+aiosqlite:////tmp/x.db",
    )
    assert from_flag.database_url == "sqlite+aiosqlite:////tmp/x.db"


def test_data_dir_expands_the_home_directory(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(home))
    settings = load_settings({"HOME": str(home), "SCW_MCP_DATA_DIR": "~/scw-data"})
    assert settings.data_dir == home / "scw-data"


def test_a_short_http_token_is_refused(home: Path) -> None:
    with pytest.raises(ConfigError, match="SCW_MCP_HTTP_TOKEN must be at least 16"):
        load(home, **CREDENTIALS, SCW_MCP_HTTP_TOKEN="short")


def test_destructive_tools_ask_unless_confirmation_is_turned_off(home: Path) -> None:
    from mcp_front.config import ConfirmMode

    assert load(home).confirm is ConfirmMode.ASK
    assert load(home, SCW_MCP_CONFIRM="never").confirm is ConfirmMode.NEVER
    with pytest.raises(ConfigError, match=r"^SCW_MCP_CONFIRM must be one of ask, never"):
        load(home, SCW_MCP_CONFIRM="sometimes")


def test_http_session_idle_limit_is_configurable(home: Path) -> None:
    assert load(home).http_session_idle_s == 1800.0
    assert load(home, SCW_MCP_HTTP_SESSION_IDLE_S="60").http_session_idle_s == 60.0
    with pytest.raises(ConfigError, match="SCW_MCP_HTTP_SESSION_IDLE_S"):
        load(home, SCW_MCP_HTTP_SESSION_IDLE_S="0")
