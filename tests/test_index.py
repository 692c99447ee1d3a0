"""The object indexes (k8slint.model.index) give the answers a scan in input order gives."""

from __future__ import annotations

import copy
import random
from types import SimpleNamespace

import pytest

from k8slint.model.index import LabelIndex, PlaceIndex
from k8slint.model.scheduling import label_map_selects, label_selector_matches

KEYS = ("app", "tier", "team", "app.kubernetes.io/name")
VALUES = ("web", "api", "db", "x")


def _items(rng, count):
    items = []
    for n in range(count):
        labels = {k: rng.choice(VALUES) for k in KEYS if rng.random() < 0.6}
        items.append(SimpleNamespace(labels=labels, file=f"d{rng.randint(0, 2)}/f{rng.randint(0, 3)}.yaml",
                                     namespace=rng.choice(("", "a", "b")), n=n))
    return items


def _scan_closest(selector, items):
    """The scan the index replaces (selector_mismatch's former _closest)."""
    best, best_score, best_missing, best_pairs = None, 0, None, 0
    for item in items:
        labels = item.labels
        shared_keys = sum(1 for k in selector if k in labels)
        shared_pairs = sum(1 for k, v in selector.items() if labels.get(k) == v)
        score = shared_pairs * 2 + shared_keys
        if score > best_score:
            missing = next((k for k, v in selector.items() if labels.get(k) != v), None)
            best, best_score, best_missing, best_pairs = item, score, missing, shared_pairs
    return best, best_missing, best_pairs


@pytest.mark.parametrize("seed", range(25))
def test_near_miss_and_scoping_equal_the_scan(seed):
    rng = random.Random(seed)
    items = _items(rng, 60)
    places = PlaceIndex(items)
    for _ in range(30):
        selector = {k: rng.choice(VALUES) for k in rng.sample(KEYS, rng.randint(1, 4))}
        where = SimpleNamespace(file=f"d{rng.randint(0, 2)}/f{rng.randint(0, 3)}.yaml", namespace=rng.choice(("", "a")))
        compatible = [i for i in items if not where.namespace or i.namespace in (where.namespace, "")]
        scoped = [i for i in compatible if i.file == where.file]
        buckets = places.in_file(where.file, where.namespace)
        assert (places.merged(buckets) if buckets else []) == scoped
        for limit in (1, 3):
            tier, count, first = places.related_first(where, limit)
            related = places.related(where)
            assert (count, first) == (len(related), related[:limit])
            assert tier == (0 if scoped else 3 if not related else 1 if related[0].file.split("/")[0] ==
                            where.file.split("/")[0] else 2)
        if not scoped:
            continue
        closest = places.closest(selector, buckets, lambda i: i.labels)
        expected = _scan_closest(selector, scoped)
        if expected[0] is not None and expected[1] is None:
            continue  # a full match: the rule never asks then
        assert closest == expected
        key = rng.choice(KEYS)
        values = sorted({i.labels[key] for i in scoped if key in i.labels})
        assert places.values(key, buckets, lambda i: i.labels, 2) == (values[:2], len(values) > 2)


def test_near_miss_with_a_list_as_label_value_equals_the_scan():
    """A template label whose value is a list (the API server rejects it; invalid-field-type says so)
    counts as a key present whose value matches nothing: the near-miss table skips its value, and
    service-no-endpoints reports the Service instead of failing on it."""
    make = lambda n, labels: SimpleNamespace(labels=labels, file="d/f.yaml", namespace="", n=n)  # noqa: E731
    items = [make(0, {"app": "web", "tier": ["a", "b"]}), make(1, {"team": "x"}), make(2, {"tier": "db"})]
    places = PlaceIndex(items)
    for selector in ({"app": "api", "tier": "web"}, {"tier": "web"}, {"app": "web", "tier": "db"}):
        buckets = places.in_file("d/f.yaml", "")
        assert places.closest(selector, buckets, lambda i: i.labels) == _scan_closest(selector, items)


