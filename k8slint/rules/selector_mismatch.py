"""Selectors that do not select what they should.

``selector-mismatch`` (per object): a controller's selector that the API server rejects because it
is missing, empty, malformed or does not match the pod template's labels (apps validation
``ValidatePodTemplateSpecForReplicaSet``: "`selector` does not match template `labels`"; core
``ValidateReplicationControllerSpec``; batch ``ValidateJobSpec`` / ``validateGeneratedSelector``;
Argo Rollouts ``ValidateRolloutSpec``).

``service-no-endpoints`` and ``service-target-port`` (over the whole set): a Service whose selector
selects no pod template of the linted set, and a Service port whose named ``targetPort`` no
selected container defines (the EndpointSlice controller's ``FindPort`` matches the port name
*and* protocol on regular and sidecar containers, per pod).

Pod labels as the controllers set them, and whether a label map selects them, come from
``k8slint.model.pods`` (shared with the StatefulSet and HPA rules).
"""

from __future__ import annotations

import functools
import re

from k8slint.model.objects import (
    CronJob, Job, PodSource, ReplicationController, Rollout, Service, Workload, as_dict, as_list, dig,
)
from k8slint.model.pods import (
    CONTROLLER_LABELS, JOB_UID_LABELS, container_port_names, is_partial, map_selects,
    pod_label_sets, runs_pods, string_map,
)
from k8slint.model.index import LabelIndex, PlaceIndex, file_directory
from k8slint.model.pod_labels import known_pod_labels
from k8slint.model.relations import missing_reference_severity, pods_made_elsewhere, same_namespace
from k8slint.model.scheduling import label_map_valid, label_selector_matches, label_selector_problems
from k8slint.model.wording import describe, describe_labels
from k8slint.rules import HEAVY, SET, rule

MISMATCH = "selector-mismatch"
NO_ENDPOINTS = "service-no-endpoints"
TARGET_PORT = "service-target-port"

# API versions that default a missing selector to the template labels (removed from the API
# since 1.16, but still found in old manifests): apps/v1beta2 and apps/v1 do not.
_SELECTOR_DEFAULTING_VERSIONS = ("extensions/v1beta1", "apps/v1beta1")
# IANA_SVC_NAME (validation.IsValidPortName): 1-15 of a-z0-9-, a letter, no edge or double hyphen.
_PORT_NAME = re.compile(r"(?!-)(?!.*--)[a-z0-9-]{1,15}(?<!-)\Z")


# --- selector-mismatch ----------------------------------------------------------------------------


@rule(MISMATCH, kinds=["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController",
                       "Rollout", "Job", "CronJob"])
def check(obj: Workload, ctx):
    if isinstance(obj, CronJob):
        _cronjob_selector(obj, ctx)
    elif isinstance(obj, Job):
        _job_selector(obj, ctx)
    elif isinstance(obj, ReplicationController):
        _rc_selector(obj, ctx)
    else:
        _apps_selector(obj, ctx)


def _template_labels_path(obj: Workload) -> tuple:
    return obj.TEMPLATE_PATH + ("metadata", "labels")


def _apps_selector(obj: Workload, ctx):
    if isinstance(obj, Rollout) and dig(obj.root, ("spec", "workloadRef")) is not None:
        return  # the pods come from the referenced Deployment's template
    spec = obj.spec
    selector = spec.get("selector")
    labels = obj.pod_template.labels
    if selector is None:
        if obj.api_version in _SELECTOR_DEFAULTING_VERSIONS or is_partial(obj):
            return  # defaulted to the template labels, or a fragment such as a kustomize patch
        suggestion = f" (the template labels are {describe_labels(labels)})" if labels else ""
        ctx.report(
            obj, ("spec", "selector"),
            f"{obj.kind} {obj.api_version} requires spec.selector; the API server rejects the "
            f"{obj.kind} without it{suggestion}",
            hint="Add spec.selector.matchLabels with the labels of spec.template.metadata.labels "
                 "that identify these pods.")
        return
    if not isinstance(selector, dict):
        return  # invalid-field-type reports it
    _label_selector(obj, ctx, selector, ("spec", "selector"), labels,
                               f"the API server rejects the {obj.kind}")


