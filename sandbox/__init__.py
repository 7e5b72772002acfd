"""A local, stateful imitation of the Scaleway APIs the product uses, plus an S3 server.

Start it with :class:`sandbox.server.SandboxServer` (in-process) or ``python -m sandbox``.
It imports nothing of the product; the product reaches it only through URLs. Every answer
carries ``X-Scaleway-Sandbox: true``.

State: in memory by default; with ``state_path`` (``serve --sandbox`` uses
``<data dir>/sandbox-cloud.db``; ``python -m sandbox --state FILE``) every resource, S3
bucket and object outlives the process (:mod:`sandbox.store`), and lifecycles keep their
timing, being timestamps. A new kind of resource needs no persistence code: store it as a
:class:`~sandbox.state.Record` with JSON-able ``data``. Reference data (versions, node
types, engines, images, prices) lives in ``catalog.json``.

Forcing error states: create a resource with the tag ``sandbox:fail=<status>`` and it settles
in ``<status>`` instead of its ready state (e.g. ``sandbox:fail=locked`` on a cluster,
``sandbox:fail=error`` on an RDB instance, ``sandbox:fail=warning`` on a pool, and on a server
the state reached after ``poweron``); or call ``state.force_status(kind, id, status)`` /
``POST /_sandbox/resources/{kind}/{id}/status``.

Faults (:mod:`sandbox.faults`, seeded, per route): 429, 429 with Retry-After, 500, 503,
latency, ``drop`` (the request never reaches the API) and ``commit_then_drop`` (the request
takes effect and is saved, then the connection is cut before the answer: the caller cannot
know what it created). To lose the answer of the next server, private network, cluster or
database create, add one of these rules with ``"kind": "commit_then_drop", "times": 1``:

- ``POST /instance/v1/zones/{zone}/servers``
- ``POST /vpc/v2/regions/{region}/private-networks``
- ``POST /k8s/v1/regions/{region}/clusters``
- ``POST /rdb/v1/regions/{region}/instances``

either in-process (``sb.state.faults.add(route, "commit_then_drop", times=1)``), on a running
sandbox (``POST /_sandbox/faults`` with ``{"route": ..., "kind": ..., "times": 1}``), or at
start: ``SCW_MCP_SANDBOX_FAULTS='[{"route": ..., "kind": "commit_then_drop", "times": 1}]'``
for ``serve --sandbox``, ``--faults '<same JSON>'`` for ``python -m sandbox``. The S3 server
has the same kinds (:mod:`sandbox.s3_layer`): ``sb.s3.faults``, ``/_sandbox/s3/faults``, or
``"target": "s3"`` in a start-up rule.
"""
