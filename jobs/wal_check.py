"""Finding a damaged SQLite write-ahead log before SQLite silently drops it.

SQLite replays the WAL's frames up to the first one whose checksum fails and discards the
rest without a word, and discards the whole log when its header is bad: committed jobs there
vanish. Read before the first connection opens the file, the log tells what will be lost:
a frame of the current generation (its salts match the header) with a bad checksum is damage;
a frame with other salts is an old, already checkpointed frame, which is normal.
Format: https://www.sqlite.org/fileformat.html#the_write_ahead_log
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_MAGIC = (0x377F0682, 0x377F0683)
_VERSION = 3007000
_HEADER = 32
_FRAME_HEADER = 24
_MASK = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class WalDamage:
    """What SQLite will discard from a damaged log."""

    wal_bytes: int
    header_damaged: bool
    commits_kept: int
    commits_lost: int
    frames_lost: int

    def describe(self) -> str:
        """One line for the operator."""
        if self.header_damaged:
            return (
                f"its write-ahead log ({self.wal_bytes} bytes) has a damaged header and is "
                "discarded: jobs acknowledged since the last checkpoint may be lost"
            )
        return (
            f"its write-ahead log is damaged after {self.commits_kept} committed "
            f"transaction(s): {self.frames_lost} frame(s) holding at least "
            f"{self.commits_lost} more committed transaction(s) are discarded; jobs "
            "acknowledged in them are lost"
        )


def _checksum(data: bytes, s0: int, s1: int, big_endian: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & _MASK
        s1 = (s1 + words[i + 1] + s0) & _MASK
    return s0, s1


def inspect_wal(database: Path) -> WalDamage | None:
    """The damage in ``database``'s ``-wal`` file, or None when it is absent or sound."""
    wal = Path(f"{database}-wal")
    try:
        data = wal.read_bytes()
    except FileNotFoundError:
        return None
    if not data.strip(b"\0"):
        return None
    header_bad = WalDamage(len(data), True, 0, 0, 0)
    if len(data) < _HEADER:
        return header_bad
    magic, version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:_HEADER])
    if magic not in _MAGIC or version != _VERSION or page_size < 512:
        return header_bad
    big_endian = bool(magic & 1)
    s0, s1 = _checksum(data[:24], 0, 0, big_endian)
    if (s0, s1) != (c0, c1):
        return header_bad
    frame_size = _FRAME_HEADER + page_size
    kept = 0
    offset = _HEADER
    while offset + frame_size <= len(data):
        frame = data[offset : offset + frame_size]
        _page, commit, f_salt1, f_salt2, f0, f1 = struct.unpack(">6I", frame[:_FRAME_HEADER])
        if (f_salt1, f_salt2) != (salt1, salt2):
            return None  # an older generation: the valid log ends here, as it should
        s0, s1 = _checksum(frame[:8], s0, s1, big_endian)
        s0, s1 = _checksum(frame[_FRAME_HEADER:], s0, s1, big_endian)
        if (s0, s1) != (f0, f1):
            return _damage_from(data, offset, frame_size, salt1, salt2, kept)
        kept += 1 if commit else 0
        offset += frame_size
    return None


def _damage_from(
    data: bytes, offset: int, frame_size: int, salt1: int, salt2: int, kept: int
) -> WalDamage:
    """Count the current-generation frames and commits from the first bad frame on."""
    frames = commits = 0
    while offset + frame_size <= len(data):
        _page, commit, f_salt1, f_salt2 = struct.unpack(">4I", data[offset : offset + 16])
        if (f_salt1, f_salt2) == (salt1, salt2):
            frames += 1
            commits += 1 if commit else 0
        offset += frame_size
    return WalDamage(len(data), False, kept, commits, frames)