def _label_selector(obj: Workload, ctx, selector: dict, path: tuple, labels: dict, consequence: str):
    match_labels = selector.get("matchLabels")
    if len(selector) == 1 and isinstance(match_labels, dict) and match_labels and label_map_valid(match_labels):
        # The usual selector (valid matchLabels alone), read without compiling it: the template
        # carries each pair, so it matches (what the compiled selector says); else as below.
        for key, value in match_labels.items():
            if labels.get(key) != value:
                break
        else:
            return
    problems = label_selector_problems(selector)
    if problems:
        first = problems[0]
        ctx.report(obj, path + _problem_path(first.path, selector),
                   f"spec.selector is invalid ({first}); {consequence}")
        return
    match_labels = as_dict(selector.get("matchLabels"))
    expressions = as_list(selector.get("matchExpressions"))
    if not match_labels and not expressions:
        ctx.report(obj, path,
                   f"spec.selector is empty, which would select every pod of the namespace; "
                   f"{consequence} (\"empty selector is invalid\")",
                   hint="Put the labels that identify these pods into selector.matchLabels.")
        return
    if label_selector_matches(selector, labels):
        return
    where, why = _first_unmatched(selector, labels, path)
    ctx.report(
        obj, where,
        f"spec.selector does not match the pod template labels: {why}; {consequence} "
        f"(\"`selector` does not match template `labels`\")",
        hint="Make spec.template.metadata.labels contain every selector label (selector values "
             "must equal the template's), or fix the selector.")


def _problem_path(text: str, selector: dict) -> tuple:
    """A Problem's dotted path ("matchExpressions[0].values", 'matchLabels."a.b/c"') as a field
    path, as far as it goes simply."""
    match = re.match(r"matchExpressions\[(\d+)\]", text)
    if match:
        return ("matchExpressions", int(match.group(1)))
    if text.startswith("matchLabels"):
        key = text[len("matchLabels."):].strip('"')
        return ("matchLabels", key) if key in as_dict(selector.get("matchLabels")) else ("matchLabels",)
    return ()


