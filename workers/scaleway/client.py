"""The Scaleway adapter: the official SDK over one pooled session, called from worker threads.

``await client.call(client.instance.get_server, zone=..., server_id=...)`` waits for the
rate limit of that API in that zone, runs the blocking SDK call in a bounded thread pool, and
maps any failure once (``errors.map_exception``). ``call_idempotent`` adds in-step retries
for idempotent calls (reads, deletes, power actions). The SDK is imported on first use so
that the MCP server starts fast.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio
import anyio.to_thread

from workers.fencing import check_lease
from workers.retry import RetryPolicy, call_with_retries
from workers.scaleway.errors import RateLimited, Transient, map_exception
from workers.scaleway.ratelimit import RateLimiter, RateLimits, TurnTooFar, answer_time_left

if TYPE_CHECKING:
    import requests
    from scaleway.block.v1alpha1 import BlockV1Alpha1API
    from scaleway.cockpit.v1 import CockpitV1RegionalAPI
    from scaleway.container.v1beta1 import ContainerV1Beta1API
    from scaleway.domain.v2beta1 import DomainV2Beta1API
    from scaleway.function.v1beta1 import FunctionV1Beta1API
    from scaleway.iam.v1alpha1 import IamV1Alpha1API
    from scaleway.instance.v1.custom_api import InstanceUtilsV1API
    from scaleway.k8s.v1 import K8SV1API
    from scaleway.lb.v1 import LbV1ZonedAPI
    from scaleway.marketplace.v2 import MarketplaceV2API
    from scaleway.product_catalog.v2alpha1 import ProductCatalogV2Alpha1PublicCatalogAPI
    from scaleway.rdb.v1 import RdbV1API
    from scaleway.registry.v1 import RegistryV1API
    from scaleway.vpc.v2 import VpcV2API
    from scaleway_core.api import API
    from scaleway_core.client import Client

logger = logging.getLogger(__name__)
T = TypeVar("T")
A = TypeVar("A", bound="API")


def _api_and_locality(fn: Callable[..., Any], kwargs: dict[str, Any]) -> tuple[str, str]:
    """``("instance", "fr-par-1")``: the SDK package of ``fn``'s API, the zone or region."""
    owner = getattr(fn, "__self__", None)
    modules = [k.__module__ for k in type(owner).__mro__] if owner is not None else []
    module = next((m for m in modules if m.startswith("scaleway.")), "scaleway.sdk")
    locality = kwargs.get("zone") or kwargs.get("region") or "default"
    return module.split(".")[1], str(locality)


def _rate_limited(api: str, locality: str, wait_s: float) -> RateLimited:
    seconds = max(1, math.ceil(wait_s))
    return RateLimited(
        f"Scaleway's {api} API in {locality} is rate limiting this client; retry in {seconds} s",
        wait_s,
        status=429,
    )


class _Unanswered(Exception):
    """A create got no answer; not retried in the step (see ``create_once``)."""

    def __init__(self, error: Transient) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True, slots=True)
