"""A plain boto3 client on the sandbox's S3 server, to look behind the product's back."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def sandbox_s3_client(endpoint_url: str, **config: Any) -> Any:
    """boto3 S3 on ``endpoint_url`` with the fake keys, path-style; ``config`` adds options."""
    return boto3.client(
        "s3",
        region_name="fr-par",
        endpoint_url=endpoint_url,
        aws_access_key_id="SCWXXXXXXXXXXXXXXXXX",
        aws_secret_access_key="00000000-0000-0000-0000-000000000000",
        config=Config(s3={"addressing_style": "path"}, **config),
    )
