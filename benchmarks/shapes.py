"""Corpus shapes that make cross-object rules grow faster than their input, and how they are laid
out on disk. ``bench.py --shapes`` times each at several sizes and prints the growth exponent.

Each shape is a generator of YAML documents (strings) for a given document count; a layout writes
them as one file, as files of 2 documents in one directory, or as files of 50 documents with 10
files per directory. The shapes (issue 15):

* ``no-match``      Deployments, StatefulSets, HPAs, PDBs and Services over 7 namespaces where no
                    Service selects a workload (every Service takes the "no endpoints" path);
* ``shared-key``    Services whose selector starts with a key every workload shares
                    (``{tier: web, app: <name>}``);
* ``hpa-pdb``       an HPA and a PDB per Deployment;
* ``cluster``       Deployments and Services linted against a ``--cluster`` file of 5,000 Node
                    objects in a few pools (``cluster_file``);
* ``anti-affinity`` groups of 8 Deployments that repel each other with required pod
                    anti-affinity (the cross-workload conflict graph).

``EXTRA_SHAPES`` (``bench.py --shapes extra``): ``spread`` (zone spread constraints, against the
cluster file), ``host-ports`` (a host port per Deployment, against the cluster file), ``recreate``
(Recreate Deployments and their Services), ``operator-pods`` (Prometheus resources beside Services
that select no workload), ``helm-release`` (Deployments without readiness probes and Services that
all share one selector pair).

Standard library only, and cheap: the tests generate small corpora of every shape.
"""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path
from typing import Callable, Iterator

NAMESPACES = tuple(f"team-{n}" for n in range(7))
POOLS = (("general", 2500, ""), ("highmem", 1500, ""), ("gpu", 600, "nvidia.com/gpu"), ("infra", 400, "dedicated"))


def _deployment(name: str, namespace: str, labels: dict, replicas: int = 3, extra_spec: str = "",
                tolerations: str = "", affinity: str = "") -> str:
    label_text = "".join(f"\n        {k}: {v}" for k, v in labels.items())
    selector_text = "".join(f"\n      {k}: {v}" for k, v in labels.items() if k == "app")
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:{selector_text}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels:{label_text}
    spec:{extra_spec}{affinity}{tolerations}
      containers:
      - name: app
        image: registry.example.com/{namespace}/{name}:1.4.2
        ports:
        - {{name: http, containerPort: 8080, protocol: TCP}}
        readinessProbe:
          httpGet: {{path: /ready, port: http}}
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{memory: 256Mi}}
"""


def _service(name: str, namespace: str, selector: dict) -> str:
    selector_text = "".join(f"\n    {k}: {v}" for k, v in selector.items())
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  selector:{selector_text}
  ports:
  - {{name: http, port: 80, targetPort: http}}
"""


def _hpa(name: str, namespace: str, kind: str = "Deployment") -> str:
    return f"""\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: {namespace}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {name}}}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
"""


def _pdb(name: str, namespace: str, selector: dict) -> str:
    selector_text = "".join(f"\n      {k}: {v}" for k, v in selector.items())
    return f"""\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: {namespace}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:{selector_text}
"""


def _statefulset(name: str, namespace: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
  namespace: {namespace}
spec:
  serviceName: {name}
  replicas: 3
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, role: db}}
    spec:
      containers:
      - name: db
        image: registry.example.com/{namespace}/{name}:15.4
        ports:
        - {{name: pg, containerPort: 5432}}
        readinessProbe:
          tcpSocket: {{port: pg}}
        resources:
          requests: {{cpu: 500m, memory: 1Gi}}