class ScalewayConfig:
    """Credentials, endpoint and the adapter's knobs."""

    access_key: str | None
    secret_key: str | None = field(default=None, repr=False)
    project_id: str | None = None
    organization_id: str | None = None
    region: str = "fr-par"
    zone: str = "fr-par-1"
    api_url: str | None = None
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    max_threads: int = 16
    rate_per_s: float = 20.0
    burst: int = 20
    # Every caller pauses this long after a 429 that names no Retry-After.
    rate_limit_pause_s: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class ScalewayClient:
    """SDK API objects sharing one session, a thread limit and rate limits per API and zone."""

    def __init__(
        self,
        config: ScalewayConfig,
        *,
        limits: RateLimits | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.config = config
        self.limits = limits or RateLimits(lambda: RateLimiter(config.rate_per_s, config.burst))
        self._sleep = sleep
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._sdk_client: Client | None = None
        self._apis: dict[type, API] = {}
        self._threads: anyio.CapacityLimiter | None = None

    @property
    def retry(self) -> RetryPolicy:
        """The in-step retry policy for transient failures."""
        return self.config.retry

    @property
    def project_id(self) -> str | None:
        """The default project new resources go to."""
        return self.config.project_id

    # -- SDK objects, built on first use ---------------------------------------------------
    def _api(self, api_class: type[A]) -> A:
        with self._lock:
            cached = self._apis.get(api_class)
            if cached is not None:
                return cast(A, cached)
            from scaleway_core.client import Client

            from workers.scaleway.transport import new_session, pooled_api

            sdk_client, session = self._sdk_client, self._session
            if sdk_client is None or session is None:
                cfg = self.config
                kwargs: dict[str, Any] = {
                    "access_key": cfg.access_key,
                    "secret_key": cfg.secret_key,
                    "default_project_id": cfg.project_id,
                    "default_organization_id": cfg.organization_id,
                    "default_region": cfg.region,
                    "default_zone": cfg.zone,
                }
                if cfg.api_url:
                    kwargs["api_url"] = cfg.api_url.rstrip("/")
                sdk_client = self._sdk_client = Client(**kwargs)
                session = self._session = new_session(cfg.max_threads)
            timeout = (self.config.connect_timeout_s, self.config.read_timeout_s)
            api = pooled_api(api_class, sdk_client, session, timeout)
            self._apis[api_class] = api
            return api

    @property
    def instance(self) -> InstanceUtilsV1API:
        """Instance v1 (servers, volumes, IPs, private NICs, server types)."""
        from scaleway.instance.v1.custom_api import InstanceUtilsV1API

        return self._api(InstanceUtilsV1API)

    @property
    def iam(self) -> IamV1Alpha1API:
        """IAM v1alpha1 (quota limits of the organization)."""
        from scaleway.iam.v1alpha1 import IamV1Alpha1API

        return self._api(IamV1Alpha1API)

    @property
    def vpc(self) -> VpcV2API:
        """VPC v2 (private networks)."""
        from scaleway.vpc.v2 import VpcV2API

        return self._api(VpcV2API)

    @property
    def marketplace(self) -> MarketplaceV2API:
        """Marketplace v2 (image labels to local image ids)."""
        from scaleway.marketplace.v2 import MarketplaceV2API

        return self._api(MarketplaceV2API)

    @property
    def block(self) -> BlockV1Alpha1API:
        """Block storage (SBS volumes)."""
        from scaleway.block.v1alpha1 import BlockV1Alpha1API

        return self._api(BlockV1Alpha1API)

    @property
    def k8s(self) -> K8SV1API:
        """Kubernetes Kapsule v1 (clusters, pools, nodes, versions, kubeconfigs)."""
        from scaleway.k8s.v1 import K8SV1API

        return self._api(K8SV1API)

    @property
    def lb(self) -> LbV1ZonedAPI:
        """Load Balancer v1, zoned (load balancers, IPs, backends, frontends, networks)."""
        from scaleway.lb.v1 import LbV1ZonedAPI

        return self._api(LbV1ZonedAPI)

    @property
    def domain(self) -> DomainV2Beta1API:
        """Domains and DNS v2beta1 (DNS zones and records)."""
        from scaleway.domain.v2beta1 import DomainV2Beta1API

        return self._api(DomainV2Beta1API)

    @property
    def containers(self) -> ContainerV1Beta1API:
        """Serverless Containers v1beta1 (namespaces, containers, crons)."""
        from scaleway.container.v1beta1 import ContainerV1Beta1API

        return self._api(ContainerV1Beta1API)

    @property
    def functions(self) -> FunctionV1Beta1API:
        """Serverless Functions v1beta1 (namespaces, functions, crons, code uploads)."""
        from scaleway.function.v1beta1 import FunctionV1Beta1API

        return self._api(FunctionV1Beta1API)

    @property
    def cockpit(self) -> CockpitV1RegionalAPI:
        """Cockpit v1, regional (Alert manager, preconfigured alert rules, contact points)."""
        from scaleway.cockpit.v1 import CockpitV1RegionalAPI

        return self._api(CockpitV1RegionalAPI)

    @property
    def rdb(self) -> RdbV1API:
        """Managed Database v1 (instances, engines, node types)."""
        from scaleway.rdb.v1 import RdbV1API

        return self._api(RdbV1API)

    @property
    def product_catalog(self) -> ProductCatalogV2Alpha1PublicCatalogAPI:
        """Product Catalog v2alpha1 (public list prices by zone and region)."""
        from scaleway.product_catalog.v2alpha1 import ProductCatalogV2Alpha1PublicCatalogAPI

        return self._api(ProductCatalogV2Alpha1PublicCatalogAPI)

    @property
    def registry(self) -> RegistryV1API:
        """Container Registry v1 (namespaces, images, tags)."""
        from scaleway.registry.v1 import RegistryV1API

        return self._api(RegistryV1API)

    # -- calling -------------------------------------------------------------------------
    async def call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run one blocking SDK call in a worker thread; failures come out mapped.

        Inside ``answer_within`` a call whose turn is further away than the budget raises
        RateLimited at once, saying when to retry.
        """
        if self._threads is None:
            self._threads = anyio.CapacityLimiter(self.config.max_threads)
        api, locality = _api_and_locality(fn, kwargs)
        limiter = self.limits.limiter(api, locality)
        try:
            await limiter.acquire(max_wait_s=answer_time_left())
        except TurnTooFar as far:
            raise _rate_limited(api, locality, far.wait_s) from None
        try:
            return await anyio.to_thread.run_sync(partial(fn, **kwargs), limiter=self._threads)
        except Exception as exc:
            mapped = map_exception(exc)
            if isinstance(mapped, RateLimited):
                pause_s = mapped.retry_after_s or self.config.rate_limit_pause_s
                limiter.pause(pause_s)
                raise _rate_limited(api, locality, pause_s) from exc
            if mapped is exc:
                raise
            raise mapped from exc

    async def call_idempotent(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """``call`` with in-step retries: for idempotent calls (reads, deletes, actions).

        Inside ``answer_within`` a retry that would wait past the budget is not made.
        """
        return await call_with_retries(
            lambda: self.call(fn, **kwargs),
            self.config.retry,
            sleep=self._sleep,
            time_left=answer_time_left,
        )

    async def create_once(
        self, lookup: Callable[[], Awaitable[T | None]], create: Callable[[], Awaitable[T]]
    ) -> T:
        """The resource ``lookup`` finds (a job's tag), else ``create()`` it, exactly once.

        Answered failures (429, 5xx) are retried here, looking up again first. A call that
        got no answer may have created the resource: it goes back to the runner, whose next
        attempt starts with the look-up.
        """

        async def attempt() -> T:
            found = await lookup()
            if found is not None:
                return found
            await check_lease()
            try:
                return await create()
            except Transient as exc:
                if exc.status is None:
                    raise _Unanswered(exc) from exc
                raise

        try:
            return await call_with_retries(attempt, self.config.retry, sleep=self._sleep)
        except _Unanswered as unanswered:
            raise unanswered.error from None

    async def aclose(self) -> None:
        """Close the pooled connections."""
        with self._lock:
            session, self._session = self._session, None
            self._apis.clear()
            self._sdk_client = None
        if session is not None:
            session.close()
