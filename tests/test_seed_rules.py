"""Rules from the seed documents (issue 9): selectors and Services, Jobs and CronJobs, StatefulSet
governing Services, HPAs. The fixtures under fixtures/rules/{selectors,services,jobs,
statefulset-service,hpa} cover fire and near-miss lines; these tests cover what fixtures cannot:
severities, how far "matches nothing in the set" reaches across files and directories, the cron
parser, and robustness against values of the wrong type."""

from __future__ import annotations

import pytest

from conftest import cli, engine_run

SEED_RULES = ("selector-mismatch", "service-no-endpoints", "service-target-port", "job-restart-policy",
              "job-spec", "cronjob-spec", "statefulset-service", "hpa-conflict", "hpa-target-missing",
              "hpa-missing-requests", "hpa-fixed-replicas")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: "web:1"
        ports: [{name: http, containerPort: 8080}]
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: %s}
  ports: [{port: 80, targetPort: %s}]
"""
HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %s}
  maxReplicas: 5
"""


def findings(*paths, rules=SEED_RULES):
    result = engine_run(paths)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in rules]


def by_rule(found, rule):
    return [f for f in found if f.rule == rule]


# --- how far "matches nothing in the set" reaches -------------------------------------------------


def test_service_without_pods_in_its_file_is_a_warning(write):
    path = write("app.yaml", DEPLOYMENT + "---\n" + SERVICE % ("frontend", "http"))
    [finding] = by_rule(findings(path), "service-no-endpoints")
    assert finding.severity == "warning"
    assert "in this file" in finding.message and "app=web" in finding.message


def test_service_without_pods_in_its_directory_is_info(write):
    deployment = write("app/deployment.yaml", DEPLOYMENT)
    service = write("app/service.yaml", SERVICE % ("frontend", "http"))
    [finding] = by_rule(findings(deployment, service), "service-no-endpoints")
    assert finding.severity == "info" and "in this directory" in finding.message


def test_service_whose_pods_live_elsewhere_is_silent(write):
    deployment = write("one/deployment.yaml", DEPLOYMENT)
    service = write("two/service.yaml", SERVICE % ("frontend", "http"))
    assert findings(deployment, service) == []


def test_objects_without_namespace_may_share_any_namespace(write):
    text = DEPLOYMENT.replace("metadata: {name: web}", "metadata: {name: web, namespace: prod}", 1)
    path = write("app.yaml", text + "---\n" + SERVICE % ("web", "http"))
    assert findings(path) == []


def test_explicit_namespaces_keep_pods_apart(write):
    text = DEPLOYMENT.replace("metadata: {name: web}", "metadata: {name: web, namespace: prod}", 1)
    service = (SERVICE % ("web", "http")).replace("metadata: {name: web}",
                                                  "metadata: {name: web, namespace: staging}")
    [finding] = findings(write("app.yaml", text + "---\n" + service))
    assert finding.rule == "service-no-endpoints" and "own namespace" in finding.message


def test_named_target_port_in_another_directory_is_not_judged(write):
    deployment = write("one/deployment.yaml", DEPLOYMENT)
    service = write("two/service.yaml", SERVICE % ("web", "metrics"))
    assert findings(deployment, service) == []
    same = write("one/service.yaml", SERVICE % ("web", "metrics"))
    [finding] = findings(deployment, same)
    assert finding.rule == "service-target-port" and finding.severity == "info"


def test_quoted_numeric_target_port_is_an_error(write):
    path = write("app.yaml", DEPLOYMENT + "---\n" + SERVICE % ("web", '"8080"'))
    [finding] = findings(path)
    assert (finding.rule, finding.severity) == ("service-target-port", "error")


def test_argo_rollout_metadata_and_experiment_labels_count(write):
    rollout = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: "web:1"
  strategy:
    canary:
      canaryMetadata: {labels: {role: canary}}
      steps:
      - experiment:
          templates:
          - name: preview
            specRef: canary
            metadata: {labels: {app: web-preview}}
