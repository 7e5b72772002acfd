"""Where tools may read and write local files: under the configured roots, never in secrets.

Every tool argument that names a local file goes through ``readable`` or ``writable``. The text
is checked (no NUL byte, no over-long name), ``~`` is expanded, relative paths are refused (the
server's working directory is not the user's), and the path is resolved, symlinks included,
before it is compared with the roots: the data dir's ``downloads`` and ``uploads`` folders, the
user's home except its dot-folders (``~/.ssh``, ``~/.aws``...), and ``SCW_MCP_FILE_ROOTS``. The
secrets folder (kubeconfigs, passwords) is outside every root, even a root that contains it.
Writes never replace a file without ``overwrite`` and create missing folders only inside the
server's own downloads/uploads folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mcp_front.config import Settings
from mcp_front.errors import ToolInputError
from workers.storage.paths import LocalPathError, check_destination, check_source

MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255
DIR_MODE = 0o700


@dataclass(frozen=True, slots=True)
class FileRoots:
    """The folders tools may use (``roots``, ``home`` minus dot-folders) and the ``private``
    ones they never may; all resolved."""

    roots: tuple[Path, ...]
    home: Path | None
    private: tuple[Path, ...]
    own: tuple[Path, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> FileRoots:
        """The roots the settings configure."""
        data = settings.data_dir
        own = tuple(p.resolve() for p in (data / "downloads", data / "uploads"))
        home = settings.home.resolve() if settings.home else None
        return cls(
            roots=own + tuple(r.resolve() for r in settings.file_roots),
            # A home of "/" (service accounts) would open the whole disk: it is no root then.
            home=home if home is not None and home != home.parent else None,
            private=(settings.secrets_dir.resolve(),),
            own=own,
        )

    def describe(self) -> str:
        """The roots in words, for error messages."""
        places = [str(r) for r in self.roots]
        if self.home is not None:
            places.append(f"{self.home} (not its dot-folders)")
        return ", ".join(places)

    def allows(self, path: Path) -> bool:
        """Whether the resolved ``path`` lies under a root and outside the private folders."""
        if any(_within(path, p) for p in self.private):
            return False
        if any(_within(path, r) for r in self.roots):
            return True
        if self.home is None or not _within(path, self.home):
            return False
        parts = path.relative_to(self.home).parts
        return not parts or not parts[0].startswith(".")

    def readable(self, field: str, text: str) -> Path:
        """The resolved path of an existing regular file under a root; else ToolInputError."""
        path = self._confined(field, text)
        try:
            check_source(path)
        except LocalPathError as exc:
            raise ToolInputError(field, str(exc)) from None
        return path

    def writable(self, field: str, text: str | Path, *, overwrite: bool) -> Path:
        """The resolved path of a file that may be written under a root; else ToolInputError.

        Missing folders are created only inside the server's own downloads/uploads folders:
        elsewhere a missing folder is more likely a typo than a wish."""
        path = self._confined(field, str(text))
        self._make_parents(field, path.parent)
        try:
            check_destination(path, overwrite=overwrite)
        except LocalPathError as exc:
            raise ToolInputError(field, str(exc)) from None
        return path

    def _confined(self, field: str, text: str) -> Path:
        path = _absolute(field, text)
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop, an unreadable folder
            raise ToolInputError(field, f"cannot resolve {text!r}: {exc}") from None
        if not self.allows(resolved):
            where = f"{text!r}" if str(resolved) == text else f"{text!r} (that is {resolved})"
            raise ToolInputError(
                field, f"{where} is outside the folders tools may use: {self.describe()}"
            )
        return resolved

    def _make_parents(self, field: str, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for each in reversed(missing):
            if not any(_within(each, r) or _within(r, each) for r in self.own):
                raise ToolInputError(field, f"directory {each} does not exist")
            try:
                each.mkdir(mode=DIR_MODE)
            except FileExistsError:
                pass
            except OSError as exc:
                raise ToolInputError(field, f"cannot create {each}: {exc.strerror}") from None


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _absolute(field: str, text: str) -> Path:
    """``text`` as an absolute path (``~`` expanded), its length and characters checked."""
    if "\x00" in text:
        raise ToolInputError(field, "must not contain a NUL byte")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ToolInputError(field, "must be valid Unicode text (a lone surrogate)") from None
    if size > MAX_PATH_BYTES:
        raise ToolInputError(field, f"is {size} bytes long; the limit is {MAX_PATH_BYTES}")
    if not text.strip():
        raise ToolInputError(field, "must be an absolute file path")
    path = Path(text)
    try:
        path = path.expanduser()
    except RuntimeError:  # "~someone" that does not exist
        raise ToolInputError(field, f"{text!r}: unknown user in '~'") from None
    if not path.is_absolute():
        raise ToolInputError(
            field, f"{text!r} is relative; give an absolute path (or one starting with ~)"
        )
    for part in path.parts:
        if len(os.fsencode(part)) > MAX_NAME_BYTES:
            raise ToolInputError(
                field, f"has a name of more than {MAX_NAME_BYTES} bytes: {part[:40]}..."
            )
    return path