"""


def no_match() -> Iterator[str]:
    """A Deployment, a StatefulSet with their HPA and PDB, and a Service that selects nothing."""
    for n in itertools.count():
        ns = NAMESPACES[n % len(NAMESPACES)]
        web, db = f"web-{n:06d}", f"db-{n:06d}"
        yield _deployment(web, ns, {"app": web, "tier": "web"})
        yield _statefulset(db, ns)
        yield _hpa(web, ns)
        yield _pdb(db, ns, {"app": db})
        yield _service(f"api-{n:06d}", ns, {"app": f"api-{n:06d}", "tier": "web"})  # no such pods


def shared_key() -> Iterator[str]:
    """Services whose first selector key (tier: web) every workload carries."""
    for n in itertools.count():
        ns = NAMESPACES[n % len(NAMESPACES)]
        name = f"web-{n:06d}"
        yield _deployment(name, ns, {"tier": "web", "app": name})
        yield _service(name, ns, {"tier": "web", "app": name})


def hpa_pdb() -> Iterator[str]:
    """One HPA and one PDB per Deployment."""
    for n in itertools.count():
        ns = NAMESPACES[n % len(NAMESPACES)]
        name = f"web-{n:06d}"
        yield _deployment(name, ns, {"app": name, "tier": "web"})
        yield _hpa(name, ns)
        yield _pdb(name, ns, {"app": name})


_POOL_AFFINITY = """
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {{key: pool, operator: In, values: [{pools}]}}
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels: {{app: {name}}}"""
_GPU_TOLERATIONS = """
      tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}"""
_INFRA_TOLERATIONS = """
      tolerations:
      - {key: dedicated, operator: Equal, value: infra, effect: NoSchedule}"""


def cluster_workloads() -> Iterator[str]:
    """Deployments (node affinity to pools, tolerations for the tainted ones) and their Services,
    for linting against ``cluster_file``: a handful of distinct pod specs, thousands of objects."""
    for n in itertools.count():
        ns = NAMESPACES[n % len(NAMESPACES)]
        name = f"web-{n:06d}"
        kind = n % 4
        pools = ("general, highmem", "highmem", "gpu", "infra")[kind]
        tolerations = ("", "", _GPU_TOLERATIONS, _INFRA_TOLERATIONS)[kind]
        yield _deployment(name, ns, {"app": name, "tier": "web"}, affinity=_POOL_AFFINITY.format(pools=pools, name=name),
                          tolerations=tolerations)
        yield _service(name, ns, {"app": name})


def cluster_file(path: Path, nodes: int = 5000) -> Path:
    """A ``kubectl get nodes -o yaml`` style List of ``nodes`` Nodes in the pools of ``POOLS``
    (scaled to ``nodes``), three zones, the gpu and infra pools tainted."""
    if path.exists() and path.with_suffix(".complete").exists() and \
            path.with_suffix(".complete").read_text() == str(nodes):
        return path
    total = sum(count for _, count, _ in POOLS)
    lines = ["apiVersion: v1", "kind: List", "items:"]
    number = 0
    for pool, count, taint in POOLS:
        for i in range(max(1, count * nodes // total)):
            number += 1
            name = f"{pool}-{i:05d}"
            zone = "abc"[i % 3]
            lines += [
                "- apiVersion: v1", "  kind: Node", "  metadata:", f"    name: {name}", "    labels:",
                f"      kubernetes.io/hostname: {name}", "      kubernetes.io/os: linux",
                "      kubernetes.io/arch: amd64", f"      topology.kubernetes.io/zone: eu-west-1{zone}",
                f"      pool: {pool}", f"      cloud.google.com/gke-nodepool: {pool}", "  spec:",
                f"    providerID: gce://project/eu-west-1{zone}/{name}",
            ]
            if taint:
                value = "infra" if taint == "dedicated" else "present"
                lines += ["    taints:", f"    - {{key: {taint}, value: {value}, effect: NoSchedule}}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.with_suffix(".complete").write_text(str(nodes))
    return path


_GROUP_ANTI_AFFINITY = """
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels: {{group: {group}}}"""


def anti_affinity() -> Iterator[str]:
    """Groups of 8 Deployments that keep each other's pods on different nodes."""
    for n in itertools.count():
        ns = NAMESPACES[(n // 8) % len(NAMESPACES)]
        name, group = f"web-{n:06d}", f"g-{n // 8:05d}"
        yield _deployment(name, ns, {"app": name, "group": group}, replicas=2,
                          affinity=_GROUP_ANTI_AFFINITY.format(group=group))


_ZONE_SPREAD = """
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels: {{app: {name}}}"""


def spread() -> Iterator[str]:
    """Deployments with a DoNotSchedule zone spread of their own pods (topology-spread-infeasible
    asks which other workloads each selector may match), for linting against ``cluster_file``."""
    for n in itertools.count():
        name = f"web-{n:06d}"
        yield _deployment(name, NAMESPACES[n % len(NAMESPACES)], {"app": name, "tier": "web"},
                          affinity=_ZONE_SPREAD.format(name=name))


def host_ports() -> Iterator[str]:
    """Deployments that each hold a host port of their own (host-port-conflict compares the workloads
    that ship together), for linting against ``cluster_file``."""
    for n in itertools.count():
        name = f"agent-{n:06d}"
        yield _deployment(name, NAMESPACES[n % len(NAMESPACES)], {"app": name}, replicas=2).replace(
            "containerPort: 8080,", f"containerPort: 8080, hostPort: {10000 + n % 50000},")


def recreate() -> Iterator[str]:
    """Recreate Deployments and the Services that select them (unsafe-rolling-update looks up the
    Services that lose every endpoint during a rollout)."""
    for n in itertools.count():
        ns = NAMESPACES[n % len(NAMESPACES)]
        name = f"web-{n:06d}"
        yield _deployment(name, ns, {"app": name}).replace(
            "    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}", "    type: Recreate")
        yield _service(name, ns, {"app": name})


def operator_pods() -> Iterator[str]:
    """Operator resources that create pods (Prometheus), Services that select no workload, and
    Deployments: each Service asks whether another source may create its pods."""
    for n in itertools.count():
        ns = NAMESPACES[n % len(NAMESPACES)]
        yield f"""\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: metrics-{n:06d}
  namespace: {ns}
spec:
  replicas: 2
  podMetadata:
    labels: {{app: metrics-{n:06d}}}
"""
        yield _service(f"metrics-{n:06d}", ns, {"app": f"metrics-{n:06d}"})
        name = f"web-{n:06d}"
        yield _deployment(name, ns, {"app": name, "tier": "web"})


def helm_release() -> Iterator[str]:
    """One Helm release's Deployments (without readiness probes) and Services, selected by
    ``app.kubernetes.io/instance`` (the same on all) and ``app.kubernetes.io/name``:
    missing-readiness-probe asks which Services send each workload traffic."""
    for n in itertools.count():
        ns = NAMESPACES[n % len(NAMESPACES)]
        name = f"web-{n:06d}"
        labels = {"app.kubernetes.io/instance": "release", "app.kubernetes.io/name": name}
        text = _deployment(name, ns, labels).replace(
            "        readinessProbe:\n          httpGet: {path: /ready, port: http}\n", "")
        yield text.replace("    matchLabels:", "    matchLabels:\n      app.kubernetes.io/instance: release\n"
                                                "      app.kubernetes.io/name: " + name, 1)
        yield _service(name, ns, labels)


SHAPES: dict[str, Callable[[], Iterator[str]]] = {
    "no-match": no_match,
    "shared-key": shared_key,
    "hpa-pdb": hpa_pdb,
    "cluster": cluster_workloads,
    "anti-affinity": anti_affinity,
}
# More cross-object lookups that once grew with the square of the input (``bench.py --shapes extra``
# or by name; not part of ``all``).
EXTRA_SHAPES: dict[str, Callable[[], Iterator[str]]] = {
    "spread": spread,
    "host-ports": host_ports,
    "recreate": recreate,
    "operator-pods": operator_pods,
    "helm-release": helm_release,
}
# Shapes linted against ``cluster_file``.
CLUSTER_SHAPES = frozenset({"cluster", "spread", "host-ports"})
# name -> (documents per file, files per directory); None: unlimited
LAYOUTS: dict[str, tuple[int | None, int | None]] = {
    "one-file": (None, None),
    "2-per-file": (2, None),
    "50-per-file": (50, 10),
}


def documents(shape: str, count: int) -> list[str]:
    return list(itertools.islice({**SHAPES, **EXTRA_SHAPES}[shape](), count))


def write(directory: Path, shape: str, count: int, layout: str) -> list[Path]:
    """Write ``count`` documents of ``shape`` under ``directory`` in ``layout``; returns the files
    (kept, and not rewritten, when a previous call wrote the same)."""
    stamp = directory / ".complete"
    signature = f"{shape} {count} {layout}"
    if stamp.exists() and stamp.read_text() == signature:
        return sorted(directory.rglob("*.yaml"))
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    per_file, per_directory = LAYOUTS[layout]
    docs = documents(shape, count)
    per_file = per_file or max(1, len(docs))
    paths = []
    for number, start in enumerate(range(0, len(docs), per_file)):
        folder = directory if per_directory is None else directory / f"dir-{number // per_directory:04d}"
        folder.mkdir(exist_ok=True)
        path = folder / f"part-{number:05d}.yaml"
        path.write_text("---\n".join(docs[start:start + per_file]), encoding="utf-8")
        paths.append(path)
    stamp.write_text(signature)
    return sorted(paths)


def growth_exponent(n1: float, t1: float, n2: float, t2: float) -> float:
    """k in t ~ n^k between two sizes: 1 is linear, 2 quadratic."""
    if min(n1, t1, n2, t2) <= 0 or n1 == n2:
        return float("nan")
    return math.log(t2 / t1) / math.log(n2 / n1)