"""
    canary = SERVICE.replace("{app: %s}", "{app: web, role: canary}") % "8080"
    preview = (SERVICE % ("web-preview", "8080")).replace("name: web}", "name: preview}")
    path = write("rollout.yaml", rollout + "---\n" + canary + "---\n" + preview)
    assert findings(path) == []


def test_statefulset_pod_name_and_job_name_labels_are_known(write):
    text = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka}
spec:
  serviceName: kafka
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      containers:
      - {name: kafka, image: "kafka:3"}
---
apiVersion: v1
kind: Service
metadata: {name: kafka}
spec:
  clusterIP: None
  selector: {app: kafka}
---
apiVersion: v1
kind: Service
metadata: {name: kafka-1}
spec:
  selector: {statefulset.kubernetes.io/pod-name: kafka-1}
---
apiVersion: v1
kind: Service
metadata: {name: kafka-x}
spec:
  selector: {statefulset.kubernetes.io/pod-name: zookeeper-1}
"""
    [finding] = findings(write("kafka.yaml", text))
    assert finding.rule == "service-no-endpoints" and finding.name == "kafka-x"


# --- selector-mismatch -----------------------------------------------------------------------------


def test_kustomize_patch_is_not_a_workload(write):
    patch = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        args: [--verbose]
"""
    path = write("overlay/patch.yaml", patch)
    hpa = write("overlay/hpa.yaml", HPA % "web")
    assert by_rule(findings(path, hpa), "selector-mismatch") == []
    assert by_rule(findings(path, hpa), "hpa-missing-requests") == []


def test_selector_defaults_in_legacy_api_versions(write):
    legacy = DEPLOYMENT.replace("apps/v1", "extensions/v1beta1").replace(
        "  selector:\n    matchLabels: {app: web}\n", "")
    assert findings(write("legacy.yaml", legacy)) == []
    current = DEPLOYMENT.replace("  selector:\n    matchLabels: {app: web}\n", "")
    [finding] = findings(write("current.yaml", current))
    assert finding.rule == "selector-mismatch" and "requires spec.selector" in finding.message


# --- Jobs and CronJobs ------------------------------------------------------------------------------


def test_backoff_limit_zero_with_on_failure_is_a_warning(write):
    text = """\
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - {name: work, image: "work:1"}
"""
    [finding] = findings(write("job.yaml", text))
    assert (finding.rule, finding.severity, finding.line) == ("job-restart-policy", "warning", 5)
    assert "Never" in finding.hint


@pytest.mark.parametrize("deadline,severity", [(0, "error"), (9, "warning"), (10, None), (-1, "error")])
def test_starting_deadline(write, deadline, severity):
    text = f"""\
apiVersion: batch/v1
kind: CronJob
metadata: {{name: tick}}
spec:
  schedule: "*/5 * * * *"
  startingDeadlineSeconds: {deadline}
  jobTemplate: {{spec: {{template: {{spec: {{restartPolicy: Never, containers: [{{name: a, image: "a:1"}}]}}}}}}}}
"""
    found = findings(write("cron.yaml", text))
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize("schedule", [
    "* * * * *", "*/5 * * * *", "0 0 1,15 * *", "0 9-17/2 * * mon-fri", "0 0 * JAN,jul SUN",
    "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually",
    "@every 90s", "@every 1h30m", "5/10 * ? * *", "0 0 29 2 *", "59 23 31 12 *", "+5 * * * *",
])
def test_valid_schedules(schedule):
    from k8slint.rules.job_restart_policy import parse_schedule

    assert parse_schedule(schedule)[1] is None


@pytest.mark.parametrize("schedule,error", [
    ("", "empty"), ("* * * *", "exactly 5 fields"), ("0 0 * * * *", "exactly 5 fields"),
    ("60 * * * *", "above maximum (59)"), ("* 24 * * *", "above maximum (23)"),
    ("* * 0 * *", "below minimum (1)"), ("* * * 13 *", "above maximum (12)"),
    ("* * * * 7", "above maximum (6)"), ("5-1 * * * *", "beyond end"), ("*/0 * * * *", "positive"),
    ("1-2-3 * * * *", "hyphens"), ("1/2/3 * * * *", "slashes"), ("a * * * *", "parse int"),
    ("@reboot", "unrecognized descriptor"), ("@every 5 minutes", "duration"), ("* * * foo *", "parse int"),
])
def test_invalid_schedules(schedule, error):
    from k8slint.rules.job_restart_policy import parse_schedule

    fields, problem = parse_schedule(schedule)
    assert fields is None and error in problem


@pytest.mark.parametrize("schedule,never", [
    ("0 0 30 2 *", True), ("0 0 31 4,6,9,11 *", True), ("0 0 31 2,4 *", True),
    ("0 0 29 2 *", False), ("0 0 31 * *", False), ("0 0 30 2 1", False), ("0 0 30 2 */2", False),
    ("0 0 30 2 ?", True), ("0 0 * 2 *", False),
])
def test_never_firing_schedules(schedule, never):
    from k8slint.rules.job_restart_policy import never_fires, parse_schedule

    fields, problem = parse_schedule(schedule)
    assert problem is None and never_fires(fields) is never


def test_unknown_time_zone(write):
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        zoneinfo.ZoneInfo("Etc/UTC")
    except Exception:
        pytest.skip("no time zone database")
    text = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "0 6 * * *"
  timeZone: %s
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: a, image: "a:1"}]}}}}
"""
    assert findings(write("ok.yaml", text % "Europe/Berlin")) == []
    [finding] = findings(write("bad.yaml", text % "Europe/Atlantis"))
    assert finding.rule == "cronjob-spec" and "not a known time zone" in finding.message
    [finding] = findings(write("local.yaml", text % "Local"))
    assert "Local" in finding.message


