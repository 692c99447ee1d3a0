"""Host ports: a pod that asks for a host port can only run on a node where no other pod holds
the same port, protocol and host IP.

Upstream (kubernetes/kubernetes):

* the scheduler's NodePorts filter (pkg/scheduler/framework/plugins/nodeports/node_ports.go
  ``getContainerPorts``, ``fitsPorts``) takes the ports with ``hostPort > 0`` of the pod's
  regular containers and rejects a node whose ``HostPortInfo`` already holds one of them; the
  kubelet's admission runs the same check for pods that skip the scheduler (``spec.nodeName``);
* ``HostPortInfo.CheckConflict`` (pkg/scheduler/framework/types.go): an empty host IP is
  0.0.0.0, which conflicts with every IP for the same protocol and port; a specific IP conflicts
  with itself and with 0.0.0.0; the protocol defaults to TCP;
* with ``hostNetwork: true`` the API server defaults every container port's hostPort to its
  containerPort (pkg/apis/core/v1/defaults.go ``defaultHostNetworkPorts``, applied to the Pod
  the controller creates), so every container port is a host port.

So the pods of one workload with a host port never share a node: replicas > eligible nodes
leaves pods Pending, and a rolling update that surges while every eligible node runs an old pod
hangs (the surge pod finds no free port and no old pod goes before a new one is available).
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

from k8slint.model.objects import PodTemplate, as_int

ANY_IP = "0.0.0.0"


@dataclass(frozen=True, slots=True)
class HostPort:
    """A host port a container asks for, and where."""

    container: str
    path: tuple  # field path of the hostPort (of the containerPort with hostNetwork)
    port: int
    protocol: str  # TCP (default), UDP, SCTP
    host_ip: str  # "0.0.0.0" when empty
    via_host_network: bool

    def conflicts(self, other: HostPort) -> bool:
        """``HostPortInfo.CheckConflict``."""
        if self.port != other.port or self.protocol != other.protocol:
            return False
        return self.host_ip == ANY_IP or other.host_ip == ANY_IP or self.host_ip == other.host_ip

    def text(self) -> str:
        where = "" if self.host_ip == ANY_IP else f" on {self.host_ip}"
        how = " (hostNetwork: true makes every container port a host port)" if self.via_host_network else ""
        return f"host port {self.port}/{self.protocol}{where} of container \"{self.container}\"{how}"


def host_ports(template: PodTemplate) -> list[HostPort]:
    """The host ports a pod of ``template`` holds on its node, in source order (regular
    containers only: the scheduler's getContainerPorts reads no init container)."""
    host_network = template.spec.get("hostNetwork") is True
    found = []
    for container in template.containers("containers"):
        for index, port in enumerate(container.ports):
            number = as_int(port.get("hostPort"))
            field, via_host_network = "hostPort", False
            if not number or number <= 0:
                if not host_network:
                    continue  # (most ports: no path to make)
                number = as_int(port.get("containerPort"))
                if not number or number <= 0:
                    continue
                field, via_host_network = "containerPort", True
            path = container.path + ("ports", index, field)
            protocol = port.get("protocol")
            host_ip = port.get("hostIP")
            found.append(HostPort(container.name, path, number,
                                  protocol if isinstance(protocol, str) and protocol else "TCP",
                                  host_ip if isinstance(host_ip, str) and host_ip else ANY_IP,
                                  via_host_network))
    return found


def first_conflict(ports: list[HostPort], others: list[HostPort]) -> tuple[HostPort, HostPort] | None:
    """The first pair of host ports that keeps a pod with ``ports`` off a node where a pod with
    ``others`` runs (None: they can share a node)."""
    for mine in ports:
        for theirs in others:
            if mine.conflicts(theirs):
                return mine, theirs
    return None


def surge_blocked(template: PodTemplate) -> HostPort | None:
    """The host port that keeps a new pod of ``template`` off every node an old pod of the same
    template runs on (None: old and new pods can share a node). What a rolling-update hint asks
    before recommending surge."""
    ports = host_ports(template)
    return ports[0] if ports else None
