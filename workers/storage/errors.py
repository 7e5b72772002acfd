"""Object Storage errors, and the one place botocore errors are translated into them.

    StorageError (an OperationError)
    ├── StorageUnavailable   TransientError: 5xx, throttling, timeouts, connection resets
    ├── NoSuchBucket         PermanentError
    ├── NoSuchKey            PermanentError
    ├── AccessDenied         PermanentError: credentials or bucket policy refuse it
    ├── BucketNameTaken      PermanentError: the name belongs to another account
    ├── BucketAlreadyOwned   PermanentError: you own it already (create treats it as success)
    ├── EntityTooLarge       PermanentError: beyond what S3 accepts in one request or part
    ├── InvalidBucketName    PermanentError
    ├── UploadGone           PermanentError: a multipart upload was aborted or completed
    ├── ObjectChanged        PermanentError: the object changed during a download
    ├── LocalDiskFull        PermanentError: the local disk cannot take a download
    └── StorageRequestError  PermanentError: any other refusal, with the service's message,
                             or botocore's own check of the request (ParamValidationError)

The messages are shown to users; they name the bucket and key, never credentials.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from workers.errors import PermanentError, RateLimited, TransientError

logger = logging.getLogger(__name__)


class StorageError(Exception):
    """Base class of Object Storage errors (always combined with a workers error class)."""


class StorageUnavailable(StorageError, TransientError):
    """The service failed transiently; worth another try."""


class StorageThrottled(StorageError, RateLimited):
    """The service asked us to slow down."""


class NoSuchBucket(StorageError, PermanentError):
    """The bucket does not exist in that region."""


class NoSuchKey(StorageError, PermanentError):
    """The object does not exist."""


class AccessDenied(StorageError, PermanentError):
    """The credentials are not allowed to do this."""


class BucketNameTaken(StorageError, PermanentError):
    """The bucket name is owned by another account."""


class BucketAlreadyOwned(StorageError, PermanentError):
    """The bucket exists and is yours."""


class EntityTooLarge(StorageError, PermanentError):
    """The request or part is larger than allowed."""


class InvalidBucketName(StorageError, PermanentError):
    """The bucket name breaks the naming rules."""


class UploadGone(StorageError, PermanentError):
    """The multipart upload no longer exists (aborted or completed)."""


class ObjectChanged(StorageError, PermanentError):
    """The object was replaced while it was being read."""


class LocalDiskFull(StorageError, PermanentError):
    """The local disk (or the process's file size limit) cannot take the download: retrying
    cannot help until space is freed."""


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextmanager
def local_writes(path: str | Path) -> Iterator[None]:
    """Turn a full disk, a full quota or a file over the size limit, met while writing
    ``path``, into LocalDiskFull; other local errors pass through."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in DISK_FULL_ERRNOS:
            raise
        raise LocalDiskFull(
            f"disk full: cannot write {path} ({exc.strerror}); free some space, then download again"
        ) from None


class StorageRequestError(StorageError, PermanentError):
    """The service refused the request for another reason."""


_Factory = Callable[[str, str, str], StorageError]  # (bucket, where, service message)

_BY_CODE: dict[str, _Factory] = {
    "NoSuchBucket": lambda b, w, m: NoSuchBucket(f"bucket {b} does not exist in this region"),
    "NoSuchKey": lambda b, w, m: NoSuchKey(f"object {w} does not exist"),
    "AccessDenied": lambda b, w, m: AccessDenied(
        f"access denied to {w}: check the access key, its project and the bucket policy"
    ),
    "InvalidAccessKeyId": lambda b, w, m: AccessDenied(
        f"the access key is not known to Object Storage (while accessing {w})"
    ),
    "SignatureDoesNotMatch": lambda b, w, m: AccessDenied(
        f"the secret key does not match the access key (while accessing {w})"
    ),
    "BucketAlreadyExists": lambda b, w, m: BucketNameTaken(
        f"bucket name {b} is taken by another account; bucket names are global, pick another"
    ),
    "BucketAlreadyOwnedByYou": lambda b, w, m: BucketAlreadyOwned(
        f"bucket {b} already exists and is yours"
    ),
    "EntityTooLarge": lambda b, w, m: EntityTooLarge(f"{w} is too large: {m}"),
    "EntityTooSmall": lambda b, w, m: StorageRequestError(f"a part of {w} is too small: {m}"),
    "InvalidBucketName": lambda b, w, m: InvalidBucketName(
        f"bucket name {b} is not valid: 3-63 lowercase letters, digits, '-' or '.'"
    ),
    "NoSuchUpload": lambda b, w, m: UploadGone(f"the multipart upload of {w} no longer exists"),
    "PreconditionFailed": lambda b, w, m: ObjectChanged(
        f"object {w} changed while it was being read; try again"
    ),
    "InvalidLocationConstraint": lambda b, w, m: StorageRequestError(
        f"the region is not valid for bucket {b}: {m}"
    ),
    "BucketNotEmpty": lambda b, w, m: StorageRequestError(f"bucket {b} is not empty"),
}
_MAX_LOCAL_MESSAGE = 300
_THROTTLING = frozenset({"SlowDown", "Throttling", "ThrottlingException", "TooManyRequests"})
_TRANSIENT = frozenset({"InternalError", "ServiceUnavailable", "RequestTimeout"})


def _where(bucket: str | None, key: str | None) -> str:
    if bucket and key:
        return f"s3://{bucket}/{key}"
    return f"bucket {bucket!r}" if bucket else "the requested resource"


def map_client_error(
    exc: Exception, *, bucket: str | None = None, key: str | None = None
) -> StorageError:
    """The StorageError for a botocore ClientError, by its error code and HTTP status."""
    response = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or code or type(exc).__name__)
    status = int(meta.get("HTTPStatusCode") or 0)
    where = _where(bucket, key)
    named = repr(bucket) if bucket else "(unnamed)"
    if code in _BY_CODE:
        return _BY_CODE[code](named, where, message)
    if code in _THROTTLING or status == 429:
        retry_after = str((meta.get("HTTPHeaders") or {}).get("retry-after") or "")
        return StorageThrottled(
            f"Object Storage is throttling requests ({where})",
            retry_after_s=float(retry_after) if retry_after.isdigit() else None,
        )
    if code in _TRANSIENT or status >= 500:
        return StorageUnavailable(f"Object Storage failed transiently on {where}: {message}")
    if code in ("404", "NotFound"):  # HEAD responses carry no error body
        if key:
            return NoSuchKey(f"object {where} does not exist")
        return NoSuchBucket(f"bucket {named} does not exist in this region")
    if code == "403" or status == 403:
        return _BY_CODE["AccessDenied"](named, where, message)
    return StorageRequestError(f"Object Storage refused the request on {where}: {code} {message}")