def test_service_next_to_a_list_label_value_is_reported(tmp_path):
    from conftest import engine_run

    (tmp_path / "a.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web, tier: [a, b]}}\n"
        "    spec: {containers: [{name: c, image: registry.example.com/web}]}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\n"
        "spec: {selector: {app: api, tier: web}, ports: [{port: 80}]}\n")
    result = engine_run([tmp_path / "a.yaml"], enabled={"service-no-endpoints"})
    assert not [e for e in result.errors if e.rule == "internal-error"], result.errors
    [found] = result.findings
    assert (found.rule, found.line) == ("service-no-endpoints", 13)
    assert found.message.endswith("connections to it fail; the pods here have app=web")


@pytest.mark.parametrize("seed", range(10))
def test_label_candidates_are_a_superset_in_input_order(seed):
    rng = random.Random(seed)
    items = _items(rng, 80)
    index = LabelIndex(items, lambda i: (i.labels,))
    for _ in range(40):
        selector = {k: rng.choice(VALUES) for k in rng.sample(KEYS, rng.randint(1, 3))}
        matches = [i for i in items if label_map_selects(selector, i.labels)]
        candidates = index.map_candidates(selector)
        assert [i for i in candidates if label_map_selects(selector, i.labels)] == matches
        assert [i.n for i in candidates] == sorted(i.n for i in candidates)
        expression = {"matchExpressions": [{"key": rng.choice(KEYS), "operator": rng.choice(("In", "Exists", "NotIn")),
                                            "values": [rng.choice(VALUES)]}], "matchLabels": {}}
        if expression["matchExpressions"][0]["operator"] == "Exists":
            del expression["matchExpressions"][0]["values"]
        matches = [i for i in items if label_selector_matches(expression, i.labels)]
        assert [i for i in index.selector_candidates(expression)
                if label_selector_matches(expression, i.labels)] == matches


def test_related_is_file_then_directory_then_namespace():
    make = lambda file, ns: SimpleNamespace(file=file, namespace=ns, labels={})  # noqa: E731
    a, b, c, d = make("x/1.yaml", "n"), make("x/2.yaml", ""), make("y/3.yaml", "n"), make("y/4.yaml", "m")
    places = PlaceIndex([a, b, c, d])
    assert places.related(make("x/1.yaml", "n")) == [a]
    assert places.related(make("x/9.yaml", "n")) == [a, b]
    assert places.related(make("z/9.yaml", "n")) == [a, c]
    assert places.related(make("z/9.yaml", "")) == []


# ---- PodLabelIndex: the pods' labels (template + controllers'), matched like selector_verdict ----

_KINDS = (("Deployment", "apps/v1"), ("StatefulSet", "apps/v1"), ("DaemonSet", "apps/v1"), ("Job", "batch/v1"),
          ("CronJob", "batch/v1"), ("Rollout", "argoproj.io/v1alpha1"))
_POD_KEYS = KEYS + ("pod-template-hash", "job-name", "controller-revision-hash")


def _workloads(rng, count, pod_spec=None):
    from k8slint.model.objects import make_object

    out = []
    for n in range(count):
        kind, api_version = rng.choice(_KINDS)
        labels = {k: rng.choice(VALUES) for k in KEYS if rng.random() < 0.5}
        if rng.random() < 0.1:
            labels["pod-template-hash"] = rng.choice(VALUES)  # a template that sets a controller key itself
        if rng.random() < 0.05:
            labels["version"] = 1  # not a string: no pod carries it as a label value
        spec = {"template": {"metadata": {"labels": labels}, "spec": pod_spec(rng) if pod_spec else {}}}
        if kind == "Rollout" and rng.random() < 0.3:
            spec = {"workloadRef": {"kind": "Deployment", "name": "x"}}  # pods unknown
        if kind == "Job" and rng.random() < 0.3:
            spec["manualSelector"] = True
        if kind == "CronJob":
            spec = {"jobTemplate": {"spec": spec}}
        name = rng.choice(VALUES)
        out.append(make_object({"apiVersion": api_version, "kind": kind,
                                "metadata": {"name": name, "namespace": rng.choice(("", "a"))}, "spec": spec},
                               f"d{n % 3}/f{n % 7}.yaml", 0, 1))
    return out


