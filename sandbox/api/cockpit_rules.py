"""The preconfigured Cockpit alert rules the sandbox offers every project, in every region."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.api.common import stable_id


@dataclass(frozen=True, slots=True)
class Rule:
    """One preconfigured alert rule of the catalogue every project sees."""

    key: str
    family: str
    product: str
    display_name: str
    description: str
    expression: str
    duration: str

    @property
    def id(self) -> str:
        """The rule's stable id (the same in every region and project)."""
        return stable_id("cockpit-rule", self.key)


RULES = (
    Rule(
        "instance-cpu",
        "compute",
        "instance",
        "Instance CPU usage above 90%",
        "An Instance has used more than 90% of its CPU for 10 minutes.",
        'avg by (resource_id) (rate(instance_server_cpu_seconds_total{mode!="idle"}[5m])) > 0.9',
        "10m",
    ),
    Rule(
        "instance-disk",
        "compute",
        "instance",
        "Instance disk almost full",
        "A volume of an Instance has less than 10% free space.",
        "instance_volume_free_bytes / instance_volume_size_bytes < 0.1",
        "5m",
    ),
    Rule(
        "k8s-node-not-ready",
        "containers",
        "kubernetes",
        "Kubernetes node not ready",
        "A node of a Kapsule cluster has not been ready for 5 minutes.",
        'kubernetes_node_status_condition{condition="Ready",status="true"} == 0',
        "5m",
    ),
    Rule(
        "rdb-cpu",
        "databases",
        "rdb",
        "Database Instance CPU usage above 90%",
        "A Managed Database node has used more than 90% of its CPU for 10 minutes.",
        "rdb_instance_cpu_usage_percent > 90",
        "10m",
    ),
    Rule(
        "rdb-disk",
        "databases",
        "rdb",
        "Database Instance disk almost full",
        "A Managed Database volume has less than 10% free space.",
        "rdb_instance_volume_usage_percent > 90",
        "5m",
    ),
    Rule(
        "lb-backend-down",
        "network",
        "lb",
        "Load Balancer backend down",
        "Every server of a Load Balancer backend fails its health check.",
        "lb_backend_servers_healthy == 0",
        "2m",
    ),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