# --- StatefulSet governing Service ------------------------------------------------------------------


STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db-headless
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: "postgres:16"}
"""
CLIENT_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
"""


def test_missing_governing_service_scope(write):
    sts = write("db/statefulset.yaml", STATEFULSET)
    assert findings(sts) == []
    other_dir = write("other/service.yaml", CLIENT_SERVICE)
    assert findings(sts, other_dir) == []
    same_dir = write("db/service.yaml", CLIENT_SERVICE)
    [finding] = findings(sts, same_dir)
    assert (finding.rule, finding.severity) == ("statefulset-service", "info")
    [finding] = findings(write("db/all.yaml", STATEFULSET + "---\n" + CLIENT_SERVICE))
    assert (finding.rule, finding.severity) == ("statefulset-service", "warning")



def _service(name: str, selector: str, headless: bool = False) -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n"
            + ("  clusterIP: None\n" if headless else "") + f"  selector: {selector}\n  ports: [{{port: 5432}}]\n")


def _governing(path):
    return [f for f in findings(path) if f.rule == "statefulset-service"]


def test_missing_governing_service_suggests_the_headless_service_of_its_pods(write):
    """The message names the Services it looked at by count, and suggests one: a headless Service
    of its file that selects the StatefulSet's pods first, else a Service whose name begins like
    serviceName (a rename or a typo); nothing when neither exists."""
    headless = _service("pg-hl", "{app: db}", headless=True)
    [finding] = _governing(write("a.yaml", "---\n".join([STATEFULSET, CLIENT_SERVICE, headless])))
    assert finding.message.startswith(
        "serviceName 'db-headless' names none of the 2 Services in its file (did you mean 'pg-hl'? that headless "
        "Service selects its pods): the pods' DNS names (db-0.db-headless...) do not resolve")
    # headless but selecting other pods, or selecting the pods but not headless: no such claim
    other_pods = _service("pg-hl", "{app: web}", headless=True)
    [finding] = _governing(write("b.yaml", "---\n".join([STATEFULSET, CLIENT_SERVICE, other_pods])))
    assert "did you mean" not in finding.message and "none of the 2 Services in its file:" in finding.message
    # a Service whose name begins like serviceName, at least half of the longer name
    typo = _service("db-headles", "{app: web}")
    [finding] = _governing(write("c.yaml", "---\n".join([STATEFULSET, typo])))
    assert "none of the 1 Service in its file (did you mean 'db-headles'?):" in finding.message
    [finding] = _governing(write("d.yaml", "---\n".join([STATEFULSET, _service("db-headless-for-the-clients", "{app: web}")])))
    assert "did you mean" not in finding.message
    # the headless Service that selects the pods wins over a similar name; in another namespace neither counts
    both = "---\n".join([STATEFULSET, typo, headless])
    [finding] = _governing(write("e.yaml", both))
    assert "(did you mean 'pg-hl'? that headless Service selects its pods)" in finding.message
    elsewhere = headless.replace("{name: pg-hl}", "{name: pg-hl, namespace: other}")
    [finding] = _governing(write("f.yaml", "---\n".join([STATEFULSET.replace("{name: db}", "{name: db, namespace: data}"),
                                                      CLIENT_SERVICE, elsewhere])))
    assert finding.message.startswith("serviceName 'db-headless' names none of the 1 Service in its file that may "
                                      "share its namespace: ")


# --- HPAs -------------------------------------------------------------------------------------------


