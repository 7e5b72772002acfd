"""The SDK's HTTP layer, replaced: one pooled ``requests.Session`` with connect/read timeouts.

The SDK's ``API._request`` calls ``requests.request`` (a new connection per call, no
timeout). ``pooled(api_class)`` derives an API class whose requests go through a shared
session instead, and whose errors are raised unparsed (an empty 429 body is not JSON) for
``errors.map_exception`` to classify.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar, cast

import requests
from requests.adapters import HTTPAdapter
from scaleway_core.api import API, ScalewayException
from scaleway_core.client import Client

logger = logging.getLogger(__name__)
A = TypeVar("A", bound=API)


def new_session(pool_size: int) -> requests.Session:
    """A session keeping up to ``pool_size`` connections per host (no automatic retries)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class PooledTransport:
    """Mixin for SDK API classes: send through ``_session`` with ``_timeout``."""

    client: Client
    _session: requests.Session
    _timeout: tuple[float, float]

    def _request(
        self,
        method: str,
        path: str,
        params: Any = None,
        headers: Any = None,
        body: Any = None,
    ) -> requests.Response:
        client = self.client
        method = method.upper()
        sent_headers = {"accept": "application/json", "user-agent": client.user_agent}
        if method in ("POST", "PUT", "PATCH"):
            sent_headers["Content-Type"] = "application/json; charset=utf-8"
        sent_headers.update(headers or {})
        if client.secret_key is not None:
            sent_headers["x-auth-token"] = client.secret_key
        data = body if isinstance(body, bytes) else json.dumps({} if body is None else body)
        query: list[tuple[str, Any]] = []
        for key, value in (params or {}).items():
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            query.extend((key, item) for item in values)
        response = self._session.request(
            method,
            f"{client.api_url}{path}",
            params=query,
            headers=sent_headers,
            data=data,
            timeout=self._timeout,
            verify=not client.api_allow_insecure,
        )
        logger.debug("%s %s -> %s", method, path, response.status_code)
        total = response.headers.get("x-total-count")
        if total and response.ok:
            # Instance v1 lists put the total in a header; the SDK moves it into the body.
            payload = response.json()
            payload["total_count"] = total
            response._content = json.dumps(payload).encode()
        return response

    def _throw_on_error(self, res: requests.Response) -> None:
        if res.status_code >= 400:
            raise ScalewayException(res)


_CLASSES: dict[type[API], type[API]] = {}


def pooled(api_class: type[A]) -> type[A]:
    """``api_class`` with the pooled transport mixed in (one derived class per API)."""
    derived = _CLASSES.get(api_class)
    if derived is None:
        derived = type(f"Pooled{api_class.__name__}", (PooledTransport, api_class), {})
        _CLASSES[api_class] = derived
    return cast("type[A]", derived)


def pooled_api(
    api_class: type[A], client: Client, session: requests.Session, timeout: tuple[float, float]
) -> A:
    """An ``api_class`` object sending through ``session`` with (connect, read) ``timeout``."""
    api = pooled(api_class)(client)
    transport = cast(PooledTransport, api)
    transport._session = session
    transport._timeout = timeout
    return api
