"""``no-eligible-nodes``: with cluster information, a pod template that no node may run - whatever
the cause: spec.nodeName, nodeSelector, required node affinity, untolerated taints, or several of
them. This rule owns "the eligible set is empty"; the other scheduling rules (feasibility,
toleration-effect-mismatch) leave that case to it. Eligibility is `node_verdicts`, the one
function every scheduling rule shares; its first failing check per node is the cause reported.

Clusters from ``--nodes N`` describe node counts, not labels (every node is a synthetic
``node-<i>``), so label-based exclusions would be guesses: the rule stays silent for them.
"""

from __future__ import annotations

from k8slint.model.cluster import Cluster, Taint
from k8slint.model.objects import as_dict, as_list, workload_kind
from k8slint.model.scheduling import (
    NodeGroup,
    NodeSet,
    effective_tolerations,
    node_selector_term_matches,
    node_selector_term_problems,
    node_verdicts,
    scheduling_taint_effects,
    toleration_matches_ignoring_effect,
    untolerated_taints,
)
from k8slint.model.wording import describe_nodes
from k8slint.rules import SET, rule

RULE = "no-eligible-nodes"
_REQUIRED = ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")


@rule(RULE, scope=SET)
def check(inventory, ctx):
    cluster: Cluster | None = ctx.cluster
    if cluster is None or not cluster.node_count or not cluster.labels_known:
        return
    for obj in inventory.workloads:
        with ctx.guard(obj):
            template = obj.pod_template
            spec = template.data.get("spec")
            if not isinstance(spec, dict):  # e.g. an Argo Rollout using workloadRef
                continue
            if _malformed_node_selector(spec.get("nodeSelector")):
                continue  # the API server rejects the object: yaml-boolean-trap / invalid-field-type say so
            kind = workload_kind(obj)
            verdicts = node_verdicts(kind, spec, cluster)
            if verdicts.eligible:
                continue
            _report(obj, ctx, kind, template.spec_path, spec, verdicts, cluster)


def _malformed_node_selector(selector) -> bool:
    if selector is None:
        return False
    return not isinstance(selector, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in selector.items())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _report(obj, ctx, kind: str, spec_path: tuple, spec: dict, verdicts, cluster: Cluster):
    by_reason: dict[str, list[NodeGroup]] = {}  # groups of nodes of one class, judged alike
    for verdict in verdicts:
        key = "taint" if verdict.reason.startswith("taint ") else verdict.reason
        by_reason.setdefault(key, []).append(verdict.nodes)
    parts: list[str] = []
    hints: list[str] = []
    location = None
    if "nodeName" in by_reason:
        name = spec.get("nodeName")
        if cluster.find(name) is not None:
            parts.append(f"spec.nodeName binds it to {name}")
        else:
            parts.append(f"spec.nodeName binds it to {name!r}, which is not a node of the cluster")
            hints.append("Name an existing node, or drop spec.nodeName and let the scheduler choose.")
        location = spec_path + ("nodeName",)
    if "nodeSelector" in by_reason:
        where, text = _node_selector(spec, by_reason["nodeSelector"], cluster)
        parts.append(text)
        location = location or spec_path + where
        hints.append("Select labels the nodes carry (kubectl get nodes --show-labels), or label the nodes.")
    if "node affinity" in by_reason:
        where, text = _node_affinity(spec, by_reason["node affinity"], cluster)
        parts.append(text)
        location = location or spec_path + where
        if not hints or "Select labels" not in hints[-1]:
            hints.append("Make the required node affinity match labels the nodes carry.")
    if "taint" in by_reason:
        text, taints = _taints(kind, spec, by_reason["taint"], cluster)
        parts.append(text)
        hints.append("Tolerate " + ", ".join(f"{t.key}:{t.effect}" for t in taints)
                     + ", or select nodes without these taints.")
        if location is None:
            if spec.get("nodeSelector"):
                location = spec_path + ("nodeSelector",)
            elif as_dict(as_dict(spec.get("affinity")).get("nodeAffinity")).get(_REQUIRED[-1]) is not None:
                location = spec_path + _REQUIRED
            else:
                location = spec_path + ("tolerations",)  # or the pod spec, where it would go
    name = spec.get("nodeName")
    if kind == "DaemonSet":
        consequence = "the DaemonSet runs on no node"
    elif isinstance(name, str) and name and cluster.find(name) is not None:
        # spec.nodeName skips the scheduler: the kubelet's admission (pkg/kubelet/lifecycle/predicate.go)
        # rejects the pod, which ends Failed rather than waiting.
        consequence = (f"the kubelet on {name} rejects its pods at admission: they fail (status Failed), they "
                       f"are not Pending, and a controller keeps replacing them")
    elif isinstance(name, str) and name:
        consequence = ("no kubelet ever runs its pods, and the pod garbage collector deletes pods bound to a node "
                       "that does not exist (pkg/controller/podgc gcOrphaned)")
    else:
        consequence = "its pods stay Pending forever"
    message = (f"no node is eligible for this pod template ({cluster.source}, "
               f"{_plural(cluster.node_count, 'node')}): {'; '.join(parts)}; {consequence}")
    ctx.report(obj, location, message, hint=" ".join(hints) or None,
               severity="warning" if kind == "DaemonSet" else None)