def _selector(rng):
    if rng.random() < 0.05:
        return {}  # policy/v1: every pod
    selector: dict = {}
    if rng.random() < 0.7:
        selector["matchLabels"] = {k: rng.choice(VALUES) for k in rng.sample(_POD_KEYS, rng.randint(1, 2))}
    expressions = []
    for _ in range(rng.randint(0 if selector else 1, 2)):
        operator = rng.choice(("In", "NotIn", "Exists", "DoesNotExist"))
        expression = {"key": rng.choice(_POD_KEYS + ("version",)), "operator": operator}
        if operator in ("In", "NotIn"):
            expression["values"] = rng.sample(VALUES, rng.randint(1, 2))
        expressions.append(expression)
    if expressions:
        selector["matchExpressions"] = expressions
    return selector


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("version", [(1, 26), (1, 34)])
def test_pod_label_index_verdicts_equal_the_scan(seed, version):
    """What rules/pdb.py computed before the index: selector_verdict over every workload with
    pod_labels (or the template labels when the pods are unknown); the index must give the same
    True / None verdicts, in input order, for In, NotIn, Exists, DoesNotExist, empty selectors,
    controller-added and controller-named labels."""
    from k8slint.model.index import PodLabelIndex
    from k8slint.model.pod_labels import pod_labels, selector_verdict

    rng = random.Random(seed)
    workloads = _workloads(rng, 60)
    index = PodLabelIndex(workloads, version)
    for _ in range(60):
        selector = _selector(rng)
        scan = [(w, selector_verdict(selector, pod_labels(w, version) or w.pod_template.labels)) for w in workloads]
        assert index.verdicts(selector) == [(w, v) for w, v in scan if v is not False], selector



@pytest.mark.parametrize("seed", range(20))
def test_service_candidates_marked_sure_are_matches(seed):
    """service-no-endpoints asks map_selects only of the candidates the index does not mark sure:
    the marks must never change a verdict. Workloads of every kind (Rollouts with canary metadata:
    several label sets; with workloadRef: unknown pods; templates setting controller keys), and
    selectors that name controller keys."""
    from k8slint.model.objects import make_object
    from k8slint.model.pods import map_selects
    from k8slint.rules.selector_mismatch import _DYNAMIC_KEYS, _label_sets

    rng = random.Random(seed)
    workloads = _workloads(rng, 60)
    asked = []  # selectors no single label set of a canary Rollout carries, which the union of its sets does
    for n in range(8):  # Rollouts whose canary pods carry other labels: several label sets
        kept, changed, added = rng.sample(KEYS, 3)
        labels = {kept: rng.choice(VALUES), changed: "web"}
        extra = {changed: "api", added: rng.choice(VALUES)}
        asked.append({changed: "web", added: extra[added]})
        workloads.insert(rng.randrange(len(workloads)), make_object(
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": f"r{n}"},
             "spec": {"template": {"metadata": {"labels": labels}},
                      "strategy": {"canary": {"canaryMetadata": {"labels": extra}}}}}, "d0/r.yaml", 0, 1))
    index = LabelIndex(workloads, _label_sets, _DYNAMIC_KEYS)
    marks = set()
    asked += [{k: rng.choice(VALUES) for k in rng.sample(_POD_KEYS, rng.randint(1, 3))} for _ in range(60)]
    for selector in asked:
        marked = index.map_candidates_marked(selector)
        assert [w for w, _ in marked] == index.map_candidates(selector)
        verdicts = [(w, sure or map_selects(selector, w)) for w, sure in marked]
        assert verdicts == [(w, map_selects(selector, w)) for w, _ in marked], selector
        marks.update(sure for _, sure in marked)
    assert marks == {True, False}  # both kinds of candidate were asked about


@pytest.mark.parametrize("seed", range(10))
def test_pods_made_elsewhere_equals_the_scan(seed):
    """relations.pods_made_elsewhere looks custom resources that create pods up by label; the
    answer is the scan's over every source (unknown pod labels match any selector; a key without
    value asks for the key only)."""
    from k8slint.model import relations
    from k8slint.model.objects import make_object

    rng = random.Random(seed)
    sources = []
    for n in range(50):
        spec = {"replicas": 1}
        if rng.random() < 0.8:
            labels = {k: rng.choice(VALUES + (1,)) for k in KEYS if rng.random() < 0.5}
            spec["template"] = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
        sources.append(make_object({"apiVersion": "example.com/v1", "kind": "Runner",
                                    "metadata": {"name": f"r{n}", "namespace": rng.choice(("", "a"))}, "spec": spec},
                                   f"d{rng.randint(0, 2)}/f{rng.randint(0, 3)}.yaml", 0, 1))
    sources = [s for s in sources if type(s).__name__ == "PodSource"]
    assert sources
    for _ in range(40):
        selector = {k: rng.choice(VALUES + (None,)) for k in rng.sample(KEYS, rng.randint(1, 3))}
        where = make_object({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "a"}},
                            f"d{rng.randint(0, 2)}/f{rng.randint(0, 3)}.yaml", 0, 1)
        scanned = relations.related(where, [s for s in sources if relations._may_match(s, selector)])
        expected = None
        if scanned:
            source = next((s for s in scanned if s.file == where.file), scanned[0])
            expected = f"{source.kind} {source.name} ({source.api_version}) may create them"
        assert relations.pods_made_elsewhere(where, selector, sources) == expected


