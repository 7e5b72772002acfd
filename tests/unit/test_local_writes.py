"""Local write failures: a full disk, a full quota or the file size limit is "disk full"."""

from __future__ import annotations

import errno
import os

import pytest

from workers.errors import PermanentError
from workers.storage.errors import LocalDiskFull, local_writes


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_a_full_disk_is_permanent_and_says_disk_full(code: int) -> None:
    with pytest.raises(LocalDiskFull, match=r"^disk full: cannot write /data/x\.part") as caught:
        with local_writes("/data/x.part"):
            raise OSError(code, os.strerror(code))
    assert isinstance(caught.value, PermanentError)


def test_other_local_errors_pass_through() -> None:
    with pytest.raises(PermissionError), local_writes("/data/x.part"):
        raise PermissionError(errno.EACCES, "Permission denied")
