"""File roots from the settings: which resolved paths tools may touch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mcp_front.config import ConfigError, Settings
from mcp_front.errors import ToolInputError
from mcp_front.file_roots import FileRoots


def test_extra_roots_must_be_absolute(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match="SCW_MCP_FILE_ROOTS"):
        make_settings(SCW_MCP_FILE_ROOTS="relative/folder")


def test_home_roots_exclude_dot_folders_and_secrets(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(SCW_MCP_FILE_ROOTS=f"/srv/share:{tmp_path}/.config/tool")
    roots = FileRoots.of(settings)
    assert roots.allows(tmp_path / "notes" / "a.txt")
    assert not roots.allows(tmp_path / ".aws" / "credentials")
    assert roots.allows(tmp_path / ".config" / "tool" / "x")  # an explicit root wins
    assert roots.allows(Path("/srv/share/x"))
    assert not roots.allows(settings.secrets_dir / "kubeconfig.yaml")
    assert not roots.allows(Path("/etc/shadow"))


def test_a_home_of_slash_opens_nothing(make_settings: Callable[..., Settings]) -> None:
    roots = FileRoots.of(make_settings(HOME="/"))
    assert roots.home is None and not roots.allows(Path("/etc/passwd"))


def test_missing_folders_are_created_only_in_the_servers_own_folders(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    roots = FileRoots.of(settings)
    target = settings.data_dir / "downloads" / "bucket" / "deep" / "file.bin"
    assert roots.writable("path", str(target), overwrite=False) == target.resolve()
    assert target.parent.is_dir()
    with pytest.raises(ToolInputError, match="does not exist"):
        roots.writable("path", str(tmp_path / "a" / "b.txt"), overwrite=False)
    assert not (tmp_path / "a").exists()


def test_a_symlink_loop_is_a_field_error(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(ToolInputError, match=r"^path: "):
        FileRoots.of(make_settings()).readable("path", str(tmp_path / "loop"))