@pytest.mark.parametrize("seed", range(10))
def test_topology_spread_others_match_equals_the_scan(seed):
    """topology-spread-infeasible's 'pods of another workload may match the selector' looks the
    workloads up in the run's PodLabelIndex; the answer is the scan's over every workload."""
    from k8slint.model.pod_labels import pod_labels, selector_verdict
    from k8slint.model.relations import related
    from k8slint.rules import topology_spread

    rng = random.Random(seed)
    workloads = _workloads(rng, 60)
    for version in ((1, 26), (1, 34)):
        for _ in range(30):
            obj = rng.choice(workloads)
            selector = _selector(rng)
            namespace = obj.namespace or "default"
            scanned = [o for o in workloads if o is not obj and (o.namespace or "default") == namespace
                       and (pod_labels(o, version) is None or selector_verdict(selector, pod_labels(o, version))
                            is not False)]
            constraint = SimpleNamespace(selector=selector)
            assert topology_spread._others_match(obj, constraint, workloads, version) == bool(related(obj, scanned))


@pytest.mark.parametrize("seed", range(10))
def test_host_port_pairs_equal_the_scan(seed):
    """host-port-conflict compares only the pairs of workloads that share a directory, a port and
    protocol, and a node binding (spec.nodeName, or none with cluster information): every pair a
    scan over all pairs would report on is among them, in the scan's order."""
    from k8slint.model.host_ports import HostPort, first_conflict
    from k8slint.rules import host_ports

    rng = random.Random(seed)

    def port():
        return HostPort("c", (), rng.choice((80, 443, 8080)), rng.choice(("TCP", "UDP")),
                        rng.choice(("0.0.0.0", "10.0.0.1", "10.0.0.2")), False)

    claims = [SimpleNamespace(obj=SimpleNamespace(file=f"d{rng.randint(0, 2)}/f{n}.yaml"),
                              ports=[port() for _ in range(rng.randint(1, 2))],
                              pinned=rng.choice((None, None, "node-a", "node-b")))
              for n in range(80)]

    def reportable(b, a, with_cluster):
        if first_conflict(b.ports, a.ports) is None:
            return False
        if a.pinned is not None and b.pinned is not None:
            return a.pinned == b.pinned
        return with_cluster and a.pinned is None and b.pinned is None

    for with_cluster in (False, True):
        scanned = [(b, a) for index, b in enumerate(claims) for a in claims[:index]
                   if a.obj.file.split("/")[0] == b.obj.file.split("/")[0] and reportable(b, a, with_cluster)]
        candidates = host_ports._conflict_candidates(claims, with_cluster)
        looked_up = [(b, a) for index, b in enumerate(claims) for a in candidates.get(index, ())
                     if reportable(b, a, with_cluster)]
        assert looked_up == scanned and scanned