@contextmanager
def translated(bucket: str | None = None, key: str | None = None) -> Iterator[None]:
    """Translate botocore and network errors raised inside the block into StorageErrors.

    Only the network's failures (connections, timeouts, truncated or corrupted transfers)
    are transient; botocore's own checks of the request (``ParamValidationError`` and the
    other local errors) are permanent: sending it again cannot help.
    Keep local file I/O outside the block: its errors are not the service's.
    """
    import aiohttp
    from botocore.exceptions import (
        BotoCoreError,
        ChecksumError,
        ClientError,
        FlexibleChecksumError,
        HTTPClientError,
        IncompleteReadError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError

    network = (
        BotoConnectionError,
        HTTPClientError,
        IncompleteReadError,
        ChecksumError,
        FlexibleChecksumError,
        aiohttp.ClientConnectionError,
        aiohttp.ClientPayloadError,
        TimeoutError,
    )
    try:
        yield
    except StorageError:
        raise
    except ClientError as exc:
        raise map_client_error(exc, bucket=bucket, key=key) from exc
    except network as exc:
        logger.debug("Object Storage transport error: %r", exc)
        raise StorageUnavailable(
            f"could not reach Object Storage for {_where(bucket, key)}: {type(exc).__name__}"
        ) from exc
    except (BotoCoreError, aiohttp.ClientError) as exc:
        raise StorageRequestError(
            f"the request for {_where(bucket, key)} was refused before it was sent: "
            f"{_local_message(exc)}"
        ) from exc


def _local_message(exc: Exception) -> str:
    """botocore's own words on a request it would not send, on one bounded line."""
    text = " ".join(str(exc).split()).removeprefix("Parameter validation failed: ")
    return (text[:_MAX_LOCAL_MESSAGE] + "...") if len(text) > _MAX_LOCAL_MESSAGE else text
