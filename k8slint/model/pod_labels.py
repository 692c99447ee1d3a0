"""The labels a pod of a workload carries: its template's labels plus the labels the controllers
(and the API server's Job strategy) add. One notion for every rule that matches a selector against
pods (Service selectors, PDB selectors, inter-pod (anti-)affinity terms, topology spread).

What each controller adds, from kubernetes/kubernetes:

* Deployment: ``pod-template-hash`` (pkg/controller/deployment/sync.go ``getNewReplicaSet`` puts
  ``apps.DefaultDeploymentUniqueLabelKey`` into the ReplicaSet's template): one value per revision.
* StatefulSet: ``controller-revision-hash`` (stateful_set_utils.go ``newVersionedStatefulSetPod``,
  ``apps.ControllerRevisionHashLabelKey``), one value per revision; ``statefulset.kubernetes.io/pod-name``
  (``updateIdentity``: the pod's name ``<set>-<ordinal>``) and, with the PodIndexLabel gate (beta
  and on from 1.28), ``apps.kubernetes.io/pod-index`` (the ordinal): one value per pod.
* DaemonSet: ``controller-revision-hash`` and ``pod-template-generation``
  (pkg/controller/daemon/util ``CreatePodTemplate``): one value per revision.
* Job (and the Jobs a CronJob creates): unless ``manualSelector: true`` the API server's Job
  strategy (pkg/registry/batch/job/strategy.go ``generateSelector``) adds ``job-name`` and
  ``controller-uid`` and, from 1.27, ``batch.kubernetes.io/job-name`` and
  ``batch.kubernetes.io/controller-uid`` to the template (job-name is the Job's name; a CronJob's
  Jobs are named ``<cronjob>-<scheduled time>``); the Job controller adds
  ``batch.kubernetes.io/job-completion-index`` to the pods of an Indexed Job with PodIndexLabel
  (pkg/controller/job/indexed_job_utils.go ``addCompletionIndexLabel``): one value per pod.
* Argo Rollouts: ``rollouts-pod-template-hash`` (one value per revision).

A value the manifest cannot tell (a hash, a uid, an ordinal) is "added": the pods surely carry
the key, but a selector that asks for a particular value of it may or may not match
(``selector_verdict`` answers None then).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import NamedTuple

from k8slint.model.objects import CronJob, Job, Rollout, Workload, as_dict, dig
from k8slint.model.scheduling import compiled_label_selector
from k8slint.model.versions import NEWEST, Version, on_by_default

POD_TEMPLATE_HASH = "pod-template-hash"
CONTROLLER_REVISION_HASH = "controller-revision-hash"
POD_TEMPLATE_GENERATION = "pod-template-generation"
ARGO_POD_TEMPLATE_HASH = "rollouts-pod-template-hash"
STATEFULSET_POD_NAME = "statefulset.kubernetes.io/pod-name"
POD_INDEX = "apps.kubernetes.io/pod-index"
LEGACY_JOB_NAME, JOB_NAME = "job-name", "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID, CONTROLLER_UID = "controller-uid", "batch.kubernetes.io/controller-uid"
JOB_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"

# Keys whose value is the same for every pod of one revision and differs between revisions.
REVISION_LABELS: dict[str, tuple[str, ...]] = {
    "Deployment": (POD_TEMPLATE_HASH,),
    "Rollout": (ARGO_POD_TEMPLATE_HASH,),
    "StatefulSet": (CONTROLLER_REVISION_HASH,),
    "DaemonSet": (CONTROLLER_REVISION_HASH, POD_TEMPLATE_GENERATION),
}
# Every label key any controller adds (whatever the kind): a selector naming one cannot be judged
# on template labels alone.
CONTROLLER_KEYS = frozenset({POD_TEMPLATE_HASH, CONTROLLER_REVISION_HASH, POD_TEMPLATE_GENERATION,
                             ARGO_POD_TEMPLATE_HASH, STATEFULSET_POD_NAME, POD_INDEX, LEGACY_JOB_NAME, JOB_NAME,
                             LEGACY_CONTROLLER_UID, CONTROLLER_UID, JOB_COMPLETION_INDEX})


class PodLabels(NamedTuple):
    """The labels every pod of a workload carries.

    ``known``: key -> value, the same on every pod (template labels, a Job's job-name);
    ``revision``: keys with one value per revision (pod-template-hash ...);
    ``per_pod``: keys with one value per pod (a StatefulSet pod's name and ordinal ...);
    ``per_workload``: keys with one unknown value for all pods of the workload (a Job's uid).
    (A named tuple, not a frozen dataclass: the selector rules make one for every workload, and
    a tuple is several times cheaper to make.)"""

    known: Mapping
    revision: frozenset = frozenset()
    per_pod: frozenset = frozenset()
    per_workload: frozenset = frozenset()

    @property
    def added(self) -> frozenset:
        """Keys present on every pod with a value the manifest does not tell."""
        if not self.per_pod and not self.per_workload:
            return self.revision  # most workloads (Deployments): no new set each time it is asked
        return self.revision | self.per_pod | self.per_workload

    def has(self, key: str) -> bool:
        return key in self.known or key in self.revision or key in self.per_pod or key in self.per_workload


def known_pod_labels(workload: Workload, version: Version = NEWEST) -> Mapping | None:
    """A mapping whose string pairs are those of ``pod_labels(workload, version).known`` (it may
    hold pairs of other types, which no selector matches), without the rest of ``PodLabels``: what
    an index of pod labels files each workload under. Only a Job's (and a CronJob's Jobs') differ
    from the template's; None when the pods cannot be known."""
    if isinstance(workload, (Job, CronJob)):
        labels = pod_labels(workload, version)
        return None if labels is None else labels.known
    if isinstance(workload, Rollout) and dig(workload.root, ("spec", "workloadRef")) is not None:
        return None
    return workload.pod_template.labels


def pod_labels(workload: Workload, version: Version = NEWEST) -> PodLabels | None:
    """The labels of ``workload``'s pods at Kubernetes ``version``; None when its pods cannot be
    known (an Argo Rollout whose template comes from a Deployment: ``workloadRef``)."""
    if isinstance(workload, Rollout) and dig(workload.root, ("spec", "workloadRef")) is not None:
        return None
    template_labels = workload.pod_template.labels
    known = template_labels  # shared, never changed: a copy only where it differs
    for k, v in template_labels.items():  # (loops, not generators: asked for every workload)
        if type(k) is not str or type(v) is not str:
            known = {k: v for k, v in template_labels.items() if isinstance(k, str) and isinstance(v, str)}
            break
    kind = type(workload).__name__
    revision_keys = REVISION_LABELS.get(kind, ())
    for key in revision_keys:
        if key in known:
            revision = _shared(k for k in revision_keys if k not in known)
            break
    else:
        revision = _REVISION_KEYS.get(kind, _NO_KEYS)
    if kind == "StatefulSet":
        per_pod = _statefulset_keys(version)
        if not per_pod.isdisjoint(known):
            per_pod = _shared(per_pod - known.keys())
        return PodLabels(known, revision, per_pod, _NO_KEYS)
    per_pod: set = set()
    per_workload: set = set()
    if isinstance(workload, (Job, CronJob)):
        job_spec = workload.spec if isinstance(workload, Job) else as_dict(dig(workload.root, ("spec", "jobTemplate",
                                                                                               "spec")))
        if job_spec.get("manualSelector") is not True:
            names = (LEGACY_JOB_NAME, JOB_NAME) if version >= (1, 27) else (LEGACY_JOB_NAME,)
            uids = (LEGACY_CONTROLLER_UID, CONTROLLER_UID) if version >= (1, 27) else (LEGACY_CONTROLLER_UID,)
            if known is template_labels:
                known = dict(known)
            for key in names:
                if key in known:
                    continue  # the strategy keeps a value the template sets (validation then checks it)
                if isinstance(workload, Job) and workload.name and workload.metadata.get("name"):
                    known[key] = workload.name
                else:  # a CronJob's Jobs, or a Job with generateName: one name per Job
                    per_workload.add(key)
            per_workload.update(k for k in uids if k not in known)
        if job_spec.get("completionMode") == "Indexed" and on_by_default("PodIndexLabel", version):
            per_pod.add(JOB_COMPLETION_INDEX)
    return PodLabels(known, revision, _shared(per_pod - known.keys()) if per_pod else _NO_KEYS,
                     _shared(per_workload - known.keys()) if per_workload else _NO_KEYS)


# The few distinct key sets of added labels, each made once: a run may hold the pod labels of
# 50,000 workloads at once (anti-affinity-infeasible), and most of them carry the same ones.
_KEY_SETS: dict[frozenset, frozenset] = {}


def _shared(keys) -> frozenset:
    keys = frozenset(keys)
    return _KEY_SETS.setdefault(keys, keys)


_NO_KEYS = _shared(())


@functools.lru_cache(maxsize=None)
def _statefulset_keys(version: Version) -> frozenset:
    """The per-pod keys of a StatefulSet's pods at ``version``."""
    return _shared((STATEFULSET_POD_NAME, POD_INDEX) if on_by_default("PodIndexLabel", version)
                   else (STATEFULSET_POD_NAME,))
# Each kind's revision keys, when the template sets none of them (nearly always)
_REVISION_KEYS = {kind: _shared(keys) for kind, keys in REVISION_LABELS.items()}


def selector_verdict(selector, labels: PodLabels | Mapping) -> bool | None:
    """Does a ``metav1.LabelSelector`` select pods with ``labels``? True, False, or None when it
    depends on a value only the controller knows (``pod-template-hash In [...]``). A null or
    invalid selector selects nothing, {} everything; Exists/DoesNotExist on an added key are
    decided (the key is there)."""
    return requirements_verdict(compiled_label_selector(selector), labels)


def requirements_verdict(requirements, labels: PodLabels | Mapping) -> bool | None:
    """``selector_verdict`` for a selector compiled already (``compiled_label_selector``)."""
    if requirements is None:
        return False
    if not isinstance(labels, PodLabels):
        labels = PodLabels(labels if isinstance(labels, Mapping) else {})
    known, added = labels.known, labels.added
    verdict: bool | None = True
    for requirement in requirements:
        key = requirement.key
        if key in added and key not in known:
            if requirement.operator == "Exists":
                continue
            if requirement.operator == "DoesNotExist":
                return False
            verdict = None  # In / NotIn on a value the manifest does not tell
            continue
        if not requirement.matches(known):
            return False
    return verdict


def map_verdict(selector: Mapping, labels: PodLabels | Mapping) -> bool | None:
    """``selector_verdict`` for a plain label map (Service, ReplicationController selector)."""
    return selector_verdict({"matchLabels": selector}, labels)