@pytest.mark.parametrize("seed", range(10))
def test_anti_affinity_shared_terms_and_run_index_equal_the_scan(seed):
    """anti-affinity-infeasible makes the terms of an affinity mapping once for the workloads that
    hold that same mapping (the inventory shares equal containers), and looks the workloads a term
    repels up in the run's PodLabelIndex instead of an index of its own: each workload's terms,
    usable terms and self modes, and the conflict graph, are what terms made per workload and a
    scan of every workload give."""
    from k8slint.model import affinity as aff
    from k8slint.model.index import PodLabelIndex
    from k8slint.model.pod_labels import PodLabels
    from k8slint.rules import anti_affinity

    rng = random.Random(seed)
    affinities = []
    for _ in range(4):
        term = {"topologyKey": rng.choice(("kubernetes.io/hostname", "zone", "")), "labelSelector": _selector(rng)}
        if rng.random() < 0.3:
            term["matchLabelKeys"] = [rng.choice(("app", "pod-template-hash"))]
        if rng.random() < 0.3:
            term["namespaces"] = [rng.choice(("a", "default"))]
        affinities.append({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}})
    workloads = _workloads(rng, 60, lambda r: {"affinity": r.choice(affinities)} if r.random() < 0.8 else {})
    version = (1, 34)
    templates = [w for w in workloads if isinstance(w.pod_template.data, dict) and w.pod_template.data]
    index = PodLabelIndex(templates, version)
    labels = {id(o): index.known_labels(o) or PodLabels(o.pod_template.labels) for o in templates}
    analysed = [o for o in templates if isinstance(o, anti_affinity._ANALYSED)]
    table: dict = {}
    shared = [anti_affinity._analyse(o, [], None, labels[id(o)], version, table) for o in analysed]
    alone = [anti_affinity._analyse(o, [], None, labels[id(o)], version) for o in analysed]

    def facts(w):
        def at(term):
            return next(i for i, t in enumerate(w.terms) if t is term)
        return ([(t.path, t.topology_key, t.data) for t in w.terms], [at(t) for t in w.terms if anti_affinity._usable(t)],
                [(at(t), mode) for t, mode in w.own])

    assert [facts(w) for w in shared] == [facts(w) for w in alone]
    assert sum(1 for w in shared if w.terms) > len(table)  # some workloads share their terms
    scanned = _scanned_conflict_edges(alone)
    assert anti_affinity._conflict_edges(shared, anti_affinity._ScheduledIndex(index, shared)) == scanned


def _scanned_conflict_edges(analysed) -> dict:
    """The anti-affinity conflict graph by brute force: every usable required anti-affinity term of
    every workload evaluated against every other workload, edges per topology key."""
    from k8slint.model import affinity as aff
    from k8slint.rules import anti_affinity

    scanned: dict = {}
    for i, a in enumerate(analysed):
        for term in a.terms:
            if term.kind != aff.ANTI or not term.required or term.injected or not anti_affinity._usable(term):
                continue
            edges = scanned.setdefault(term.topology_key, set())
            for j, b in enumerate(analysed):
                if b is not a and aff.term_selects(term, a.labels, a.namespace, a.obj.kind, b.labels, b.namespace,
                                                   False) is True:
                    edges.add((min(i, j), max(i, j)))
    return scanned


@pytest.mark.parametrize("seed", range(10))
def test_anti_affinity_lookups_equal_the_scan(seed):
    """The anti-affinity rules look the pods a term may select up in the shared index: whether a
    term selects any pod ('no effect'), and which workloads it repels (the conflict graph), are
    what evaluating the term against every workload gives (selectors with In/NotIn/Exists/
    DoesNotExist, controller-added labels, matchLabelKeys, namespaces)."""
    from k8slint.model import affinity as aff
    from k8slint.model.index import LabelIndex, PodLabelIndex
    from k8slint.model.pod_labels import CONTROLLER_KEYS, PodLabels
    from k8slint.rules import anti_affinity

    shared = [_selector(random.Random(seed + n)) for n in range(4)]  # groups of workloads with equal terms

    def anti_affinity_term(rng):
        if rng.random() < 0.3:
            return {}
        selector = copy.deepcopy(rng.choice(shared)) if rng.random() < 0.5 else _selector(rng)
        term = {"topologyKey": "kubernetes.io/hostname", "labelSelector": selector}
        if rng.random() < 0.2:
            term["matchLabelKeys"] = [rng.choice(("app", "pod-template-hash"))]
        if rng.random() < 0.2:
            term["namespaces"] = [rng.choice(("a", "default"))]
        return {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}}

    rng = random.Random(seed)
    workloads = _workloads(rng, 50, anti_affinity_term)
    version = (1, 34)
    templates = [w for w in workloads if isinstance(w.pod_template.data, dict) and w.pod_template.data]
    index = PodLabelIndex(templates, version)
    labels = {id(o): index.known_labels(o) or PodLabels(o.pod_template.labels) for o in templates}
    analysed = [anti_affinity._analyse(o, [], None, labels[id(o)], version) for o in templates
                if isinstance(o, anti_affinity._ANALYSED)]
    scheduled = LabelIndex(analysed, lambda w: None if index.known_labels(w.obj) is None else (w.labels.known,),
                           CONTROLLER_KEYS)
    checked = 0
    for w in analysed:
        for term in w.terms:
            if term.selector is None:
                continue
            checked += 1
            scan = any(aff.term_selects(term, w.labels, w.namespace, w.obj.kind, labels[id(o)],
                                        o.namespace or aff.DEFAULT_NAMESPACE, same, o is w.obj) is not False
                       for o in templates for same in ((True, False) if o is w.obj else (False,)))
            assert anti_affinity._selects_any(term, w, index) == scan
            repelled = [b for b in analysed if b is not w and aff.term_selects(
                term, w.labels, w.namespace, w.obj.kind, b.labels, b.namespace, False) is True]
            assert [b for b in scheduled.selector_candidates(term.selector) if b is not w and aff.term_selects(
                term, w.labels, w.namespace, w.obj.kind, b.labels, b.namespace, False) is True] == repelled
    assert checked > 10
    scanned = _scanned_conflict_edges(analysed)
    assert anti_affinity._conflict_edges(analysed, scheduled) == scanned
    assert any(scanned.values())


