"""Rendered charts and kustomizations, as users lint them: `helm template ... | k8slint lint -`
(or a saved render) names each finding's template from the `# Source:` comments, in text, JSON
and SARIF (on the template file with --chart-root); `--render kustomize DIR` builds with kubectl
(or kustomize) and names the kustomization."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import ROOT, cli

SARIF_SCHEMA = ROOT / "schemas" / "sarif-2.1.0.json"
REPORT_SCHEMA = ROOT / "schemas" / "report.schema.json"

# `helm template rel charts/web` output, as helm writes it: "---", "# Source: <chart>/templates/<file>"
SERVICE = """\
---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: rel-web
spec:
  selector:
    app: rel-web
  ports:
  - port: 80
"""
DEPLOYMENT = """\
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rel-web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: rel-web
  template:
    metadata:
      labels:
        app: rel-web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
"""
SUBCHART = """\
---
# Source: web/charts/cache/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rel-cache
spec:
  replicas: 2
  selector:
    matchLabels: {app: rel-cache}
  template:
    metadata:
      labels: {app: rel-cache}
    spec:
      containers:
      - name: redis
        image: redis:7
        ports:
        - containerPort: 6379
"""
STREAM = SERVICE + DEPLOYMENT


def schema_errors(document, schema_path):
    from jsonschema import validators

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return [e.message for e in validators.validator_for(schema)(schema).iter_errors(document)]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    templates = root / "charts" / "web" / "templates"
    templates.mkdir(parents=True)
    (root / "charts" / "web" / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (templates / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n"
                                               "metadata:\n  name: {{ .Release.Name }}-web\n")
    (templates / "service.yaml").write_text("apiVersion: v1\nkind: Service\n")
    monkeypatch.chdir(root)
    return root


def test_stdin_findings_name_their_template_and_show_the_rendered_line(repo):
    result = cli("lint", "-", input=STREAM)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("-:29:15: warning missing-readiness-probe: container \"web\"")
    assert lines[1] == "    29 |       - name: web"  # the source snippet of standard input
    assert lines[3] == "       = template: web/templates/deployment.yaml"


def test_json_names_the_template_of_each_document(repo):
    report = json.loads(cli("lint", "--format", "json", "-", input=SERVICE + SUBCHART + DEPLOYMENT).stdout)
    assert schema_errors(report, REPORT_SCHEMA) == []
    templates = {f["name"]: f["template"] for f in report["findings"] if f["rule"] == "missing-readiness-probe"}
    assert templates == {"rel-web": "web/templates/deployment.yaml",
                         "rel-cache": "web/charts/cache/templates/deployment.yaml"}


def test_a_saved_render_and_documents_without_source_comments(repo):
    (repo / "rendered.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" + STREAM)
    report = json.loads(cli("lint", "--format", "json", "rendered.yaml").stdout)
    [finding] = [f for f in report["findings"] if f["rule"] == "missing-readiness-probe"]
    assert finding["file"] == "rendered.yaml" and finding["template"] == "web/templates/deployment.yaml"
    plain = json.loads(cli("lint", "--format", "json", "-", input=DEPLOYMENT.replace("# Source", "# Origin")).stdout)
    assert "template" not in plain["findings"][0]


def test_sarif_without_chart_root_keeps_the_stream_location_and_names_the_template(repo):
    log = json.loads(cli("lint", "--format", "sarif", "-", input=STREAM).stdout)
    assert schema_errors(log, SARIF_SCHEMA) == []
    [result] = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "-"
    assert result["properties"]["template"] == "web/templates/deployment.yaml"
    assert "(template web/templates/deployment.yaml; line 29 of the rendered output)" in result["message"]["text"]


def test_sarif_with_chart_root_puts_the_alert_on_the_template_file(repo):
    result = cli("lint", "--format", "sarif", "--chart-root", "charts/web", "-", input=STREAM)
    log = json.loads(result.stdout)
    assert schema_errors(log, SARIF_SCHEMA) == []
    [item] = log["runs"][0]["results"]
    location = item["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "charts/web/templates/deployment.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1, "startColumn": 1}  # file level
    [related] = item["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "-"
    assert related["physicalLocation"]["region"]["startLine"] == 29
    # the alert's identity follows the template: re-rendering in another order changes nothing
    again = json.loads(cli("lint", "--format", "sarif", "--chart-root", "charts/web", "-",
                           input=DEPLOYMENT + SERVICE).stdout)
    assert again["runs"][0]["results"][0]["partialFingerprints"] == item["partialFingerprints"]


def test_chart_root_must_be_a_directory(repo):
    result = cli("lint", "--chart-root", "charts/nope", "-", input=STREAM)
    assert result.exit_code == 2
    assert "charts/nope" in result.output


def test_baseline_of_a_helm_render_survives_reordering(repo):
    assert cli("lint", "--write-baseline", ".k8slint-baseline.json", "--chart-root", "charts/web", "-",
               input=STREAM).exit_code == 0
    [entry] = json.loads((repo / ".k8slint-baseline.json").read_text())["findings"]
    assert entry["file"] == "charts/web/templates/deployment.yaml"
    reordered = cli("lint", "--baseline", ".k8slint-baseline.json", "--chart-root", "charts/web", "-",
                    input=DEPLOYMENT + SERVICE)
    assert reordered.exit_code == 0, reordered.output


# --------------------------------------------------------------------------- kustomize

needs_kustomize = pytest.mark.skipif(not (shutil.which("kubectl") or shutil.which("kustomize")),
                                     reason="neither kubectl nor kustomize installed")
BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"""


@pytest.fixture
def kustomized(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / "base").mkdir(parents=True)
    (root / "overlays" / "prod").mkdir(parents=True)
    (root / "base" / "deploy.yaml").write_text(BASE)
    (root / "base" / "kustomization.yaml").write_text("resources:\n- deploy.yaml\n")
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n- ../../base\nnamePrefix: prod-\nreplicas:\n- name: web\n  count: 4\n")
    monkeypatch.chdir(root)
    return root


@needs_kustomize
def test_render_kustomize_lints_the_build(kustomized):
    result = cli("lint", "--render", "kustomize", "overlays/prod")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("overlays/prod@kustomize:")
    assert "[Deployment prod-web]" in lines[0]  # the overlay's name prefix: the build was linted
    assert "       = template: overlays/prod/kustomization.yaml" in lines
    log = json.loads(cli("lint", "--render", "kustomize", "--format", "sarif", "overlays/prod").stdout)
    assert schema_errors(log, SARIF_SCHEMA) == []
    [item] = log["runs"][0]["results"]
    assert item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "overlays/prod/kustomization.yaml"


@needs_kustomize
def test_render_kustomize_build_failure_is_an_input_error(kustomized):
    (kustomized / "base" / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    result = cli("lint", "--render", "kustomize", "overlays/prod")
    assert result.exit_code == 2
    assert "overlays/prod: `" in result.stderr and "failed:" in result.stderr and "missing.yaml" in result.stderr


def test_render_kustomize_needs_a_kustomization_directory(kustomized):
    result = cli("lint", "--render", "kustomize", "base/deploy.yaml")
    assert result.exit_code == 2
    assert "not a directory with a kustomization.yaml" in result.stderr


def test_render_kustomize_without_kubectl_or_kustomize_says_so(kustomized, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = cli("lint", "--render", "kustomize", "overlays/prod")
    assert result.exit_code == 2
    assert "needs kubectl (`kubectl kustomize`) or kustomize (`kustomize build`) on PATH, and neither " \
           "is installed" in result.stderr
