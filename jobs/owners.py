"""Lease owners: who holds a job, and whether that holder is a dead process on this host.

An owner id is ``host:pid:start:suffix``: ``start`` is the process's start time in clock ticks
since boot (Linux ``/proc``), so a pid reused by a later process is told apart from the
holder. A starting worker uses ``dead_here`` to take over the leases of a process that died
on its own host at once, instead of waiting for them to expire.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

_HOST_CHARS = 32


def host_name() -> str:
    """This host's name as owner ids carry it."""
    return socket.gethostname()[:_HOST_CHARS].replace(":", "-")


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (ticks since boot, as text); None if it does not exist.

    Without ``/proc`` (not Linux), "0" for a live process: only a gone pid is then detected.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        stat = ""
    if stat:
        # The command name (field 2) may hold spaces and parentheses: split after its end.
        return stat.rsplit(")", 1)[1].split()[19]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's
    return "0"


def new_owner() -> str:
    """A worker id unique to this process: ``host:pid:start:suffix``."""
    pid = os.getpid()
    return f"{host_name()}:{pid}:{process_start(pid) or '0'}:{uuid.uuid4().hex[:8]}"


def dead_here(owner: str, host: str | None = None) -> bool:
    """Whether ``owner`` is a process of this host that is gone or whose pid was reused.

    Owners of other hosts, and ids not in the ``host:pid:start:suffix`` form, are never
    judged dead: their leases expire as usual.
    """
    parts = owner.split(":")
    if len(parts) != 4 or parts[0] != (host or host_name()) or not parts[1].isdigit():
        return False
    pid, start = int(parts[1]), parts[2]
    if pid == os.getpid():
        return start != process_start(pid)  # an earlier process that had our pid
    current = process_start(pid)
    return current is None or (start != "0" and current != "0" and current != start)