@pytest.mark.parametrize("seed", range(10))
def test_recreate_services_equal_the_scan(seed):
    """unsafe-rolling-update asks which Services back a Recreate Deployment's pods through a
    SelectorMapIndex; the Services are those a scan over every Service finds, in input order
    (selectors with several pairs, non-string values, empty or missing selectors)."""
    from k8slint.model.index import SelectorMapIndex
    from k8slint.rules.rolling_update import _selects

    rng = random.Random(seed)
    values = VALUES + (1, True)

    def label_map():
        return {k: rng.choice(values) for k in KEYS if rng.random() < 0.5}

    services = [SimpleNamespace(selector=None if rng.random() < 0.1 else label_map(), n=n) for n in range(80)]
    index = SelectorMapIndex(services, lambda s: s.selector)
    for _ in range(50):
        labels = label_map()
        scanned = [s for s in services if s.selector and _selects(s.selector, labels)]
        assert [s for s in index.candidates(labels) if _selects(s.selector, labels)] == scanned


@pytest.mark.parametrize("seed", range(10))
def test_services_by_label_equal_the_first_key_index(seed):
    """relations.ServicesByLabel files each Service under its rarest selector pair (so that pairs
    every Service of a release shares cost nothing) and answers as the index by first key did: the
    same Services in the same order."""
    from k8slint.model.relations import ServicesByLabel

    def first_key_selecting(services, labels):  # the former index, by the selector's first key
        by_pair: dict = {}
        for service in services:
            selector = service.selector
            if not selector or not all(isinstance(k, str) and isinstance(v, str) for k, v in selector.items()):
                continue
            key = min(selector)
            by_pair.setdefault((key, selector[key]), []).append(service)
        found = []
        for key, value in labels.items():
            if not isinstance(value, str) or not isinstance(key, str):
                continue
            for service in by_pair.get((key, value), ()):
                if all(labels.get(k) == v for k, v in service.selector.items()):
                    found.append(service)
        return found

    rng = random.Random(seed)
    services = []
    for n in range(80):
        selector = {"app.kubernetes.io/instance": "release"} if rng.random() < 0.5 else {}
        selector.update({k: rng.choice(VALUES) for k in KEYS if rng.random() < 0.4})
        if rng.random() < 0.05:
            selector["version"] = 1
        services.append(SimpleNamespace(selector=selector or None, n=n))
    index = ServicesByLabel(services)
    for _ in range(60):
        labels = {k: rng.choice(VALUES) for k in rng.sample(KEYS, len(KEYS)) if rng.random() < 0.7}
        if rng.random() < 0.5:
            labels["app.kubernetes.io/instance"] = "release"
        assert index.selecting(labels) == first_key_selecting(services, labels)


