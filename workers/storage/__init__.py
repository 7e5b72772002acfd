"""Object Storage over aioboto3: the adapter, its errors, and streaming resumable transfers.

Importing this package does not import aioboto3; the first call does.
"""

from __future__ import annotations

from workers.storage.client import ObjectStorage, StorageSettings

__all__ = ["ObjectStorage", "StorageSettings"]
