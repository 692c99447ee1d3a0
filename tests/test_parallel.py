"""--jobs: files are linted in worker processes and, over large inventories, the cross-object
rules run in forked workers too; the findings must be exactly those of a single process."""

from __future__ import annotations

from conftest import FIXTURES, engine_run

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{i}, namespace: ns-{ns}}}
spec:
  replicas: {replicas}
  strategy: {{rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}}}
  selector: {{matchLabels: {{app: app-{i}}}}}
  template:
    metadata: {{labels: {{app: app-{i}}}}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {{matchLabels: {{app: app-{i}}}}}
            topologyKey: kubernetes.io/hostname
      containers:
      - name: web
        image: web:1
        ports: [{{name: http, containerPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: app-{i}, namespace: ns-{ns}}}
spec:
  selector: {{app: app-{selected}}}
  ports: [{{port: 80, targetPort: {target}}}]
---
"""


def test_parallel_run_equals_single_process(tmp_path):
    from k8slint.engine import Options
    from k8slint.engine.context import active_rules
    from k8slint.engine.runner import _PARALLEL_SET_RULES_MIN_OBJECTS, _heaviest_first, _set_rule_processes
    from k8slint.rules import HEAVY, LIGHT, MEDIUM
    from conftest import all_rule_ids

    count = _PARALLEL_SET_RULES_MIN_OBJECTS // 2 + 50  # two objects each: above the threshold
    set_rules = active_rules(Options(enabled=all_rule_ids()))[1]
    assert _set_rule_processes(set_rules, 2, 2 * count) == 2  # so the set rules are shared out
    # the slowest (by the cost class each rule declares) are taken first
    ordered = _heaviest_first(set_rules)
    assert {r.id for r in ordered[:2]} == {"anti-affinity-infeasible", "service-no-endpoints"}
    assert {r.id for r in ordered[2:4]} == {"unsafe-rolling-update", "toleration-effect-mismatch"}
    assert [r.cost for r in ordered[:5]] == [HEAVY, HEAVY, MEDIUM, MEDIUM, LIGHT]
    for part in range(8):
        text = "".join(APP.format(i=i, ns=i % 7, replicas=1 + i % 4, selected=i if i % 9 else f"{i}x",
                                  target="http" if i % 5 else "metrics")
                       for i in range(part, count, 8))
        (tmp_path / f"part-{part}.yaml").write_text(text)
    from k8slint.model.cluster import uniform_cluster

    single = engine_run([tmp_path], cluster=uniform_cluster(3), jobs=1)
    parallel = engine_run([tmp_path], cluster=uniform_cluster(3), jobs=2)
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in single.findings]
    assert parallel.errors == single.errors == []
    from k8slint import source

    # the workers (the input is large enough for them) sent the small files' texts back for the
    # second look (positions, snippets)
    assert sum(p.stat().st_size for p in tmp_path.glob("part-*.yaml")) >= 512 * 1024
    assert sorted(source._KEPT_TEXTS) == sorted(str(p) for p in tmp_path.glob("part-*.yaml"))
    rules = {f.rule for f in single.findings}
    # every kind of cross-object finding the corpus was built to produce is there
    assert {"anti-affinity-infeasible", "service-no-endpoints", "service-target-port"} <= rules


def test_parallel_fixtures_equal_single_process():
    single = engine_run([FIXTURES], jobs=1)
    parallel = engine_run([FIXTURES], jobs=2)
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in single.findings]


def test_read_ahead_batches_equal_one_file_at_a_time(monkeypatch):
    """Files are read a batch ahead of linting them (file_lint.lint_paths): whatever the batch
    bounds, the run is the one reading each file just before linting it gives."""
    from k8slint.engine import file_lint

    def outcome():
        result = engine_run([FIXTURES], jobs=1)
        return ([f.to_dict() for f in result.findings], result.errors, [n.to_dict() for n in result.notes],
                result.files, result.documents)

    monkeypatch.setattr(file_lint, "READ_AHEAD_FILES", 1)
    one_at_a_time = outcome()
    assert one_at_a_time[3] > 100 and one_at_a_time[0]
    for files, chars in ((3, 10**9), (1024, 500), (1024, 1024 * 1024)):
        monkeypatch.setattr(file_lint, "READ_AHEAD_FILES", files)
        monkeypatch.setattr(file_lint, "READ_AHEAD_CHARS", chars)
        assert outcome() == one_at_a_time, (files, chars)
