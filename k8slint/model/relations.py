"""How objects of one run relate to each other: namespaces, which file or directory an object
plausibly ships with, and which HorizontalPodAutoscaler scales a workload. Every cross-object
rule uses these, so that "the HPA of this Deployment" means the same thing in all of them; and
the replica counts a workload's controller sees, given its HPA."""

from __future__ import annotations

from typing import Iterable, NamedTuple

from k8slint.model.index import by_target, file_directory
from k8slint.model.objects import HorizontalPodAutoscaler, K8sObject, Workload, as_count, dig


def same_namespace(a: str, b: str) -> bool:
    """Could two objects end up in the same namespace? An object without metadata.namespace goes
    wherever it is applied (``kubectl apply -n``, kustomize), so it may share one with anything."""
    return a == b or not a or not b


def related(obj: K8sObject, candidates: Iterable[K8sObject]) -> list:
    """The ``candidates`` (already matched by name or selector) that plausibly land next to ``obj``:
    those in its file; else in its directory; else in other directories but under the same explicit
    namespace. An empty list when none qualifies: one project's HPA called "web" must not be taken
    for another project's Deployment of the same name."""
    namespace = obj.namespace
    # (same_namespace, written out: rules ask this for every workload)
    pool = [c for c in candidates if not namespace or not c.namespace or c.namespace == namespace]
    if not pool:  # the usual answer (no HPA, no Rollout names it): rules ask for every workload
        return pool
    file = obj.file
    chosen = [c for c in pool if c.file == file]
    if chosen:
        return chosen
    directory = file_directory(file)
    chosen = [c for c in pool if file_directory(c.file) == directory]
    if chosen or not namespace:
        return chosen
    return [c for c in pool if c.namespace == namespace]


def missing_reference_severity(referrer: K8sObject, candidates) -> str | None | bool:
    """How sure "X refers to nothing in the set" is. ``candidates`` are the objects of the kind
    that could have matched, in a namespace compatible with the referrer's.

    - the referrer's own file holds candidates: the file is a self-contained application and
      nothing in it matches, so the reference is broken -> None (the rule's default severity);
    - only its directory holds candidates -> "info" (the target may be defined elsewhere);
    - neither: the set says nothing about the target -> ``False`` (do not report).
    """
    candidates = list(candidates)
    if any(c.file == referrer.file for c in candidates):
        return None
    folder = file_directory(referrer.file)
    if any(file_directory(c.file) == folder for c in candidates):
        return "info"
    return False


def hpa_targets(hpa: HorizontalPodAutoscaler, workload: Workload) -> bool:
    """Does ``hpa``'s scaleTargetRef name ``workload`` (kind, name, and API group when given)?"""
    kind, name = hpa.target
    if not name or kind != workload.kind or name != workload.name:
        return False
    api_version = dig(hpa.root, ("spec", "scaleTargetRef", "apiVersion"))
    return not isinstance(api_version, str) or api_version.rpartition("/")[0] == workload.group


def hpas_for(workload: Workload, hpas: list[HorizontalPodAutoscaler]) -> list[HorizontalPodAutoscaler]:
    """The HPAs that scale ``workload``, scoped as ``related`` scopes them. Looked up by target
    (kind, name) in an index of ``hpas`` made once per list: rules ask this for every workload."""
    if not isinstance(hpas, list):
        return related(workload, [h for h in hpas if hpa_targets(h, workload)])
    named = by_target(hpas).get((workload.kind, workload.name))
    if not named:  # the usual answer: no HPA names it
        return []
    group = workload.group  # (what hpa_targets checks, the target's group worked out once per HPA)
    return related(workload, [hpa for hpa, target_group in named if target_group is None or target_group == group])


class ServicesByLabel:
    """Services indexed by one of their selector pairs, so that "which Services select these pod
    labels" looks at the few Services that can, not at every Service of the run. Each Service is
    filed under its selector pair that the fewest Services share (a Helm release's Services all
    share ``app.kubernetes.io/instance``; their ``app.kubernetes.io/name`` tells them apart)."""

    def __init__(self, services) -> None:
        # pair -> (service, its selector, its position) of the Services filed under that pair
        self.by_pair: dict[tuple, list[tuple]] = {}
        usable = []
        shared: dict[tuple, int] = {}
        for position, service in enumerate(services):
            selector = service.selector
            if not selector:
                continue
            for key, value in selector.items():
                if not isinstance(key, str) or not isinstance(value, str):
                    break  # (a selector with a non-string key or value is rejected by the API server)
            else:
                usable.append((service, selector, position))
                for pair in selector.items():
                    shared[pair] = shared.get(pair, 0) + 1
        for entry in usable:  # any pair will do: every pair must match
            # the pair the fewest Services share, the least key among those (keys are distinct)
            pair = rank = None
            for item in entry[1].items():
                count = shared[item]
                if pair is None or count < rank or (count == rank and item[0] < pair[0]):
                    pair, rank = item, count
            filed = self.by_pair.get(pair)
            if filed is None:
                self.by_pair[pair] = [entry]
            else:
                filed.append(entry)

    def selecting(self, labels: dict) -> list:
        """The Services whose selector every pair of which ``labels`` carries, ordered by the place
        in ``labels`` of their selector's first key (sorted), then in input order."""
        found = []
        by_pair = self.by_pair
        for pair in labels.items():
            if not isinstance(pair[1], str) or not isinstance(pair[0], str):
                continue  # (not a label the API server would store: matches no selector pair)
            filed = by_pair.get(pair)
            if filed is None:
                continue
            for entry in filed:
                for k, v in entry[1].items():
                    if labels.get(k) != v:
                        break
                else:
                    found.append(entry)
        if len(found) > 1:
            place = {key: index for index, key in enumerate(labels)}
            found.sort(key=lambda entry: (place[min(entry[1])], entry[2]))
        return [entry[0] for entry in found]