def _first_unmatched(selector: dict, labels: dict, path: tuple) -> tuple[tuple, str]:
    for key, value in as_dict(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            have = f"has {key}={labels[key]}" if key in labels else f"has no label {key}"
            return path + ("matchLabels", key), f"the selector requires {key}={value} but the template {have}"
    for index, expression in enumerate(as_list(selector.get("matchExpressions"))):
        if not label_selector_matches({"matchExpressions": [expression]}, labels):
            expr = as_dict(expression)
            key, operator, values = expr.get("key"), expr.get("operator"), expr.get("values")
            shown = f"{key} {operator} ({', '.join(str(v) for v in as_list(values))})" if values \
                else f"{key} {operator}"
            have = f"{key}={labels[key]}" if key in labels else f"no label {key}"
            return path + ("matchExpressions", index), \
                f"the selector requires {shown} but the template has {have}"
    return path, "the template labels do not satisfy it"


def _rc_selector(obj: ReplicationController, ctx):
    selector = obj.spec.get("selector")
    labels = obj.pod_template.labels
    if selector is not None and not isinstance(selector, dict):
        return
    if not selector:
        if not labels and not is_partial(obj):
            ctx.report(
                obj, ("spec", "selector"),
                "ReplicationController has neither spec.selector nor template labels to default it "
                "from; the API server rejects it (the selector must not be empty)",
                hint="Give spec.template.metadata.labels (the selector defaults to them) or set "
                     "spec.selector.")
        return  # defaulted to the template labels (SetDefaults_ReplicationController)
    selector = string_map(selector)
    if selector is None:
        return
    for key, value in selector.items():
        if labels.get(key) != value:
            have = f"has {key}={labels[key]}" if key in labels else f"has no label {key}"
            ctx.report(
                obj, ("spec", "selector", key),
                f"spec.selector requires {key}={value} but the pod template {have}; the API server "
                f"rejects the ReplicationController (\"selector does not match template labels\")",
                hint="Make the template labels contain the selector, or drop spec.selector: it "
                     "defaults to the template labels.")
            return


def _job_selector(obj: Job, ctx):
    spec = obj.spec
    manual = spec.get("manualSelector") is True
    selector = spec.get("selector")
    labels = obj.pod_template.labels
    if not manual:
        if selector is not None:
            ctx.report(
                obj, ("spec", "selector"),
                "spec.selector is set without manualSelector: true; the API server generates a "
                "Job's selector from its uid and rejects a hand-written one (\"`selector` not "
                "auto-generated\"), which is what happens when a Job exported from a cluster is "
                "applied again",
                hint="Remove spec.selector (and any controller-uid labels copied from a live Job), "
                     "or set manualSelector: true if you really manage the selector yourself.")
            return
        for key in JOB_UID_LABELS:
            if key in labels:
                ctx.report(
                    obj, _template_labels_path(obj) + (key,),
                    f"the pod template carries {key}={labels[key]}, copied from a live Job; the API "
                    f"server requires it to equal the new Job's uid and rejects the Job",
                    hint="Remove the controller-uid labels from the template: Kubernetes adds them.")
                return
        return
    if selector is None:
        ctx.report(obj, ("spec", "manualSelector"),
                   "manualSelector: true but spec.selector is missing; the API server rejects "
                   "the Job (spec.selector: Required value)",
                   hint="Add spec.selector matching the template labels, or drop manualSelector.")
        return
    if isinstance(selector, dict):
        _label_selector(obj, ctx, selector, ("spec", "selector"), labels,
                                   "the API server rejects the Job")


def _cronjob_selector(obj: CronJob, ctx):
    job_spec = as_dict(dig(obj.root, ("spec", "jobTemplate", "spec")))
    base = ("spec", "jobTemplate", "spec")
    if job_spec.get("selector") is not None:
        ctx.report(obj, base + ("selector",),
                   "jobTemplate.spec.selector is set; the API server rejects the CronJob "
                   "(\"`selector` will be auto-generated\")",
                   hint="Remove jobTemplate.spec.selector: each Job gets a generated selector.")
    elif job_spec.get("manualSelector") is True:
        ctx.report(obj, base + ("manualSelector",),
                   "jobTemplate.spec.manualSelector: true is not supported in a CronJob; the "
                   "API server rejects it", hint="Remove manualSelector.")


# --- service-no-endpoints / service-target-port -------------------------------------------------


# Label keys whose values only the controller knows (or derives from the object's name): an index
# on a selector pair must not rely on them.
_DYNAMIC_KEYS = frozenset(CONTROLLER_LABELS)


@rule(NO_ENDPOINTS, scope=SET, also_reports=[TARGET_PORT], cost=HEAVY)
def check_services(inventory, ctx):
    workloads = [w for w in inventory.workloads if runs_pods(w)]
    pod_sources = inventory.of(PodSource)
    index = LabelIndex(workloads, _label_sets, _DYNAMIC_KEYS)
    # A fragment without pod labels (a kustomize patch) says nothing about which pods exist.
    partial = {id(w) for w in workloads if is_partial(w)}  # (asked again of each selected workload)
    places = PlaceIndex([w for w in workloads if id(w) not in partial or w.pod_template.labels])
    for service in inventory.of(Service):
        with ctx.guard(service):
            spec = as_dict(service.root.get("spec"))
            if spec.get("type") == "ExternalName":
                continue
            selector = string_map(spec.get("selector"))
            if not selector or not label_map_valid(selector):
                continue  # no selector: endpoints are managed by hand; invalid: rejected anyway
            # (a candidate the index marks sure carries every pair of this valid selector: matched)
            matching = index.map_candidates_marked(selector)
            namespace = service.namespace
            verdicts = [(w, sure or map_selects(selector, w)) for w, sure in matching
                        if same_namespace(namespace, w.namespace)]
            if any(v is None and w.file == service.file for w, v in verdicts):
                continue  # pods of this file are unknown (a Rollout whose template is referenced)
            selected = [w for w, v in verdicts if v]
            if selected:
                whole = [w for w in selected if id(w) not in partial]
                if len(whole) == len(selected) and ctx.enabled(TARGET_PORT):
                    _target_ports(service, spec, whole, ctx)
                continue
            if ctx.enabled(NO_ENDPOINTS):
                _no_endpoints(service, selector, matching, places, pod_sources, ctx)


def _label_sets(workload: Workload):
    """``pod_label_sets(workload, {})`` for the index: an Argo Rollout's pods may carry several
    label sets; any other workload's carry its known pod labels (its template's, read directly)."""
    if isinstance(workload, Rollout):
        return pod_label_sets(workload, {})
    return (known_pod_labels(workload),)


def _template_labels(workload: Workload) -> dict:
    return workload.pod_template.labels


def _no_endpoints(service: Service, selector: dict, matching: list, places: PlaceIndex, pod_sources: list, ctx):
    """"Nothing matches" needs evidence that the input holds every workload that could match: an
    operator label in the selector, or a custom resource of an operator that creates pods next to
    the Service, leaves the pods unknown, and the rule says nothing. ``matching``: the index's
    (candidate, sure to match) pairs."""
    path = ("spec", "selector")
    if pods_made_elsewhere(service, selector, pod_sources) is not None:
        return
    elsewhere = [w for w, sure in matching if not same_namespace(w.namespace, service.namespace)
                 and (sure or map_selects(selector, w))]
    severity = missing_reference_severity(service, elsewhere) if elsewhere else False
    if severity is not False:
        target = next((w for w in elsewhere if w.file == service.file), elsewhere[0])
        ctx.report(
            service, path,
            f"Service selector {describe_labels(selector)} matches the pods of {describe(target)}, "
            f"but a Service only selects pods in its own namespace "
            f"({service.namespace or 'the namespace it is applied to'})"
            + (": it gets no endpoints and connections to it fail" if severity is None else
               ": unless pods with these labels are created in its namespace elsewhere, it gets no endpoints "
               "and connections to it may fail"), rule=NO_ENDPOINTS, severity=severity,
            hint="Put the Service in the namespace of the pods it should expose.")
        return
    # missing_reference_severity over the namespace-compatible workloads, from the index: the
    # Service's own file holds some (None), else its directory ("info"), else nothing to say.
    scoped = places.in_file(service.file, service.namespace)
    severity = None
    if not scoped:
        scoped, severity = places.in_directory(file_directory(service.file), service.namespace), "info"
        if not scoped:
            return
    closest, missing, pairs = places.closest(selector, scoped, _template_labels)
    detail = ""
    if closest is not None and pairs:
        path = path + (missing,)
        labels = closest.pod_template.labels
        have = f"{missing}={labels[missing]}" if missing in labels else f"no label {missing}"
        detail = f"; closest is {describe(closest)}, whose pods have {have}"
    elif closest is not None:
        path = path + (missing,)
        values, more = places.values(missing, scoped, _template_labels, 5)
        shown = ", ".join(f"{missing}={v}" for v in values) + (" ..." if more else "")
        detail = f"; the pods here have {shown}"
    scope = "in this file" if severity is None else "in this directory"
    namespace = f" in namespace {service.namespace}" if service.namespace else ""
    count = sum(len(bucket) for bucket in scoped)
    if severity is None:  # workloads in its own file, none of them matches: a broken reference
        message = (f"Service selector {describe_labels(selector)} matches no pod template of the "
                   f"{count} workload(s){namespace} {scope}: the Service gets no endpoints and "
                   f"connections to it fail{detail}")
    else:
        message = (f"Service selector {describe_labels(selector)} matches no workload in these files (none of "
                   f"the {count} workload(s){namespace} {scope}){detail}: unless its pods are created "
                   f"elsewhere (another repository, a Helm release, an operator), the Service has no endpoints "
                   f"and connections to it may fail")
    ctx.report(service, path, message, rule=NO_ENDPOINTS, severity=severity)


@functools.lru_cache(maxsize=1024)  # a run repeats a few names (http, grpc) on every Service
def _valid_port_name(name: str) -> bool:
    """IANA_SVC_NAME as the API server validates a named targetPort."""
    return bool(_PORT_NAME.match(name)) and any(c.isalpha() for c in name)


def _target_ports(service: Service, spec: dict, selected: list, ctx):
    for index, port in enumerate(as_list(spec.get("ports"))):
        if not isinstance(port, dict):
            continue
        target = port.get("targetPort")
        path = ("spec", "ports", index, "targetPort")
        if target is None or isinstance(target, bool) or target == "":
            continue  # defaults to port
        if isinstance(target, (int, float)):
            if isinstance(target, float) and not target.is_integer():
                continue
            if not 0 <= target <= 65535:
                ctx.report(service, path,
                           f"targetPort {target:g} is outside 1-65535; the API server rejects "
                           f"the Service", rule=TARGET_PORT, severity="error")
            continue
        if not isinstance(target, str):
            continue
        if target.isdigit():
            ctx.report(
                service, path,
                f"targetPort \"{target}\" is a quoted number, so Kubernetes reads it as a port "
                f"name, and a port name must contain a letter: the API server rejects the Service",
                rule=TARGET_PORT, severity="error", hint=f"Write targetPort: {target} without quotes.")
            continue
        if not _valid_port_name(target):
            ctx.report(
                service, path,
                f"targetPort {target!r} is neither a number nor a valid port name (lowercase "
                f"letters, digits and '-', at most 15 characters, with a letter); the API server "
                f"rejects the Service", rule=TARGET_PORT, severity="error")
            continue
        protocol = port.get("protocol") if isinstance(port.get("protocol"), str) else "TCP"
        defined = [(w, p) for w in selected for p in container_port_names(w) if p[0] == target]
        if protocol in [p[1] for _, p in defined]:
            continue
        # Only pods the Service surely means count as evidence: same file, else same directory.
        severity = missing_reference_severity(service, selected)
        if severity is False:
            continue
        names = sorted({p[0] for w in selected for p in container_port_names(w)})
        pods = ", ".join(describe(w) for w in selected[:3]) + (" ..." if len(selected) > 3 else "")
        if defined:
            workload, (_, other, container) = defined[0]
            why = (f"container \"{container}\" of {describe(workload)} names a port {target!r} but "
                   f"with protocol {other}, not {protocol}")
        else:
            known = ", ".join(names) if names else "none"
            why = (f"no container of the selected pods ({pods}) defines a port named {target!r} "
                   f"(their named ports: {known})")
        ctx.report(
            service, path,
            f"targetPort {target!r} cannot be resolved: {why}; "
            + ("the endpoints of this Service port stay empty and connections to it fail" if severity is None
               else "unless pods defined elsewhere that it also selects name that port, the endpoints of this "
                    "Service port stay empty and connections to it may fail"),
            rule=TARGET_PORT, severity=severity,
            hint=f"Name the container port {target!r} (same protocol), or use the port number.")