@pytest.mark.parametrize("seed", range(4))
def test_topology_spread_capacity_per_placement_equals_each_workload_alone(seed, tmp_path):
    """topology-spread-infeasible works a capacity out once per distinct placement and constraint
    (many workloads share them): linting workloads together gives each the finding it gets alone
    (random node selectors, tolerations, keys, skews, minDomains and node inclusion policies)."""
    from conftest import engine_run
    from k8slint.model.cluster import cluster_from_documents

    rng = random.Random(seed)
    nodes = []
    for n in range(12):
        taints = [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}] if n % 4 == 3 else []
        nodes.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{n}", "labels": {
            "kubernetes.io/hostname": f"n{n}", "topology.kubernetes.io/zone": f"z{n % 3}",
            "disk": "ssd" if n % 2 else "hdd", **({"rack": f"r{n % 2}"} if n < 8 else {})}},
            "spec": {"taints": taints}})
    cluster = cluster_from_documents(nodes, "test nodes")
    documents = []
    for n in range(40):
        constraint = {"maxSkew": rng.choice((1, 2)), "whenUnsatisfiable": "DoNotSchedule",
                      "topologyKey": rng.choice(("topology.kubernetes.io/zone", "kubernetes.io/hostname", "rack")),
                      "labelSelector": {"matchLabels": {"app": f"w{n}"}}}
        if rng.random() < 0.4:
            constraint["minDomains"] = rng.choice((2, 4, 20))
        if rng.random() < 0.4:
            constraint["nodeTaintsPolicy"] = rng.choice(("Honor", "Ignore"))
        if rng.random() < 0.4:
            constraint["nodeAffinityPolicy"] = rng.choice(("Honor", "Ignore"))
        spec = {"topologySpreadConstraints": [constraint],
                "containers": [{"name": "c", "image": "nginx:1.27"}]}
        if rng.random() < 0.5:
            spec["nodeSelector"] = {"disk": rng.choice(("ssd", "hdd"))}
        if rng.random() < 0.5:
            spec["tolerations"] = [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]
        documents.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"w{n}"},
                          "spec": {"replicas": rng.randint(1, 14), "selector": {"matchLabels": {"app": f"w{n}"}},
                                   "template": {"metadata": {"labels": {"app": f"w{n}"}}, "spec": spec}}})
    import json

    together = tmp_path / "all.yaml"
    together.write_text("\n---\n".join(json.dumps(d) for d in documents))
    result = engine_run([together], cluster=cluster, enabled={"topology-spread-infeasible"})
    assert not result.errors
    found = {(f.name, f.message) for f in result.findings}
    alone = set()
    for n, document in enumerate(documents):
        path = tmp_path / f"w{n}.yaml"
        path.write_text(json.dumps(document))
        alone |= {(f.name, f.message) for f in engine_run([path], cluster=cluster,
                                                          enabled={"topology-spread-infeasible"}).findings}
    assert found == alone and found


@pytest.mark.parametrize("seed", range(20))
def test_anti_affinity_conflict_groups_are_the_connected_components(seed):
    """anti-affinity-infeasible weighs each connected component of the conflict graph on its own,
    in the order of their lowest member (the work budget of the clique search is spent in that
    order): each group is a component's sorted members with its edges, as networkx finds them."""
    import networkx

    from k8slint.rules import anti_affinity

    rng = random.Random(seed)
    vertices = rng.randint(2, 60)
    edges = set()
    for _ in range(rng.randint(1, 80)):
        a, b = rng.sample(range(vertices), 2)
        edges.add((min(a, b), max(a, b)))
    graph = networkx.Graph(list(edges))
    expected = sorted((sorted(component), {e for e in edges if e[0] in component})
                      for component in networkx.connected_components(graph))
    assert anti_affinity._components(set(edges)) == expected


def test_file_directory_is_dirname_also_once_its_table_is_full(monkeypatch):
    import os

    from k8slint.model import index

    monkeypatch.setattr(index, "_DIRECTORIES", {})
    monkeypatch.setattr(index, "_DIRECTORIES_SIZE", 3)
    files = ["a/b/c.yaml", "c.yaml", "/abs/x.yaml", "a//b.yaml", "./d/e.yml", "-", "a/b/c.yaml", "x/", "c.yaml"]
    for file in files * 2:
        assert index.file_directory(file) == os.path.dirname(file)
        assert index.directory_of(SimpleNamespace(file=file)) == os.path.dirname(file)
    assert len(index._DIRECTORIES) <= 3