class ReplicaCount(NamedTuple):
    """A replica count and where it comes from. (A named tuple, not a frozen dataclass: made for
    every workload by the rules that size rollouts and budgets, and a tuple is several times
    cheaper to make.)"""

    n: int
    source: str  # where the number comes from: "spec.replicas", "HorizontalPodAutoscaler web minReplicas"
    defaulted: bool = False  # spec.replicas not set

    def text(self) -> str:
        """'2 replicas (spec.replicas)'."""
        return f"{self.n} replica{'' if self.n == 1 else 's'} ({self.source})"

    def short(self) -> str:
        """'spec.replicas 2' / 'spec.replicas not set, default 1'."""
        return f"{self.source}, default {self.n}" if self.defaulted else f"{self.source} {self.n}"


def replica_counts(workload: Workload, hpas: Iterable[HorizontalPodAutoscaler]) -> list[ReplicaCount]:
    """The replica counts the controller will see, ascending and distinct: ``spec.replicas`` (default
    1), or with an HPA its minReplicas and maxReplicas (and spec.replicas when it lies between).
    Empty when spec.replicas is not an integer (``invalid-field-type`` reports that)."""
    default = workload.DEFAULT_REPLICAS  # (``workload.replicas``, from one look at the spec)
    if default is None:
        return []
    raw = workload.spec.get("replicas")
    if raw is None:
        own = ReplicaCount(default, "spec.replicas not set", defaulted=True)
    else:
        replicas = as_count(raw)
        if replicas is None:
            return []
        own = ReplicaCount(replicas, "spec.replicas")
    replicas = own.n
    targeting = hpas_for(workload, hpas)  # (returns at once when no HPA names the workload)
    if not targeting:
        return [own]
    hpa = targeting[0]
    lo = ReplicaCount(hpa.min_replicas, f"HorizontalPodAutoscaler {hpa.name} minReplicas")
    counts = [lo]
    hi = hpa.max_replicas
    if raw is not None and lo.n < replicas < (hi if hi is not None else replicas + 1):
        counts.append(own)
    if hi is not None and hi > lo.n:
        counts.append(ReplicaCount(hi, f"HorizontalPodAutoscaler {hpa.name} maxReplicas"))
    return counts


# Label keys that only an operator puts on the pods it creates (the Prometheus operator's
# ``prometheus``/``alertmanager``/``operator.prometheus.io/name``, Strimzi, CloudNativePG, ECK, Crunchy,
# Zalando's Spilo, Knative, Argo Workflows, Spark, Ray, Tekton, Gateway API implementations): a
# selector on one of them selects pods that no manifest of the input describes.
_OPERATOR_LABEL_KEYS = frozenset(("prometheus", "alertmanager", "thanos-ruler", "spilo-role", "spark-role",
                                  "spark-app-selector"))
_OPERATOR_LABEL_PREFIXES = ("operator.prometheus.io/", "strimzi.io/", "cnpg.io/", "elasticsearch.k8s.elastic.co/",
                            "kibana.k8s.elastic.co/", "common.k8s.elastic.co/", "apm.k8s.elastic.co/",
                            "postgres-operator.crunchydata.com/", "serving.knative.dev/",
                            "workflows.argoproj.io/", "sparkoperator.k8s.io/", "ray.io/", "tekton.dev/",
                            "gateway.networking.k8s.io/", "istio.io/gateway-name", "rabbitmq.com/", "redis.redis.opstreelabs.in/", "mongodb.com/", "vitess.io/")


def operator_label(selector: dict) -> str | None:
    """The first key of a label selector (a plain map) that only an operator sets on pods."""
    for key in selector:
        if isinstance(key, str) and (key in _OPERATOR_LABEL_KEYS or key.startswith(_OPERATOR_LABEL_PREFIXES)):
            return key
    return None


def pods_made_elsewhere(obj: K8sObject, selector: dict, pod_sources) -> str | None:
    """Why the pods ``obj``'s selector asks for may exist although no workload of the input has them:
    the selector names a label only an operator sets, or a custom resource of an operator that creates
    pods (``PodSource``) ships with ``obj``. None when the input shows no such source."""
    key = operator_label(selector)
    if key is not None:
        return f"its selector uses {key}, a label an operator puts on the pods it creates"
    if isinstance(pod_sources, list) and not pod_sources:  # (most runs: no custom resource makes pods)
        return None
    from k8slint.model.index import pod_source_index

    if isinstance(pod_sources, list):
        # Looked up, not scanned: asked for every Service and budget that matches no workload.
        # The source named is the first of related(): one in obj's file if there is any, as
        # related() then holds only those.
        index = pod_source_index(pod_sources)
        source = index.first_related(obj, [s for s in index.labelled_candidates(selector) if _may_match(s, selector)])
    else:
        near = related(obj, [s for s in pod_sources if _may_match(s, selector)])
        source = next((s for s in near if s.file == obj.file), near[0]) if near else None
    if source is not None:
        return f"{source.kind} {source.name} ({source.api_version}) may create them"
    return None


def _may_match(source, selector: dict) -> bool:
    """Whether the pods of a PodSource may carry every key of ``selector`` (with its value, when the
    selector gives one): unknown pod labels may; a known pod template must match."""
    labels = source.template_labels
    if labels is None:
        return True
    return all(key in labels and (value is None or labels.get(key) == value) for key, value in selector.items())
