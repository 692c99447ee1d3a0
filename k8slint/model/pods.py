"""The pods a workload creates, as far as selectors are concerned: the labels the controllers add,
whether a workload is whole or a fragment (a kustomize patch), and whether a plain label map
selects its pods. Shared by the selector, Service, StatefulSet and HPA rules."""

from __future__ import annotations

from k8slint.model.objects import (
    PodTemplateObject, Rollout, Workload, as_dict, as_list, dig,
)
from k8slint.model.pod_labels import (
    CONTROLLER_KEYS, CONTROLLER_UID, LEGACY_CONTROLLER_UID, STATEFULSET_POD_NAME, pod_labels,
)
from k8slint.model.scheduling import label_map_selects
from k8slint.model.versions import NEWEST, Version

# Every label key a controller adds to the pods it creates (k8slint.model.pod_labels, the one
# notion of a pod's labels): a selector naming one cannot be judged on template labels alone.
CONTROLLER_LABELS = CONTROLLER_KEYS
JOB_UID_LABELS = (LEGACY_CONTROLLER_UID, CONTROLLER_UID)


def references_template(workload: Workload) -> bool:
    """An Argo Rollout whose pod template comes from a referenced Deployment (workloadRef)."""
    return isinstance(workload, Rollout) and dig(workload.root, ("spec", "workloadRef")) is not None


def is_partial(workload: Workload) -> bool:
    """A fragment rather than a whole workload, such as a kustomize patch (``spec: {replicas: 3}``,
    or containers with a name and args but no image): the API server would reject it as it is, so
    it is neither reported nor used as evidence about pods. A Rollout with workloadRef is whole."""
    if references_template(workload):
        return False
    # The entries PodTemplate.containers("containers") wraps (the mappings), read directly: rules
    # ask this of every workload, most of which have their images.
    items = workload.pod_template.spec.get("containers")
    if not isinstance(items, list):
        return True
    whole = False
    for data in items:
        if isinstance(data, dict):
            if data.get("image") is None:
                return True
            whole = True
    return not whole


def pod_label_sets(workload: Workload, wanted: dict, version: Version = NEWEST) -> list[dict] | None:
    """The label sets the pods of ``workload`` carry, as far as ``wanted`` (a label map some
    selector asks for) is concerned: the labels of ``k8slint.model.pod_labels`` (template labels
    plus the labels the controllers add), a controller's label taken as matching when its value
    cannot be known before apply. An Argo Rollout also labels
    canary/stable/active/preview pods with its strategy's metadata and runs experiment pods with
    their own labels. None when the pods cannot be known (a Rollout with workloadRef). The sets may
    be the template's own label mapping: they must not be changed."""
    labels = pod_labels(workload, version)
    if labels is None:
        return None
    base = labels.known
    # the controller's labels, taken as matching what is asked for (nothing asked: none added)
    for key in labels.added if wanted else ():
        value = wanted.get(key)
        if value is None:
            continue
        if key == STATEFULSET_POD_NAME:  # only one of this set's pod names
            prefix = f"{workload.name}-"
            if not (isinstance(value, str) and value.startswith(prefix) and value[len(prefix):].isdigit()):
                continue
        if base is labels.known:
            base = dict(base)
        base[key] = value
    sets = [base]
    if isinstance(workload, Rollout):
        strategy = as_dict(workload.spec.get("strategy"))
        for section, field in (("canary", "canaryMetadata"), ("canary", "stableMetadata"),
                               ("blueGreen", "activeMetadata"), ("blueGreen", "previewMetadata")):
            extra = as_dict(dig(strategy, (section, field, "labels")))
            if extra:
                sets.append({**base, **extra})
        for step in as_list(dig(strategy, ("canary", "steps"))):
            for template in as_list(dig(step, ("experiment", "templates"))):
                extra = as_dict(dig(template, ("metadata", "labels")))
                if extra:
                    sets.extend([{**base, **extra}, dict(extra)])
    return sets


def runs_pods(workload: Workload) -> bool:
    """Whether the object creates pods (a PodTemplate object does not)."""
    return not isinstance(workload, PodTemplateObject)


def map_selects(selector: dict, workload: Workload) -> bool | None:
    """Whether a plain label map (Service / ReplicationController selector) selects the pods of
    ``workload``; None when those pods are unknown."""
    sets = pod_label_sets(workload, selector)
    if sets is None:
        return None
    return any(label_map_selects(selector, labels) for labels in sets)


def string_map(value) -> dict | None:
    """A label map with string keys and values, or None (wrong types are reported elsewhere)."""
    if not isinstance(value, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value


def container_port_names(workload: Workload) -> list[tuple[str, str, str]]:
    """(port name, protocol, container name) of the regular and sidecar containers: the ports a
    Service's named targetPort can resolve to (``FindPort``)."""
    out = []
    for container in workload.pod_template.containers():
        if not container.long_running:  # (init containers but sidecars, ephemeral containers)
            continue
        ports = container.data.get("ports")
        for port in ports if isinstance(ports, list) else ():
            name = port.get("name") if isinstance(port, dict) else None
            if isinstance(name, str) and name:
                protocol = port.get("protocol")
                protocol = protocol if isinstance(protocol, str) and protocol else "TCP"
                out.append((name, protocol, container.name))
    return out