def test_hpa_target_scope(write):
    deployment = write("web/deployment.yaml", DEPLOYMENT)
    assert by_rule(findings(deployment, write("other/hpa.yaml", HPA % "api")), "hpa-target-missing") == []
    [finding] = by_rule(findings(deployment, write("web/hpa.yaml", HPA % "api")), "hpa-target-missing")
    assert finding.severity == "info"
    [finding] = by_rule(findings(write("web/all.yaml", DEPLOYMENT + "---\n" + HPA % "api")),
                        "hpa-target-missing")
    assert finding.severity == "warning" and "Deployment web" in finding.message


def test_hpa_requests_and_replicas_by_distance(write):
    deployment = DEPLOYMENT.replace("spec:\n  selector", "spec:\n  replicas: 2\n  selector", 1)
    near = findings(write("web/all.yaml", deployment + "---\n" + HPA % "web"))
    assert sorted((f.rule, f.severity) for f in near) == [
        ("hpa-fixed-replicas", "warning"), ("hpa-missing-requests", "warning")]
    far = findings(write("a/deployment.yaml", deployment), write("b/hpa.yaml", HPA % "web"))
    assert sorted((f.rule, f.severity) for f in far) == [
        ("hpa-fixed-replicas", "info"), ("hpa-missing-requests", "info")]


def test_alternative_hpas_in_separate_files_do_not_conflict(write):
    deployment = DEPLOYMENT.replace("ports:", "resources: {requests: {cpu: 100m}}\n        ports:")
    first = write("web/hpa-cpu.yaml", HPA % "web")
    second = write("web/hpa-gpu.yaml", (HPA % "web").replace("name: web}", "name: web-gpu}", 1))
    assert findings(write("web/deployment.yaml", deployment), first, second) == []


# --- robustness and listing -------------------------------------------------------------------------


WRONG_TYPES = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: odd, namespace: [x]}
spec:
  replicas: "3"
  selector: "app=odd"
  template: {metadata: {labels: [app]}, spec: {containers: {name: x}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: odd}
spec:
  serviceName: [odd]
  selector: {matchLabels: [app], matchExpressions: {key: app}}
  template: {metadata: {labels: {app: 1}}, spec: {containers: [{name: a, ports: "80", resources: []}]}}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: odd}
spec: {selector: {app: 1}, template: []}
---
apiVersion: v1
kind: Service
metadata: {name: odd}
spec: {selector: {app: [x]}, ports: [{targetPort: [1]}, 80, {targetPort: 1.5}]}
---
apiVersion: v1
kind: Service
metadata: {name: odd2}
spec: {selector: {app: odd}, ports: {targetPort: http}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: odd}
spec:
  completions: "5"
  parallelism: true
  completionMode: [Indexed]
  selector: []
  manualSelector: "yes"
  template: {spec: {restartPolicy: [Never], containers: []}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: [odd]}
spec:
  schedule: 5
  timeZone: 3
  concurrencyPolicy: {a: b}
  startingDeadlineSeconds: "10"
  jobTemplate: {spec: []}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: odd}
spec:
  scaleTargetRef: {kind: [Deployment], name: {a: b}}
  minReplicas: "1"
  maxReplicas: 2.5
  metrics: [1, {type: Resource, resource: []}, {type: ContainerResource, containerResource: {name: cpu}},
            {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: "x"}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: odd2}
spec: [1]
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: odd3}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: odd}, maxReplicas: 3,
       targetCPUUtilizationPercentage: "50"}
"""


def test_wrong_types_never_raise(write):
    result = engine_run([write("odd.yaml", WRONG_TYPES)])
    assert not [e for e in result.errors if e.rule == "internal-error"], result.errors


def test_rules_command_lists_the_seed_rules():
    listing = cli("rules").stdout
    for rule_id in SEED_RULES:
        assert rule_id in listing


def test_hpa_metric_type_of_the_wrong_type_is_no_crash(write):
    """Found by the fuzz test: a list where a metric type belongs crashed hpa-conflict."""
    from conftest import engine_run

    path = write("hpa.yaml", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                             "metadata: {name: web}\nspec: {maxReplicas: 0, minReplicas: 0, "
                             "metrics: [{type: []}]}\n---\napiVersion: apps/v1\nkind: Deployment\n"
                             "metadata: {name: web}\n")
    result = engine_run([path])
    assert not [e for e in result.errors if e.rule == "internal-error"], result.errors
    assert any(f.rule == "hpa-conflict" and f.path == "spec.maxReplicas" for f in result.findings)
