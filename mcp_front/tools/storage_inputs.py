"""Arguments of the Object Storage tools: names, keys and regions checked before any call."""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import Field, field_validator, model_validator

from mcp_front.config import region_problem
from mcp_front.toolkit import ToolInput
from workers.storage.names import (
    bucket_name_problem,
    bucket_reference_problem,
    bucket_tags_problem,
    content_type_problem,
    key_problem,
    metadata_problem,
)

_V = TypeVar("_V")
_REGION = "Region, e.g. fr-par."


def _checked(problem: str | None, value: _V) -> _V:
    if problem:
        raise ValueError(problem)
    return value


def _region_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    problem = region_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class _Regional(ToolInput):
    region: str | None = Field(None, description=_REGION)

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: str | None) -> str | None:
        return _region_or_none(value)


class _BucketInput(_Regional):
    bucket: str = Field(description="Bucket name.")

    @field_validator("bucket")
    @classmethod
    def _check_bucket(cls, value: str) -> str:
        return _checked(bucket_reference_problem(value), value)


class _ObjectInput(_BucketInput):
    key: str = Field(description="Object key, e.g. 'reports/2024/q1.csv'.")

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        return _checked(key_problem(value), value)


class ListBucketsInput(_Regional):
    pass


class CreateBucketInput(_Regional):
    name: str = Field(description="Bucket name: 3-63 lowercase letters, digits, '-' or '.'.")
    acl: Literal["private", "public-read"] = Field("private", description="Access for everyone.")
    versioning: bool = Field(False, description="Keep every version of each object.")
    tags: dict[str, str] = Field(default_factory=dict, description="Bucket tags.")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _checked(bucket_name_problem(value), value)

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, value: dict[str, str]) -> dict[str, str]:
        return _checked(bucket_tags_problem(value), value)


class DeleteBucketInput(_Regional):
    name: str = Field(description="Bucket name.")
    force: bool = Field(
        False, description="Also delete every object, version and unfinished upload in it."
    )

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _checked(bucket_reference_problem(value), value)


class ListObjectsInput(_BucketInput):
    prefix: str = Field("", description="Only keys starting with this.")
    delimiter: str | None = Field(None, description="Group keys into folders, usually '/'.")
    continuation_token: str | None = Field(None, description="next_token of the previous page.")
    page_size: int = Field(100, ge=1, le=1000, description="Objects per page.")


class UploadObjectInput(_ObjectInput):
    path: str | None = Field(None, description="Absolute path of a local file to upload.")
    text: str | None = Field(None, description="Inline UTF-8 text to upload instead of a file.")
    content_base64: str | None = Field(None, description="Inline base64 bytes instead of a file.")
    content_type: str | None = Field(None, description="MIME type; guessed from the name.")
    storage_class: Literal["STANDARD", "ONEZONE_IA", "GLACIER"] | None = Field(
        None, description="Default: STANDARD."
    )
    metadata: dict[str, str] = Field(
        default_factory=dict, description="x-amz-meta-* headers: printable ASCII names/values."
    )

    @field_validator("content_type")
    @classmethod
    def _check_content_type(cls, value: str | None) -> str | None:
        return _checked(content_type_problem(value), value) if value is not None else None

    @field_validator("metadata")
    @classmethod
    def _check_metadata(cls, value: dict[str, str]) -> dict[str, str]:
        return _checked(metadata_problem(value), value)

    @model_validator(mode="after")
    def _one_source(self) -> UploadObjectInput:
        given = [n for n in ("path", "text", "content_base64") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of path, text or content_base64")
        return self


class DownloadObjectInput(_ObjectInput):
    path: str | None = Field(
        None, description="Absolute local file to write; default: the server's downloads dir."
    )
    inline: bool | None = Field(
        None, description="Return small text content inline (default: when small and text)."
    )
    overwrite: bool = Field(False, description="Replace an existing local file.")
    presigned_url: bool = Field(False, description="Return a temporary URL instead of bytes.")
    expires_s: int = Field(3600, ge=1, le=7 * 24 * 3600, description="Presigned URL lifetime.")


class DeleteObjectInput(_ObjectInput):
    all_versions: bool = Field(False, description="Delete every version, not just the latest.")