def _count(groups: list[NodeGroup]) -> int:
    return sum(group.count for group in groups)


def _node_selector(spec: dict, nodes: list[NodeGroup], cluster: Cluster) -> tuple[tuple, str]:
    selector = spec["nodeSelector"]  # a mapping of strings (see _malformed_node_selector)
    failing: dict[str, list[NodeGroup]] = {}
    for group in nodes:
        for key, value in selector.items():
            if group.sample.labels.get(key) != value:
                failing.setdefault(key, []).append(group)
                break
    texts = [f"{describe_nodes(NodeSet(members), cluster)} lack{'s' if _count(members) == 1 else ''} the label "
             f"{key}={selector[key] or chr(34) * 2} (nodeSelector)" for key, members in failing.items()]
    worst = max(failing, key=lambda k: _count(failing[k]))  # first of the largest group
    return ("nodeSelector", worst), "; ".join(texts)


def _expression_text(expression) -> str:
    expression = as_dict(expression)
    values = as_list(expression.get("values"))
    shown = f" [{', '.join(str(v) for v in values)}]" if values else ""
    return f"{expression.get('key')} {expression.get('operator')}{shown}"


def _node_affinity(spec: dict, nodes: list[NodeGroup], cluster: Cluster) -> tuple[tuple, str]:
    required = as_dict(as_dict(as_dict(spec.get("affinity")).get("nodeAffinity")).get(_REQUIRED[-1]))
    terms = as_list(required.get("nodeSelectorTerms"))
    who = describe_nodes(NodeSet(nodes), cluster)
    if not terms:
        return _REQUIRED, (f"the required node affinity has no nodeSelectorTerms, so it matches no node "
                           f"({who})")
    problems = [f"nodeSelectorTerms[{i}]: {p}"
                for i, term in enumerate(terms) for p in node_selector_term_problems(term)]
    if len(terms) == 1 and isinstance(terms[0], dict):
        failing: dict[tuple, list[NodeGroup]] = {}
        for group in nodes:
            for section in ("matchExpressions", "matchFields"):
                expressions = as_list(terms[0].get(section))
                index = next((i for i, e in enumerate(expressions)
                              if not node_selector_term_matches({section: [e]}, group.sample)), None)
                if index is not None:
                    failing.setdefault((section, index), []).append(group)
                    break
        if failing:
            texts = [f"{describe_nodes(NodeSet(members), cluster)} fail{'s' if _count(members) == 1 else ''} the "
                     f"required node affinity {_expression_text(as_list(terms[0].get(section))[index])}"
                     for (section, index), members in failing.items()]
            section, index = max(failing, key=lambda k: _count(failing[k]))
            return _REQUIRED + ("nodeSelectorTerms", 0, section, index), "; ".join(texts)
    text = (f"{who} match{'es' if _count(nodes) == 1 else ''} none of the "
            f"{_plural(len(terms), 'required node affinity term')}")
    if problems:
        text += f" ({'; '.join(problems)})"
    return _REQUIRED + ("nodeSelectorTerms",), text


def _taints(kind: str, spec: dict, nodes: list[NodeGroup], cluster: Cluster) -> tuple[str, list[Taint]]:
    effective = effective_tolerations(kind, spec)
    effects = scheduling_taint_effects(kind, spec)
    by_taint: dict[Taint, list[NodeGroup]] = {}
    for group in nodes:
        first = untolerated_taints(effective, group.taints, effects)[0]
        by_taint.setdefault(first, []).append(group)
    tolerations = as_list(spec.get("tolerations"))
    texts = []
    for taint, members in by_taint.items():
        verb = "has" if _count(members) == 1 else "have"
        text = f"{describe_nodes(NodeSet(members), cluster)} {verb} taint {taint} not tolerated"
        near = next((i for i, t in enumerate(tolerations)
                     if isinstance(t, dict) and t.get("effect") and toleration_matches_ignoring_effect(t, taint)), None)
        if near is not None:
            text += f" (tolerations[{near}] matches it but has effect {tolerations[near].get('effect')})"
        texts.append(text)
    return "; ".join(texts), list(by_taint)
